"""The queue's desk: saved filters per user, the "overdue" filter, folded filters and the data
the countdowns tick from."""

import json
import re
from datetime import datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from marshmallow import ValidationError

from app.cases import operations, saved_filters
from app.cases.saved_filters import SavedFilter
from app.extensions import db
from app.models import utcnow

HCMC = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture(autouse=True)
def _wednesday_morning():
    """Wednesday 9 December 2026, 10:00 in Ho Chi Minh City (inside working hours)."""
    with time_machine.travel(datetime(2026, 12, 9, 10, 0, tzinfo=HCMC), tick=False):
        yield


def _csrf(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def _saved_links(page: str) -> dict[str, str]:
    """name -> href of the saved-filter links on a queue page."""
    block = page.split('class="saved-filter-list"', 1)
    if len(block) < 2:
        return {}
    block = block[1].split("</ul>", 1)[0]
    return {
        unescape(name): unescape(href)
        for href, name in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block)
    }


def _save(client, name, filters):
    page = client.get("/cases").get_data(as_text=True)
    return client.post(
        "/cases/saved-filters",
        data={"csrf_token": _csrf(page), "name": name, "filters": filters},
    )


@pytest.fixture
def admin(create_user):
    return create_user("admin", unit_code="UBND-TP")


def _open(admin, title, ago=timedelta(0), **values):
    data = {"title": title, "category": "infrastructure", "unit": "SO-XD", **values}
    return operations.create_case(admin, data, now=utcnow() - ago)


def test_saving_listing_and_using_a_saved_filter(client, create_user, login, admin):
    me = create_user("officer", full_name="Lê Thu Hà", locale="en")
    login(me)
    mine = _open(admin, "Sập cống đường số 7", priority="P1")
    operations.assign(mine, me, admin, version=mine.version)
    _open(admin, "Cây đổ chắn đường", priority="P1")  # P1 but not mine
    not_p1 = _open(admin, "Đèn đường hỏng", priority="P3")
    operations.assign(not_p1, me, admin, version=not_p1.version)

    response = _save(client, "  Vụ P1   của tôi ", "priority=P1&assignee=me&page=3")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cases?priority=P1&assignee=me")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Filter “Vụ P1 của tôi” saved." in page
    links = _saved_links(page)
    assert links == {"Vụ P1 của tôi": "/cases?priority=P1&assignee=me"}

    listed = client.get(links["Vụ P1 của tôi"]).get_data(as_text=True)
    assert "Sập cống đường số 7" in listed
    assert "Cây đổ chắn đường" not in listed
    assert "Đèn đường hỏng" not in listed


def test_saving_the_same_name_again_replaces_the_filters(client, create_user, login):
    login(create_user("officer", locale="en"))
    _save(client, "Của tôi", "assignee=me")
    _save(client, "Của tôi", "assignee=me&priority=P2")

    links = _saved_links(client.get("/cases").get_data(as_text=True))

    assert links == {"Của tôi": "/cases?priority=P2&assignee=me"}


def test_another_users_saved_filters_are_not_shown_nor_deletable(app, client, create_user, login):
    owner = create_user("officer")
    login(owner)
    _save(client, "Vụ P1 của tôi", "priority=P1&assignee=me")
    theirs = db.session.scalar(db.select(SavedFilter))

    other = app.test_client()
    login(create_user("officer", locale="en"), other)
    page = other.get("/cases").get_data(as_text=True)
    assert "Vụ P1 của tôi" not in page
    assert _saved_links(page) == {}

    response = other.post(
        f"/cases/saved-filters/{theirs.id}/delete", data={"csrf_token": _csrf(page)}
    )
    assert response.status_code == 303
    assert "No such saved filter." in other.get("/cases").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(SavedFilter, theirs.id) is not None


def test_deleting_a_saved_filter(client, create_user, login):
    login(create_user("officer", locale="en"))
    _save(client, "Chưa giao", "assignee=none")
    _save(client, "Vụ P1", "priority=P1")
    saved = db.session.scalar(db.select(SavedFilter).where(SavedFilter.name == "Chưa giao"))
    page = client.get("/cases").get_data(as_text=True)

    response = client.post(
        f"/cases/saved-filters/{saved.id}/delete", data={"csrf_token": _csrf(page)}
    )

    assert response.status_code == 303
    page = client.get("/cases").get_data(as_text=True)
    assert "Saved filter deleted." in page
    assert _saved_links(page) == {"Vụ P1": "/cases?priority=P1"}


def test_saving_and_deleting_need_the_csrf_token(client, create_user, login):
    login(create_user("officer"))
    _save(client, "Vụ P1", "priority=P1")
    saved = db.session.scalar(db.select(SavedFilter))

    assert (
        client.post("/cases/saved-filters", data={"name": "X", "filters": "priority=P2"})
    ).status_code == 400
    assert client.post(f"/cases/saved-filters/{saved.id}/delete").status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(SavedFilter)) == 1


@pytest.mark.parametrize(
    ("name", "filters", "message"),
    [
        ("", "priority=P1", "Give the saved filter a name."),
        ("Trang 2", "page=2", "Set at least one filter before saving."),
        ("Sai", "priority=P9", "These filters are not valid; nothing was saved."),
    ],
)
def test_a_filter_that_cannot_be_saved_says_why(client, create_user, login, name, filters, message):
    login(create_user("officer", locale="en"))

    response = _save(client, name, filters)

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(db.select(db.func.count()).select_from(SavedFilter)) == 0


def test_the_overdue_filter_lists_cases_past_a_deadline(client, create_user, login, admin):
    """ "Overdue in my unit": P2 is verified within 4 working hours; opened two days ago, late."""
    login(create_user("officer"))
    _open(admin, "Ống nước vỡ lâu ngày", ago=timedelta(days=2), priority="P2")
    _open(admin, "Ổ gà mới báo", priority="P2")

    late = client.get("/cases?sla=late&unit=SO-XD").get_data(as_text=True)
    every = client.get("/cases?unit=SO-XD").get_data(as_text=True)

    assert "Ống nước vỡ lâu ngày" in late
    assert "Ổ gà mới báo" not in late
    assert "Ổ gà mới báo" in every


def test_normalized_query_keeps_only_checked_filters(app_context):
    assert (
        saved_filters.normalized_query("page=4&per_page=50&status=received,verifying&sla=late&x=1")
        == "status=received&status=verifying&sla=late"
    )
    with pytest.raises(ValidationError):
        saved_filters.normalized_query("assignee=someone")


def test_filters_are_folded_until_one_is_set(client, create_user, login):
    login(create_user("officer"))

    plain = client.get("/cases").get_data(as_text=True)
    searched = client.get("/cases?q=cong").get_data(as_text=True)
    filtered = client.get("/cases?priority=P1").get_data(as_text=True)

    assert '<details class="filter-panel" id="filter-panel">' in plain
    assert '<details class="filter-panel" id="filter-panel">' in searched
    assert '<details class="filter-panel" id="filter-panel" open>' in filtered


def _countdown_attributes(page: str) -> dict:
    tag = re.search(r'<span class="sla [^"]*"[^>]*data-countdown[^>]*>', page).group(0)
    return {k: unescape(v) for k, v in re.findall(r'(data-[a-z-]+)="([^"]*)"', tag)}


def test_a_running_countdown_carries_what_the_script_needs(client, create_user, login, admin):
    login(create_user("officer", locale="en"))
    case = _open(admin, "Đèn đường hỏng hẻm 5", priority="P2")

    page = client.get("/cases").get_data(as_text=True)

    attributes = _countdown_attributes(page)
    assert datetime.fromisoformat(attributes["data-now"]) == utcnow()
    assert datetime.fromisoformat(attributes["data-due"]) == case.next_due_at
    assert 0 < int(attributes["data-remaining"]) <= 4 * 3600
    # Working time: today's working slots from now on; lunch is not counted.
    windows = json.loads(attributes["data-windows"])
    assert windows[0][0] == utcnow().isoformat()
    assert all(datetime.fromisoformat(end) > datetime.fromisoformat(s) for s, end in windows)
    # The words the script uses, in the page's language.
    words = re.search(r'<div id="sla-words" hidden([^>]*)>', page).group(1)
    assert 'data-left="%(time)s left"' in words
    assert 'data-hours="%(hours)d h %(minutes)02d min"' in words

    detail = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "data-countdown" in detail
    assert 'id="shortcut-help"' in detail


def test_a_paused_or_stopped_countdown_does_not_tick(client, create_user, login, admin):
    login(create_user("officer"))
    case = _open(admin, "Chờ ý kiến sở", priority="P2")
    for step in ("verifying", "in_progress", "waiting"):
        operations.transition(case, step, admin, version=case.version)

    detail = client.get(f"/cases/{case.id}").get_data(as_text=True)

    assert "sla-paused" in detail or "sla-met" in detail
    assert "data-countdown" not in detail
