"""Stage times: when each case reached verified, resolved and responded, read off its timeline.

A cycle starts at the receipt of the case (its creation) or at a reopening (a status change
marked `reopened`). Within a cycle a stage is reached the first time the case moves to

- verified: `in_progress` or `rejected` — the end of verification, where the verify SLA clock
  stops (rejecting is the outcome of a verification);
- resolved: `resolved`;
- responded: `responded` (the public response is published).

A cycle opened by reopening to `in_progress` owes no new verification (its SLA clocks restart
resolve and respond only), so it has no verified stage; reopening a rejected case to
`verifying` owes all three.

Each reach becomes one StageTime row:

- calendar seconds: wall-clock time from the start of the cycle to the reach;
- working seconds: the stopped SLA clock's `elapsed_seconds` when that clock counts working
  time; otherwise (a clock around the clock, or no clock) the working time on the clock's (or
  the default) calendar, computed with the SLA maths, with the `waiting` spells left out;
- target and on time: from the clock the reach stopped (met or breached); None without one.

`on_status_change` writes the row in the transaction of the status change (operations.py
calls it); `rebuild` recomputes every row from the timelines and the clocks.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from app.cases.models import STAGES, Case, CaseEvent, EventKind, Stage, StageTime
from app.cases.sla import maths
from app.cases.sla.models import ClockState, SlaClock
from app.cases.sla.store import calendar_for, default_calendar_row
from app.extensions import db
from app.units.models import Unit

#: status reached -> the stage it completes.
STAGE_OF_STATUS = {
    "in_progress": Stage.verified,
    "rejected": Stage.verified,
    "resolved": Stage.resolved,
    "responded": Stage.responded,
}
#: stage -> the SLA metric whose clock measures it.
METRIC_OF_STAGE = {
    Stage.verified: "verify",
    Stage.resolved: "resolve",
    Stage.responded: "respond",
}
#: Statuses a reopening can go to that restart verification.
_REVERIFY = ("received", "verifying")
_FINISHED = (ClockState.met.value, ClockState.breached.value)
_SAME_INSTANT = timedelta(seconds=1)


@dataclass(frozen=True)
class Step:
    """One status change of a timeline."""

    at: datetime
    from_status: str | None
    to_status: str
    reopened: bool = False
    #: The cycle a reopening starts (the event's data), when known.
    cycle: int | None = None
    #: What the step came from (an event), for the caller to recognise it.
    ref: object = None


@dataclass(frozen=True)
class Reach:
    """A stage reached: from the start of the cycle to the step that reached it."""

    cycle: int
    stage: Stage
    started_at: datetime
    stopped_at: datetime
    #: The waiting spells of the cycle before the stop, as SLA pauses.
    pauses: tuple[tuple[datetime, datetime], ...]
    ref: object = None


def stage_reaches(opened_at: datetime, steps: Iterable[Step]) -> list[Reach]:
    """Every stage reached along a timeline (steps oldest first), per cycle. Pure."""
    reaches: list[Reach] = []
    cycle, started, owed, reached = 1, opened_at, set(STAGES), set()
    pauses: list[tuple[datetime, datetime]] = []
    waiting_since: datetime | None = None
    for step in steps:
        if step.reopened:
            cycle = step.cycle or cycle + 1
            started, reached, pauses, waiting_since = step.at, set(), [], None
            owed = set(STAGES) if step.to_status in _REVERIFY else set(STAGES[1:])
            continue
        if step.to_status == "waiting":
            waiting_since = waiting_since or step.at
        elif step.from_status == "waiting" and waiting_since is not None:
            pauses.append((waiting_since, step.at))
            waiting_since = None
        stage = STAGE_OF_STATUS.get(step.to_status)
        if stage is not None and stage in owed and stage not in reached:
            reached.add(stage)
            reaches.append(Reach(cycle, stage, started, step.at, tuple(pauses), step.ref))
    return reaches


def measure(
    reach: Reach, clock: SlaClock | None, default_calendar_id: int | None
) -> tuple[int, int, int | None, bool | None]:
    """(working seconds, calendar seconds, target seconds, on time) of a reach."""
    calendar_seconds = int((reach.stopped_at - reach.started_at).total_seconds())
    stopped_here = (
        clock is not None
        and clock.stopped_at is not None
        and clock.state in _FINISHED
        and abs(clock.stopped_at - reach.stopped_at) < _SAME_INSTANT
    )
    if stopped_here and clock.counting == maths.CountingMode.WORKING.value:
        working_seconds = int(clock.elapsed_seconds)
    else:
        calendar_id = clock.calendar_id if clock is not None else default_calendar_id
        working_seconds = maths.elapsed_seconds(
            reach.started_at,
            reach.stopped_at,
            maths.CountingMode.WORKING,
            calendar_for(calendar_id),
            pauses=reach.pauses,
        )
    if not stopped_here:
        return working_seconds, calendar_seconds, None, None
    on_time = clock.state == ClockState.met.value
    return working_seconds, calendar_seconds, clock.target_seconds, on_time


def new_row(case: Case, reach: Reach, clock, default_calendar_id, unit_id=None) -> StageTime:
    working, calendar, target, on_time = measure(reach, clock, default_calendar_id)
    return StageTime(
        case_id=case.id,
        cycle=reach.cycle,
        stage=reach.stage.value,
        started_at=reach.started_at,
        stopped_at=reach.stopped_at,
        working_seconds=working,
        calendar_seconds=calendar,
        target_seconds=target,
        on_time=on_time,
        unit_id=unit_id or case.unit_id,
        category=case.category,
        source=case.source,
        priority=case.priority,
        ward_id=case.ward_id,
        former_district_id=case.former_district_id,
    )


def _clock_for(clocks: Iterable[SlaClock], reach: Reach) -> SlaClock | None:
    metric = METRIC_OF_STAGE[reach.stage]
    return next((c for c in clocks if c.metric == metric and c.cycle == reach.cycle), None)


def _step(event: CaseEvent) -> Step:
    data = event.data or {}
    return Step(
        at=event.created_at,
        from_status=event.from_value,
        to_status=event.to_value or "",
        reopened=bool(data.get("reopened")),
        cycle=data.get("cycle"),
        ref=event,
    )


def _default_calendar_id() -> int | None:
    row = default_calendar_row()
    return row.id if row is not None else None


# -- the workflow hook ----------------------------------------------------------------


def on_status_change(case: Case, to_status: str) -> list[StageTime]:
    """Record the stage the case reaches now, in the caller's transaction (not flushed).

    Called by operations.apply_status after the status change's timeline event and the SLA
    clocks: the new event is still pending in the session, the clock it stopped is stopped.
    """
    if str(to_status) not in STAGE_OF_STATUS or case.id is None:
        return []
    with db.session.no_autoflush:
        return _record_pending(case)


def _record_pending(case: Case) -> list[StageTime]:
    persisted = db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.status_changed.value)
        .order_by(CaseEvent.id)
    ).all()
    pending = [
        obj
        for obj in db.session.new
        if isinstance(obj, CaseEvent)
        and obj.case is case
        and obj.kind == EventKind.status_changed.value
    ]
    pending.sort(key=lambda event: event.created_at)
    steps = [_step(event) for event in [*persisted, *pending]]
    new = [reach for reach in stage_reaches(case.created_at, steps) if reach.ref in pending]
    if not new:
        return []
    existing = set(
        db.session.execute(
            select(StageTime.cycle, StageTime.stage).where(StageTime.case_id == case.id)
        ).all()
    )
    default_id = _default_calendar_id()
    rows = []
    for reach in new:
        if (reach.cycle, reach.stage.value) in existing:
            continue
        row = new_row(case, reach, _clock_for(case.sla_clocks, reach), default_id)
        db.session.add(row)
        rows.append(row)
    return rows


# -- recomputing from the timeline ----------------------------------------------------


def rows_for_case(
    case: Case,
    events: Sequence[CaseEvent],
    clocks: Sequence[SlaClock],
    default_calendar_id: int | None,
    unit_ids_by_code: dict[str, int],
) -> list[StageTime]:
    """The StageTime rows a case's timeline and clocks give (not added to the session).

    The unit is the one responsible when the stage was reached, replayed from the
    transfers; category, source, priority and place are the case's own now.
    """
    ordered = sorted(events, key=lambda event: event.id)
    steps = [_step(e) for e in ordered if e.kind == EventKind.status_changed.value]
    transfers = [
        (e.created_at, e.from_value, e.to_value)
        for e in ordered
        if e.kind == EventKind.transferred.value
    ]
    rows = []
    for reach in stage_reaches(case.created_at, steps):
        unit_id = _unit_at(reach.stopped_at, transfers, case.unit_id, unit_ids_by_code)
        rows.append(new_row(case, reach, _clock_for(clocks, reach), default_calendar_id, unit_id))
    return rows


def _unit_at(moment, transfers, current_unit_id, unit_ids_by_code) -> int:
    """The unit responsible at `moment`: the last transfer before it, else the first one's origin."""
    if not transfers:
        return current_unit_id
    before = [to_code for at, _from, to_code in transfers if at <= moment]
    code = before[-1] if before else transfers[0][1]
    return unit_ids_by_code.get(code, current_unit_id)


def rebuild(*, batch_size: int = 500, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute every StageTime row from the timelines and the SLA clocks; returns the rows.

    Works through the cases by id, batch by batch, each batch in its own transaction (its
    old rows deleted and the new ones inserted), calling `progress(done, total)` after each.
    """
    total = db.session.scalar(select(func.count(Case.id))) or 0
    default_id = _default_calendar_id()
    unit_ids = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    written, done, last_id = 0, 0, 0
    while True:
        cases = db.session.scalars(
            select(Case).where(Case.id > last_id).order_by(Case.id).limit(batch_size)
        ).all()
        if not cases:
            break
        ids = [case.id for case in cases]
        events: dict[int, list[CaseEvent]] = {}
        for event in db.session.scalars(
            select(CaseEvent).where(
                CaseEvent.case_id.in_(ids),
                CaseEvent.kind.in_([EventKind.status_changed.value, EventKind.transferred.value]),
            )
        ):
            events.setdefault(event.case_id, []).append(event)
        clocks: dict[int, list[SlaClock]] = {}
        for clock in db.session.scalars(select(SlaClock).where(SlaClock.case_id.in_(ids))):
            clocks.setdefault(clock.case_id, []).append(clock)
        db.session.execute(delete(StageTime).where(StageTime.case_id.in_(ids)))
        for case in cases:
            rows = rows_for_case(
                case, events.get(case.id, []), clocks.get(case.id, []), default_id, unit_ids
            )
            db.session.add_all(rows)
            written += len(rows)
        db.session.commit()
        done += len(cases)
        last_id = ids[-1]
        if progress is not None:
            progress(done, total)
    return written


def demo_stage_times() -> str:
    """`demo load`: the demo cases record their stage times as they move; a database loaded
    before statistics existed gets them rebuilt once. Returns a summary line."""
    recorded = db.session.scalar(select(func.count(StageTime.id))) or 0
    cases = db.session.scalar(select(func.count(Case.id))) or 0
    if cases and not recorded:
        return f"stage times: {rebuild():,} rebuilt from the timelines"
    return f"stage times: {recorded:,} recorded"
