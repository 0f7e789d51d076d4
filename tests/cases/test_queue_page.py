"""The queue page at scale: each row's countdown from the page's clocks, the ward list read once,
and as many queries for fifty rows as for one."""

import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import event

from app.cases import choices, operations
from app.cases.models import Case
from app.cases.sla import clocks
from app.cases.sla.countdown import PageClocks
from app.extensions import db
from app.models import utcnow
from app.units.models import Unit

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")
#: Phường Tân Thuận, Phường Bến Thành.
WARDS = ("27478", "26743")


@pytest.fixture(autouse=True)
def _friday_afternoon():
    """Friday 11 December 2026, 16:00 in Ho Chi Minh City: clocks run into the weekend."""
    with time_machine.travel(datetime(2026, 12, 11, 16, 0, tzinfo=HCMC), tick=False):
        yield


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


def _open(admin, title, ago=timedelta(0), **values):
    data = {"title": title, "category": "infrastructure", "unit": "SO-XD", **values}
    return operations.create_case(admin, data, now=utcnow() - ago)


def _cases_of_every_kind(admin) -> list[Case]:
    """Running, at risk, overdue, paused, one counted around the clock (P1), one long forgotten."""
    fresh = _open(admin, "Mới mở", priority="P3")
    old = _open(admin, "Mở từ tuần trước", ago=timedelta(days=9), priority="P2")
    # P2: 4 working hours to verify; opened at 11:00, 3.5 of them have passed by 16:00.
    risky = _open(admin, "Sắp trễ", ago=timedelta(hours=5), priority="P2")
    waiting = _open(admin, "Chờ phối hợp", ago=timedelta(days=1), priority="P3")
    for step in ("verifying", "in_progress", "waiting"):
        operations.transition(waiting, step, admin, version=waiting.version)
    urgent = _open(admin, "Cây đổ chắn đường", ago=timedelta(hours=2), priority="P1")
    # Weeks overdue: counted after the others, it takes the page's index further back.
    forgotten = _open(admin, "Bị bỏ quên", ago=timedelta(days=40), priority="P4")
    return [fresh, old, risky, waiting, urgent, forgotten]


def test_page_clocks_say_what_each_clock_says(app_context, admin):
    cases = _cases_of_every_kind(admin)
    later = utcnow() + timedelta(days=3, hours=5)
    for now in (utcnow(), later):
        page_clocks = PageClocks(now)
        for case in cases:
            for clock in case.sla_clocks:
                assert page_clocks.view(clock) == clocks.view(clock, now), (case.title, now)
            assert page_clocks.next_view(case.sla_clocks) == clocks.next_view(case, now)
    levels = {clocks.view(clock).level for case in cases for clock in case.sla_clocks}
    assert {"ok", "risk", "late", "paused"} <= levels


def _countdowns(page: str) -> dict[str, dict]:
    """Each row's countdown attributes and text, by case code."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        code = re.search(r'class="muted small case-code">([^< ]+)', row)
        span = re.search(r'<span class="sla ([^"]*)"([^>]*)>.*?data-sla-text>([^<]*)<', row)
        if code and span:
            attributes = dict(re.findall(r'(data-[a-z-]+)="([^"]*)"', span.group(2)))
            found[code.group(1)] = {
                "class": span.group(1),
                "text": unescape(span.group(3)),
                **{k: unescape(v) for k, v in attributes.items()},
            }
    return found


def test_each_row_counts_down_its_own_clock(client, create_user, login, admin):
    login(create_user("officer", locale="en"))
    cases = _cases_of_every_kind(admin)

    shown = _countdowns(client.get("/cases").get_data(as_text=True))

    assert set(shown) == {case.code for case in cases}
    for case in cases:
        view = clocks.next_view(case, utcnow())
        row = shown[case.code]
        assert row["class"] == f"sla-{view.level}"
        if view.paused:
            assert "data-remaining" not in row
            assert row["text"].startswith("Paused")
        else:
            assert int(row["data-remaining"]) == view.remaining_seconds
            assert datetime.fromisoformat(row["data-due"]) == view.due_at
            assert ("data-windows" in row) == (view.counting == "working")
    # Friday 16:00: the case opened now has its whole target left, most of it after the weekend.
    fresh = clocks.next_view(cases[0], utcnow())
    assert int(shown[cases[0].code]["data-remaining"]) == fresh.target_seconds


def _count_queries(client, url: str) -> int:
    statements = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    db.session.expunge_all()  # as in a request of its own: nothing loaded yet
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_fifty_rows_take_as_many_queries_as_three(client, create_user, login, admin):
    officer = create_user("officer")
    login(officer)
    for n in range(51):
        case = _open(admin, f"Ca số {n}", ago=timedelta(hours=n), ward=WARDS[n % len(WARDS)])
        if n % 3 == 0:
            operations.assign(case, officer, officer, version=case.version)
    client.get("/cases")

    # The first three rows have two wards and an assignee, as the fifty have.
    three = _count_queries(client, "/cases?per_page=3")
    fifty = _count_queries(client, "/cases?per_page=50")

    assert fifty == three


def test_the_ward_list_is_read_once_and_follows_changes(client, create_user, login, create_unit):
    login(create_user("officer"))
    first = client.get("/cases").get_data(as_text=True)
    assert ">Phường Bến Thành</option>" in first

    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        choices.ward_choices()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert statements == []

    ward = create_unit(kind="ward", name="Phường Thử Nghiệm Mới")
    page = client.get("/cases").get_data(as_text=True)
    assert f'<option value="{ward.code}">{ward.name_vi}</option>' in page


def test_renaming_a_ward_shows_at_once(client, create_user, login, unit_by_code):
    login(create_user("officer"))
    client.get("/cases")
    ward = unit_by_code("26743")
    old_name = ward.name_vi
    ward.name_vi = "Phường Đổi Tên"
    db.session.commit()
    try:
        page = client.get("/cases").get_data(as_text=True)
        assert '<option value="26743">Phường Đổi Tên</option>' in page
    finally:
        db.session.get(Unit, ward.id).name_vi = old_name
        db.session.commit()
    assert f'<option value="26743">{old_name}</option>' in client.get("/cases").get_data(
        as_text=True
    )


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_rows_words_and_dates_are_those_of_the_templates(app, language):
    from flask import render_template_string

    from app.cases.queue_rows import PageDates, PageWords
    from app.core import formatting

    with app.test_request_context(f"/cases?lang={language}"):
        words, dates = PageWords(), PageDates()
        code = 'HCM-<b>&"'
        assert words.gettext("Select %(code)s", code=code) == render_template_string(
            "{{ _('Select %(code)s', code=code) }}", code=code
        )
        for n in (2, 21):
            assert words.ngettext("%(num)d mention", "%(num)d mentions", n) == (
                render_template_string(
                    "{{ ngettext('%(num)d mention', '%(num)d mentions', n) }}", n=n
                )
            )
        moments = [
            utcnow(),
            datetime(2027, 2, 6, 23, 59),
            datetime(2026, 12, 31, 17, 30, tzinfo=HCMC),
        ]
        for moment in moments:
            assert dates(moment) == formatting.datetime_local(moment)
        assert dates(None) == formatting.datetime_local(None)
