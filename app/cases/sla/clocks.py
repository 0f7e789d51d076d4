"""A case's SLA clocks, moved by its workflow in the caller's transaction.

What each change does (cases/operations.py calls `start_cycle` and `on_status_change`):

======================================  ===============================================
change                                  clocks
======================================  ===============================================
case opened                             cycle 1: verify, resolve and respond start
verifying → in_progress                 verify stops (met, or breached if late)
→ rejected (also a merge)               verify stops: rejecting is the outcome of the
                                        verification; resolve and respond are cancelled
→ waiting (from verifying/in_progress)  every open clock pauses
waiting → back                          every clock resumes; due and warning times move
                                        later by the working time the pause covered
→ resolved                              resolve stops
→ responded                             respond stops
reopening (workflow.REOPENINGS)         open clocks of the old cycle are cancelled; the
                                        new cycle starts resolve and respond (→
                                        in_progress) or all three (rejected → verifying)
transfer                                nothing: the deadline is owed to the citizen
======================================  ===============================================

Due and warning times are computed with the pure module (maths.py) and stored,
so the periodic scan (escalation.py) only compares timestamps.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.cases.models import Case
from app.cases.sla import maths
from app.cases.sla.calendars import Calendar
from app.cases.sla.models import METRICS, ClockState, SlaClock, SlaPolicy
from app.cases.sla.policies import match_policy, ordered_policies
from app.cases.sla.store import calendar_for, default_calendar_row
from app.cases.workflow import Status
from app.extensions import db
from app.models import utcnow

WORKING = maths.CountingMode.WORKING.value
#: status reached -> the metrics it completes.
COMPLETES = {
    Status.in_progress: ("verify",),
    Status.rejected: ("verify",),
    Status.resolved: ("resolve",),
    Status.responded: ("respond",),
}
#: status reached -> the metrics it makes moot.
CANCELS = {Status.rejected: ("resolve", "respond")}


# -- the workflow hooks ---------------------------------------------------------------


@dataclass(frozen=True)
class SlaSettings:
    """The active policies and the default calendar, read once for many new cases (a triage batch)."""

    policies: list[SlaPolicy]
    default_calendar_id: int | None
    #: Due and warning times of clocks started alike (same start, target, calendar):
    #: the cases a batch opens share their start, so most are computed once.
    times: dict = field(default_factory=dict, compare=False)

    @classmethod
    def load(cls) -> "SlaSettings":
        return cls(ordered_policies(active_only=True), _default_calendar_id())


def start_cycle(
    case: Case, now: datetime, metrics=METRICS, settings: SlaSettings | None = None
) -> list[SlaClock]:
    """Start the clocks of the case's current cycle that its policy has targets for."""
    # No autoflush: the case's change and its clocks go out in one flush, one version bump.
    with db.session.no_autoflush:
        return _start_cycle(case, now, metrics, settings)


def _start_cycle(
    case: Case, now: datetime, metrics, settings: SlaSettings | None = None
) -> list[SlaClock]:
    policy = match_policy(case, settings.policies if settings else None)
    clocks = []
    if policy is not None:
        default_id = settings.default_calendar_id if settings else _default_calendar_id()
        for metric in metrics:
            clock = SlaClock(
                metric=metric,
                cycle=case.cycle or 1,
                state=ClockState.running.value,
                started_at=now,
                pauses=[],
                paused_seconds=0,
                elapsed_seconds=0,
            )
            if _apply_policy(clock, policy, default_id):
                if settings is None:
                    compute_times(clock, now)
                else:  # a fresh clock has no pause: its times depend on these alone
                    key = (
                        now,
                        clock.target_seconds,
                        clock.counting,
                        clock.calendar_id,
                        clock.at_risk_percent,
                    )
                    if key not in settings.times:
                        compute_times(clock, now)
                        settings.times[key] = (clock.due_at, clock.warn_at)
                    clock.due_at, clock.warn_at = settings.times[key]
                case.sla_clocks.append(clock)
                db.session.add(clock)
                clocks.append(clock)
    refresh_next_due(case)
    return clocks


def on_status_change(
    case: Case, from_status: Status, to_status: Status, is_reopening: bool, now: datetime
) -> None:
    """Pause, resume, stop, cancel or start clocks for a status change (see the table above)."""
    with db.session.no_autoflush:
        _on_status_change(case, from_status, to_status, is_reopening, now)


def _on_status_change(case, from_status, to_status, is_reopening, now) -> None:
    open_clocks = [clock for clock in case.sla_clocks if clock.stopped_at is None]
    if to_status is Status.waiting:
        for clock in open_clocks:
            pause(clock, now)
    elif from_status is Status.waiting:
        for clock in open_clocks:
            resume(clock, now)
    if is_reopening:
        for clock in open_clocks:
            cancel(clock, now)
        restart = METRICS if to_status in (Status.received, Status.verifying) else METRICS[1:]
        start_cycle(case, now, restart)
        return
    for clock in open_clocks:
        if clock.metric in COMPLETES.get(to_status, ()):
            stop(clock, now)
        elif clock.metric in CANCELS.get(to_status, ()):
            cancel(clock, now)
    refresh_next_due(case)


# -- one clock ------------------------------------------------------------------------


def compute_times(clock: SlaClock, now: datetime) -> None:
    """Set due_at and warn_at from the target, the calendar and every pause."""
    arguments = (clock.started_at, clock.target_seconds, clock.counting, _calendar(clock))
    pauses = _pauses(clock)
    clock.due_at = maths.due_at(*arguments, pauses=pauses, now=now)
    clock.warn_at = maths.warn_at(
        *arguments, pauses=pauses, now=now, at_risk_fraction=clock.at_risk_percent / 100
    )


def pause(clock: SlaClock, now: datetime) -> None:
    """Stop counting until `resume`; a breach already noticed stays a breach."""
    if clock.stopped_at is not None or clock.paused_at is not None:
        return
    clock.elapsed_seconds = _elapsed(clock, now)
    clock.paused_at = now
    if clock.state == ClockState.running:
        clock.state = ClockState.paused.value


def resume(clock: SlaClock, now: datetime) -> None:
    """End the pause; the due time moves later by the counted time it covered."""
    if clock.paused_at is None:
        return
    paused_at = clock.paused_at
    clock.paused_seconds = (clock.paused_seconds or 0) + max(0, _counted(clock, paused_at, now))
    clock.pauses = [*(clock.pauses or []), [paused_at.isoformat(), now.isoformat()]]
    clock.paused_at = None
    if clock.state == ClockState.paused:
        clock.state = ClockState.running.value
    compute_times(clock, now)
    _reset_flags(clock, now)


def stop(clock: SlaClock, now: datetime) -> None:
    """The metric is reached: met if on time, else breached."""
    if clock.stopped_at is not None:
        return
    resume(clock, now)
    clock.elapsed_seconds = _elapsed(clock, now)
    clock.stopped_at = now
    if now <= clock.due_at:
        clock.state = ClockState.met.value
    else:
        clock.state = ClockState.breached.value
        clock.breached_at = clock.breached_at or now


def cancel(clock: SlaClock, now: datetime) -> None:
    """The metric is no longer owed; a breach that already happened stays on record."""
    if clock.stopped_at is not None:
        return
    resume(clock, now)
    clock.elapsed_seconds = _elapsed(clock, now)
    clock.stopped_at = now
    if clock.state != ClockState.breached:
        clock.state = ClockState.cancelled.value


def refresh_next_due(case: Case) -> None:
    dues = [clock.due_at for clock in case.sla_clocks if clock.stopped_at is None]
    case.next_due_at = min(dues) if dues else None


# -- what users see -------------------------------------------------------------------


@dataclass(frozen=True)
class ClockView:
    """A clock as shown at one instant: live state and time left."""

    metric: str
    cycle: int
    state: str
    counting: str
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    target_seconds: int
    remaining_seconds: int
    paused_seconds: int
    at_risk: bool
    #: Paused now (a late clock can be paused too): its countdown stands still.
    paused: bool = False
    #: The calendar a working-time clock counts in (None around the clock).
    calendar_id: int | None = None
    warn_at: datetime | None = None

    @property
    def level(self) -> str:
        """ok, risk, late, paused, met or cancelled: the countdown's colour and wording."""
        if self.state == ClockState.breached:
            return "late"
        if self.state in (ClockState.running, ClockState.paused) and self.at_risk:
            return "risk"
        return {"running": "ok"}.get(self.state, self.state)

    def as_dict(self) -> dict:
        return {
            "metric": self.metric,
            "cycle": self.cycle,
            "due_at": self.due_at.isoformat(),
            "state": self.state,
            "remaining_seconds": self.remaining_seconds,
            "paused_seconds": self.paused_seconds,
            "target_seconds": self.target_seconds,
            "counting": self.counting,
            "at_risk": self.at_risk,
            "started_at": self.started_at.isoformat(),
            "stopped_at": self.stopped_at.isoformat() if self.stopped_at else None,
        }


def view(clock: SlaClock, now: datetime | None = None, counted=None) -> ClockView:
    """`counted(clock, start, end)` may replace the calendar walk (countdown.PageClocks)."""
    now = now or utcnow()
    counted = counted or _counted
    paused_seconds = clock.paused_seconds or 0
    if clock.stopped_at is not None:
        state, remaining = clock.state, clock.target_seconds - clock.elapsed_seconds
    elif clock.paused_at is not None:
        state = ClockState.breached.value if clock.state == ClockState.breached else "paused"
        remaining = clock.target_seconds - clock.elapsed_seconds
        paused_seconds += max(0, counted(clock, clock.paused_at, now))
    else:
        late = clock.state == ClockState.breached or now > clock.due_at
        state = ClockState.breached.value if late else ClockState.running.value
        remaining = counted(clock, now, clock.due_at)
    threshold = clock.target_seconds * clock.at_risk_percent / 100
    at_risk = state in ("running", "paused") and (
        now >= clock.warn_at if state == "running" else remaining <= threshold
    )
    return ClockView(
        metric=clock.metric,
        cycle=clock.cycle,
        state=state,
        counting=clock.counting,
        started_at=clock.started_at,
        due_at=clock.due_at,
        stopped_at=clock.stopped_at,
        target_seconds=clock.target_seconds,
        remaining_seconds=remaining,
        paused_seconds=paused_seconds,
        at_risk=at_risk,
        paused=clock.paused_at is not None,
        calendar_id=clock.calendar_id if clock.counting == WORKING else None,
        warn_at=clock.warn_at,
    )


def case_views(case: Case, now: datetime | None = None) -> list[ClockView]:
    """Every clock of the case, oldest cycle first."""
    now = now or utcnow()
    return [view(clock, now) for clock in case.sla_clocks]


def next_view(case: Case, now: datetime | None = None) -> ClockView | None:
    """The open clock due first: what the queue's countdown shows."""
    open_clocks = [clock for clock in case.sla_clocks if clock.stopped_at is None]
    if not open_clocks:
        return None
    return view(min(open_clocks, key=lambda clock: clock.due_at), now)


# -- recomputing after an admin change ------------------------------------------------


def recompute_open_clocks(
    *,
    calendar_ids: list[int] | None = None,
    rematch: bool = False,
    now: datetime | None = None,
    batch_size: int = 500,
) -> int:
    """Recompute the open clocks after a policy or calendar change; returns how many.

    `rematch` finds each case's policy again (an edit, a new policy or a new
    order can change which one matches); otherwise only the clocks counted on
    `calendar_ids` are recomputed. Committed batch by batch; the cases' versions
    stay as they are, so nobody's open form goes stale.
    """
    now = now or utcnow()
    policies = ordered_policies(active_only=True)
    default_id = _default_calendar_id()
    statement = (
        select(SlaClock)
        .where(SlaClock.stopped_at.is_(None))
        .options(selectinload(SlaClock.case))
        .order_by(SlaClock.id)
        .limit(batch_size)
    )
    if not rematch:
        statement = statement.where(SlaClock.calendar_id.in_(calendar_ids or []))
    done, last_id = 0, 0
    while clocks := list(db.session.scalars(statement.where(SlaClock.id > last_id))):
        for clock in clocks:
            if rematch:
                policy = match_policy(clock.case, policies)
                if policy is None or not _apply_policy(clock, policy, default_id):
                    cancel(clock, now)
                    continue
            compute_times(clock, now)
            _reset_flags(clock, now)
        db.session.flush()
        _store_next_due({clock.case_id for clock in clocks})
        db.session.commit()
        done += len(clocks)
        last_id = clocks[-1].id
    return done


def _store_next_due(case_ids: set[int]) -> None:
    earliest = (
        select(func.min(SlaClock.due_at))
        .where(SlaClock.case_id == Case.id, SlaClock.stopped_at.is_(None))
        .scalar_subquery()
    )
    db.session.execute(
        update(Case.__table__).where(Case.__table__.c.id.in_(case_ids)).values(next_due_at=earliest)
    )


# -- helpers --------------------------------------------------------------------------


def _apply_policy(clock: SlaClock, policy: SlaPolicy, default_calendar_id: int | None) -> bool:
    """Copy the policy's target for the clock's metric; False when it sets none."""
    minutes, counting = policy.target(clock.metric)
    if not minutes:
        return False
    clock.policy_id = policy.id
    clock.target_seconds = minutes * 60
    clock.counting = counting
    clock.at_risk_percent = policy.at_risk_percent
    clock.calendar_id = policy.calendar_id or default_calendar_id
    return True


def _default_calendar_id() -> int | None:
    row = default_calendar_row()
    return row.id if row is not None else None


def _calendar(clock: SlaClock) -> Calendar | None:
    return calendar_for(clock.calendar_id) if clock.counting == WORKING else None


def _pauses(clock: SlaClock) -> list[maths.Pause]:
    pauses = [
        (datetime.fromisoformat(start), datetime.fromisoformat(end))
        for start, end in clock.pauses or []
    ]
    if clock.paused_at is not None:
        pauses.append((clock.paused_at, None))
    return pauses


def _elapsed(clock: SlaClock, until: datetime) -> int:
    return maths.elapsed_seconds(
        clock.started_at, until, clock.counting, _calendar(clock), pauses=_pauses(clock)
    )


def _counted(clock: SlaClock, start: datetime, end: datetime) -> int:
    """Counted seconds from start to end (negative when end is earlier)."""
    if clock.counting == WORKING:
        return maths.working_seconds_between(_calendar(clock), start, end)
    return int((end - start).total_seconds() // 1)


def _reset_flags(clock: SlaClock, now: datetime) -> None:
    """After the due time moved: a clock no longer at risk or late may be flagged again."""
    if clock.stopped_at is not None:
        return
    if clock.state == ClockState.breached and now <= clock.due_at:
        clock.state = (ClockState.paused if clock.paused_at else ClockState.running).value
        clock.breached_at = None
    if clock.warned_at is not None and now < clock.warn_at:
        clock.warned_at = None
