"""/public/units: on-time figures from the same clocks and period as /sla, running breaches late."""

import re
from datetime import timedelta

import pytest

from app.cases.sla import dashboard
from app.cases.sla.models import SlaClock
from app.extensions import db
from app.models import utcnow
from app.public import stats


def _respond_clock(case) -> SlaClock:
    return db.session.scalar(
        db.select(SlaClock).where(SlaClock.case_id == case.id, SlaClock.metric == "respond")
    )


@pytest.fixture
def construction(create_case):
    """Sở Xây dựng: one response on time, one public response 7 hours overdue and still awaited,
    and one response on time two months ago (outside the period)."""
    now = utcnow()
    on_time = create_case("responded", title="Cống nghẹt đã thông")
    late = create_case("in_progress", title="Ổ gà chưa ai trả lời")
    clock = _respond_clock(late)
    clock.warn_at, clock.due_at = now - timedelta(hours=9), now - timedelta(hours=7)
    old = create_case("responded", title="Ngập cũ")
    clock = _respond_clock(old)
    clock.due_at, clock.stopped_at = now - timedelta(days=59), now - timedelta(days=60)
    db.session.commit()
    return on_time, late, old


def _public_on_time(page: str, unit: str) -> str:
    row = re.search(rf"<tr>\s*<td[^>]*>{unit}</td>(.*?)</tr>", page, re.S).group(1)
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[3].strip()


def _sla_on_time(page: str, unit: str) -> tuple[str, str, str]:
    met, missed, bar = re.search(
        rf'<tr><td>{unit}</td><td class="num">(\d+)</td><td class="num">(\d+)</td><td>(.*?)</td></tr>',
        page,
        re.S,
    ).groups()
    return met, missed, bar.rsplit("</svg>", 1)[-1].strip()


def test_a_running_breach_counts_as_late_in_the_public_figures(app_context, construction):
    [row] = [f for f in stats.unit_figures(utcnow()) if f.unit.code == "SO-XD"]

    assert (row.met, row.breached, row.on_time_percent) == (1, 1, 50.0)


def test_public_on_time_figures_match_the_sla_dashboard(client, construction, create_user, login):
    _, late, _ = construction
    public = client.get("/public/units").get_data(as_text=True)
    login(create_user("admin", unit_code="UBND-TP"))
    sla = client.get(f"/sla?period={stats.PERIOD_DAYS}&metric=respond").get_data(as_text=True)

    met, missed, percent = _sla_on_time(sla, "Sở Xây dựng")
    assert (met, missed) == ("1", "1")
    assert _public_on_time(public, "Sở Xây dựng") == percent
    assert percent.startswith("50")  # not 100%: the overdue response counts
    assert late.code in sla  # the same response is listed as late there
    covered = stats.period(utcnow())
    counts = dashboard.on_time_counts_by_unit(covered.start, covered.end, "respond")
    assert counts[late.unit_id] == (1, 1)


def test_the_page_states_its_period(client, construction):
    page = client.get("/public/units?lang=en").get_data(as_text=True)
    covered = stats.period(utcnow())

    assert "The last 30 days, in whole weeks" in page
    assert f"{covered.start.day} " in page  # the first day of the period, "3 Nov 2026"
    assert "counts as late" in page
