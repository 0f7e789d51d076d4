"""A small fixed set of cases whose handling times the tests compute by hand.

Working calendar: the default one, Monday–Friday 07:30–11:30 and 13:00–17:00 in
Asia/Ho_Chi_Minh (8 working hours a day); no holiday in these December 2026 weeks.
SLA targets (the shipped defaults): P3 verify 8 working h, resolve 40 working h, respond
56 working h; P1 (around the clock) verify 1 h, resolve 24 h; P4 here has no verify target.

Monday 7 December 2026 is a working Monday. All times below are local.

case unit   cat.        pri  path (local times)                         verified           resolved
---- ------ ----------- ---- ------------------------------------------ ------------------ -------------------
A    SO-XD  flooding    P3   Mon 08:00 opened, 08:30 verifying,          2 w / 2 c, met     10 w / 26 c, met
                             10:00 in_progress, Tue 10:00 resolved,
                             Tue 15:00 responded (13.5 w / 31 c, met)
B    SO-XD  flooding    P3   Mon 08:00, 09:00 verifying, 14:00           4.5 w / 6 c, met   30.5 w / 104 c, met
                             in_progress, Tue 09:00 waiting, Wed 09:00
                             in_progress, Fri 11 Dec 16:00 resolved
C    SO-YT  health      P3   Mon 08:00, 09:00 verifying, Tue 10:00       10 w / 26 c,       43.5 w / 172 c,
                             in_progress, Mon 14 Dec 12:00 resolved      breached           breached
D    SO-XD  traffic     P1   Sat 12 Dec 22:00, 22:30 verifying, 23:30    0 w / 1.5 c,       0 w / 26.5 c,
                             in_progress, Mon 14 Dec 00:30 resolved      breached           breached
E    SO-XD  flooding    P3   Mon 08:00, Mon 09:00 rejected (spam)        1 w / 1 c, met     —
F    SO-XD  urban_order P4   Mon 08:00, 09:00 verifying, 16:00           6.5 w / 8 c,       —
                             in_progress                                 no clock

(w = working hours, c = calendar hours)

- A resolved: Mon 08:00–11:30 + 13:00–17:00 = 7.5 h, Tue 07:30–10:00 = 2.5 h → 10 h.
- B verified: Mon 08:00–11:30 = 3.5 h + 13:00–14:00 = 1 h → 4.5 h. Resolved: Mon 7.5 h + Tue
  07:30–09:00 1.5 h (then waiting until Wed 09:00) + Wed 09:00–11:30 2.5 h + 13:00–17:00 4 h +
  Thu 8 h + Fri 07:30–11:30 4 h + 13:00–16:00 3 h = 30.5 h; calendar Mon 08:00 → Fri 16:00 = 104 h.
- C verified: Mon 7.5 h + Tue 2.5 h = 10 h > 8 h. Resolved: Mon 7.5 + Tue–Fri 4 × 8 + Mon 14
  07:30–11:30 4 = 43.5 h > 40 h; calendar 7 days 4 h = 172 h.
- D is on the weekend: no working time at all. Verified after 1.5 h > 1 h; resolved after 26.5 h
  > 24 h, at 00:30 local on Monday 14 December, which is still Sunday 13 December in UTC.
- F verified: Mon 08:00–11:30 = 3.5 h + 13:00–16:00 = 3 h → 6.5 h.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.cases import operations
from app.cases.sla.models import SlaPolicy
from app.cases.sla.policies import load_default_sla
from app.extensions import db

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=HCMC)


#: case -> (unit, category, priority, opened, [(status, at), ...])
CASES = {
    "A": (
        "SO-XD",
        "flooding",
        "P3",
        local(7, 8),
        [
            ("verifying", local(7, 8, 30)),
            ("in_progress", local(7, 10)),
            ("resolved", local(8, 10)),
            ("responded", local(8, 15)),
        ],
    ),
    "B": (
        "SO-XD",
        "flooding",
        "P3",
        local(7, 8),
        [
            ("verifying", local(7, 9)),
            ("in_progress", local(7, 14)),
            ("waiting", local(8, 9)),
            ("in_progress", local(9, 9)),
            ("resolved", local(11, 16)),
        ],
    ),
    "C": (
        "SO-YT",
        "health",
        "P3",
        local(7, 8),
        [
            ("verifying", local(7, 9)),
            ("in_progress", local(8, 10)),
            ("resolved", local(14, 12)),
        ],
    ),
    "D": (
        "SO-XD",
        "traffic",
        "P1",
        local(12, 22),
        [
            ("verifying", local(12, 22, 30)),
            ("in_progress", local(12, 23, 30)),
            ("resolved", local(14, 0, 30)),
        ],
    ),
    "E": ("SO-XD", "flooding", "P3", local(7, 8), [("rejected", local(7, 9))]),
    "F": (
        "SO-XD",
        "urban_order",
        "P4",
        local(7, 8),
        [("verifying", local(7, 9)), ("in_progress", local(7, 16))],
    ),
}


def build(admin) -> dict:
    """Open and move the cases through the real operations; returns them by letter."""
    load_default_sla()
    p4 = db.session.scalar(select(SlaPolicy).where(SlaPolicy.priority == "P4"))
    p4.verify_minutes = None
    db.session.commit()
    cases = {}
    for letter, (unit, category, priority, opened, path) in CASES.items():
        case = operations.create_case(
            admin,
            {
                "title": f"Trường hợp {letter}",
                "category": category,
                "priority": priority,
                "unit": unit,
                "source": "citizen" if letter in "AB" else "facebook",
            },
            now=opened,
        )
        for status, at in path:
            operations.transition(
                case,
                status,
                admin,
                version=case.version,
                now=at,
                reject_reason="spam" if status == "rejected" else None,
                public_response="Đã nạo vét cống." if status == "responded" else None,
            )
        cases[letter] = case
    return cases
