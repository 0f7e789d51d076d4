"""Demo cases for `make run`: every status, realistic Vietnamese cases across units.

Cases are spread over the last `DAYS` days. Each one is opened and moved through the real
operations at backdated times drawn from a seeded lognormal distribution per stage, whose
median depends on the category and on the unit's pace, so handling-time medians and p90s
differ between units and categories as they do in a city. Idempotent.
"""

import json
import math
import random
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.cases import operations, response_text
from app.cases.models import Case, ResponseTemplate
from app.cases.sla.policies import load_default_sla
from app.collectors.base import PostData
from app.extensions import db
from app.models import utcnow
from app.units.models import LOCAL_KINDS, Unit
from app.users.models import User

DEMO_FILE = Path(__file__).with_name("demo_cases.json")
#: How far back the demo reaches.
DAYS = 60
SEED = 20261207
#: The external ids of the posts the hand-written cases were opened from.
CASE_POST_PREFIX = "democase-"

#: The walk from receipt to each status.
PATHS = {
    "received": [],
    "verifying": ["verifying"],
    "in_progress": ["verifying", "in_progress"],
    "waiting": ["verifying", "in_progress", "waiting"],
    "resolved": ["verifying", "in_progress", "resolved"],
    "responded": ["verifying", "in_progress", "resolved", "responded"],
    "closed": ["verifying", "in_progress", "resolved", "responded", "closed"],
    "rejected": ["rejected"],
}
NOTES = {
    "verifying": "Đã liên hệ người phản ánh để xác minh thông tin.",
    "in_progress": "Xác minh đúng sự việc, giao tổ công tác xử lý.",
    "waiting": "Chờ đơn vị liên quan phối hợp.",
    "resolved": "Đã xử lý xong tại hiện trường.",
    "closed": "Người dân xác nhận đã ổn.",
}
#: Default public-response templates, at least one per category; `{{ code }}`, `{{ ward }}` and
#: `{{ due }}` are filled per case on the case page (app/cases/response_text.py).
TEMPLATES = [
    (
        "flooding",
        "Đã nạo vét cống",
        "Phản ánh {{ code }}: đơn vị đã kiểm tra, nạo vét hệ thống thoát nước tại {{ ward }}. "
        "Cảm ơn người dân đã phản ánh.",
    ),
    (
        "traffic",
        "Đã điều tiết giao thông",
        "Phản ánh {{ code }}: lực lượng chức năng đã có mặt tại {{ ward }} để điều tiết giao thông "
        "và xử lý vi phạm; đơn vị sẽ tiếp tục theo dõi, trả lời đầy đủ trước {{ due }}.",
    ),
    (
        "environment",
        "Đã thu gom rác",
        "Phản ánh {{ code }}: đơn vị vệ sinh môi trường đã thu gom rác và tăng tần suất thu gom "
        "tại {{ ward }}.",
    ),
    (
        "urban_order",
        "Đã xử lý lấn chiếm",
        "Phản ánh {{ code }}: UBND {{ ward }} đã kiểm tra, lập biên bản và yêu cầu trả lại vỉa hè "
        "cho người đi bộ.",
    ),
    (
        "security",
        "Đã tăng cường tuần tra",
        "Phản ánh {{ code }}: công an {{ ward }} đã tiếp nhận, xác minh và tăng cường tuần tra "
        "tại khu vực. Người dân có thể gọi 113 khi cần hỗ trợ khẩn cấp.",
    ),
    (
        "infrastructure",
        "Đã sửa chữa",
        "Phản ánh {{ code }}: đơn vị duy tu đã sửa chữa hư hỏng tại {{ ward }}. "
        "Cảm ơn người dân đã phản ánh.",
    ),
    (
        "administrative",
        "Đã hướng dẫn thủ tục",
        "Phản ánh {{ code }}: UBND {{ ward }} đã kiểm tra hồ sơ, hướng dẫn người dân hoàn tất "
        "thủ tục và sẽ trả kết quả trước {{ due }}.",
    ),
    (
        "health",
        "Đã kiểm tra, xử lý",
        "Phản ánh {{ code }}: trạm y tế {{ ward }} đã phối hợp kiểm tra và xử lý theo quy định. "
        "Cảm ơn người dân đã phản ánh.",
    ),
    (
        "education",
        "Đã làm việc với nhà trường",
        "Phản ánh {{ code }}: phòng văn hóa – xã hội {{ ward }} đã làm việc với nhà trường "
        "và sẽ trả lời kết quả trước {{ due }}.",
    ),
    (
        "other",
        "Đã tiếp nhận, chuyển xử lý",
        "Phản ánh {{ code }} đã được tiếp nhận và chuyển đơn vị có thẩm quyền tại {{ ward }} "
        "xử lý; kết quả sẽ được công bố trước {{ due }}.",
    ),
]


#: Median hours of each stage (from the previous step) per category: verify (to in_progress),
#: resolve, respond (publish the answer) and close (the citizen confirms).
STAGE_HOURS = {
    "flooding": (3, 30, 8, 40),
    "traffic": (1.5, 6, 4, 24),
    "infrastructure": (8, 90, 10, 60),
    "environment": (6, 28, 8, 48),
    "urban_order": (14, 70, 12, 72),
    "security": (2, 20, 10, 48),
    "administrative": (30, 160, 24, 96),
    "health": (10, 48, 12, 72),
    "education": (24, 120, 24, 96),
    "other": (12, 60, 12, 72),
}
#: The spread of a stage's times (sigma of the log): a p90 about 2.8 times the median.
SIGMA = 0.8
#: How a case that triage opened ends up, if time allows: weights of each path.
OUTCOMES = (("closed", 50), ("responded", 15), ("resolved", 10), ("waiting", 8), ("rejected", 9),
            ("in_progress", 8))  # fmt: skip
REJECT_REASONS = ("duplicate", "out_of_scope", "false_information")


def unit_pace(unit_code: str) -> float:
    """How much slower (>1) or faster than the city's median a unit works; stable per unit."""
    rng = random.Random(zlib.crc32(unit_code.encode()))
    return math.exp(rng.gauss(0, 0.45))


def draw_hours(category: str, stage: int, pace: float, rng: random.Random) -> float:
    """One stage's duration in hours: lognormal around the category's median times the pace."""
    median = STAGE_HOURS.get(category, STAGE_HOURS["other"])[stage] * pace
    return max(0.1, rng.lognormvariate(math.log(median), SIGMA))


def draw_steps(
    category: str, unit_code: str, opened: datetime, path: list[str], rng: random.Random
) -> list[tuple[datetime, str]]:
    """The (time, status) steps of a case walking `path` from `opened`. Pure."""
    pace = unit_pace(unit_code)
    steps, at = [], opened
    for status in path:
        if status == "verifying":
            hours = rng.uniform(0.1, 0.3) * draw_hours(category, 0, pace, rng)
        elif status in ("in_progress", "rejected"):
            hours = draw_hours(category, 0, pace, rng)
        elif status == "waiting":
            hours = draw_hours(category, 1, pace, rng) / 3
        elif status == "resolved":
            hours = draw_hours(category, 1, pace, rng)
        elif status == "responded":
            hours = draw_hours(category, 2, pace, rng)
        else:
            hours = draw_hours(category, 3, pace, rng)
        at += timedelta(hours=hours)
        steps.append((at, status))
    return steps


def path_for(outcome: str) -> list[str]:
    """The walk from receipt to `outcome`; a case that waited goes on afterwards."""
    if outcome == "waiting":
        return ["verifying", "in_progress", "waiting", "in_progress", "resolved", "responded"]
    return list(PATHS[outcome])


def _actor_for(unit_id: int, fallback: User) -> User:
    user = db.session.scalar(
        select(User).where(User.unit_id == unit_id, User.role == "officer").order_by(User.id)
    )
    return user or fallback


@dataclass
class History:
    """Planned steps of the demo cases, applied in time order through the real operations."""

    admin: User
    rng: random.Random
    plans: dict[int, list] = field(default_factory=dict)
    extras: dict[int, dict] = field(default_factory=dict)
    applied: int = 0

    def plan(self, case: Case, path: list[str], extra: dict | None = None) -> list:
        steps = draw_steps(case.category, case.unit.code, case.created_at, path, self.rng)
        self.plans[case.id] = steps
        self.extras[case.id] = extra or {}
        return steps

    def plan_new(self, cases) -> None:
        """Plan the cases triage opened that have no plan yet (a random outcome each)."""
        names, weights = zip(*OUTCOMES, strict=True)
        for case in cases:
            if case.id not in self.plans:
                outcome = self.rng.choices(names, weights)[0]
                extra = {"reject": self.rng.choice(REJECT_REASONS)}
                self.plan(case, path_for(outcome), extra)

    def advance(self, until: datetime) -> None:
        """Apply every planned step due by `until`."""
        for case_id, steps in self.plans.items():
            while steps and steps[0][0] <= until:
                at, status = steps.pop(0)
                case = db.session.get(Case, case_id)
                if not self._step(case, at, status):
                    steps.clear()

    def _step(self, case: Case, at: datetime, status: str) -> bool:
        extra = self.extras.get(case.id, {})
        actor = _actor_for(case.unit_id, self.admin)
        if case.assignee_id is None and actor is not self.admin and status == "verifying":
            operations.assign(
                case, actor, self.admin, version=case.version, now=at - timedelta(minutes=5)
            )
        # Publishing a response may need approval: the admin approves as they publish.
        actor = self.admin if status == "responded" else actor
        try:
            operations.transition(
                case,
                status,
                actor,
                NOTES.get(status),
                version=case.version,
                reject_reason=(extra.get("reject") or "duplicate")
                if status == "rejected"
                else None,
                public_response=(extra.get("response") or _default_response(case))
                if status == "responded"
                else None,
                now=at,
            )
        except operations.CaseError:
            db.session.rollback()
            return False  # triage moved the case meanwhile (a repeat reopened it): stop here
        self.applied += 1
        return True


def _default_response(case: Case) -> str:
    for category, _title, body in TEMPLATES:
        if category == case.category:
            return response_text.fill(body, response_text.case_values(case))
    return "Đơn vị đã tiếp nhận và xử lý phản ánh. Cảm ơn người dân đã phản ánh."


def load_default_templates() -> str:
    """Add the default response templates of every category that has none; a summary line."""
    present = set(db.session.scalars(select(ResponseTemplate.category).distinct()))
    added = 0
    for category, title, body in TEMPLATES:
        if category not in present:
            db.session.add(ResponseTemplate(category=category, title=title, body=body))
            added += 1
    db.session.commit()
    return f"response templates: {added} added"


def demo_wards() -> list[str]:
    """The wards the hand-written cases name: the demo's places, for posts that name none."""
    entries = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return sorted({entry["ward"] for entry in entries if entry.get("ward")})


def _ward_for(entry: dict, rng: random.Random) -> str | None:
    """The entry's ward, else one the gazetteer reads in its text, else one of the demo's."""
    from app.triage.pipeline import place_of

    if entry.get("ward"):
        return entry["ward"]
    place = place_of(f"{entry['title']}. {entry['description']}")
    if place and place["wards"]:
        return rng.choice(place["wards"])["code"]
    unit = db.session.scalar(select(Unit).where(Unit.code == entry["unit"]))
    if unit is not None and unit.kind in [k.value for k in LOCAL_KINDS]:
        return unit.code
    return rng.choice(demo_wards())


def _opened_at(steps_hours: float, status: str, now: datetime, rng: random.Random) -> datetime:
    """When a hand-written case was opened so that its walk ends before `now`."""
    open_status = status in ("received", "verifying", "in_progress", "waiting")
    latest = now - timedelta(hours=steps_hours + 0.5)
    earliest = now - timedelta(days=2 if open_status else DAYS)
    if earliest >= latest:
        return latest
    return earliest + (latest - earliest) * rng.random()


def load_demo_cases(now: datetime | None = None) -> str:
    """Create the demo cases and response templates once; return a summary line."""
    from app.collectors.models import Post
    from app.collectors.operations import store_posts

    load_default_sla()
    load_default_templates()
    if db.session.scalar(select(func.count(Case.id))):
        return "demo cases: already there"
    admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
    if admin is None:
        return "demo cases: skipped (no admin user)"
    entries = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    now = now or utcnow()
    rng = random.Random(SEED)
    history = History(admin, rng)
    for index, entry in enumerate(entries):
        path = PATHS[entry["status"]]
        probe = draw_steps(entry["category"], entry["unit"], now, path, random.Random(index))
        span = (probe[-1][0] - now).total_seconds() / 3600 if probe else 0
        opened = _opened_at(span, entry["status"], now, rng)
        data = {**entry, "ward": _ward_for(entry, rng)}
        case = operations.create_case(admin, data, now=opened)
        # The post the case was opened from: its one mention, on its spread page.
        stats = store_posts([
            PostData(
                source=entry["source"], external_id=f"{CASE_POST_PREFIX}{index}",
                text=f"{entry['title']}. {entry['description']}", language="vi",
                posted_at=opened - timedelta(minutes=rng.randrange(10, 90)),
            )
        ])  # fmt: skip
        post = db.session.get(Post, stats.new_ids[0])
        post.case_id, post.triage_status, post.triaged_at = case.id, "done", opened
        post.is_relevant, post.category = True, case.category
        history.plans[case.id] = draw_steps(
            case.category, case.unit.code, opened, path, random.Random(index)
        )
        history.extras[case.id] = {"reject": entry.get("reject"), "response": entry.get("response")}
        db.session.commit()
    history.advance(now)
    return f"demo cases: {len(entries)} created over {DAYS} days, {history.applied} status changes"


def sync_mentions() -> int:
    """Set every case's mention count to the posts linked to it; return how many changed.

    Triage counts each post it links, so this is a check that nothing else moved the count."""
    from app.collectors.models import Post

    linked = dict(
        db.session.execute(
            select(Post.case_id, func.count(Post.id))
            .where(Post.case_id.is_not(None))
            .group_by(Post.case_id)
        ).all()
    )
    changed = 0
    for case in db.session.scalars(select(Case)):
        if case.mention_count != linked.get(case.id, 0):
            case.mention_count = linked.get(case.id, 0)
            changed += 1
    db.session.commit()
    return changed
