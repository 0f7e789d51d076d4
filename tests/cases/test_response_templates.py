"""Response templates: `{{ code }}`, `{{ ward }}`, `{{ due }}` filled per case, nothing evaluated."""

import html
from zoneinfo import ZoneInfo

from app.cases.models import CATEGORIES, ResponseTemplate
from app.cases.response_text import fill
from app.demo.cases import TEMPLATES, load_default_templates
from app.extensions import db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _offered(page: str) -> list[str]:
    """The texts the case page's template picker would put in the response box."""
    picker = page.split('id="template-picker"', 1)[1].split("</select>", 1)[0]
    return [html.unescape(value.split('"', 1)[0]) for value in picker.split('value="')[1:]]


def test_case_page_fills_the_variables_with_that_cases_values(
    client, create_user, login, create_case
):
    db.session.add(
        ResponseTemplate(
            category="flooding",
            title="Mẫu",
            body="Vụ {{ code }} tại {{ward}}, trả lời trước {{ due }}. {{ x }} {{ 7*7 }} {% if 1 %}",
        )
    )
    db.session.commit()
    case = create_case("resolved", unit_code="27478", ward="27478")
    other = create_case("resolved", unit_code="27478")
    respond = next(clock for clock in case.sla_clocks if clock.metric == "respond")
    due = respond.due_at.astimezone(HCM).strftime("%d/%m/%Y")
    login(create_user("officer", unit_code="27478"))

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)

    [text] = [value for value in _offered(page) if value.startswith("Vụ")]
    assert text == (
        f"Vụ {case.code} tại {case.ward.name_vi}, trả lời trước {due}. "
        "{{ x }} {{ 7*7 }} {% if 1 %}"
    )
    assert "49" not in text
    other_page = client.get(f"/cases/{other.id}").get_data(as_text=True)
    assert any(value.startswith(f"Vụ {other.code} tại —") for value in _offered(other_page))
    db.session.refresh(case)
    assert db.session.scalar(db.select(ResponseTemplate.body)).startswith("Vụ {{ code }}")


def test_fill_replaces_only_known_names_and_never_evaluates():
    values = {"code": "HCM-1", "ward": "{{ due }}", "due": "01/01/2027"}

    assert fill("{{code}}/{{ ward }}/{{  due  }}", values) == "HCM-1/{{ due }}/01/01/2027"
    assert fill("{{ 7*7 }} {{ config }} {{ code.upper() }}", values) == (
        "{{ 7*7 }} {{ config }} {{ code.upper() }}"
    )


def test_every_category_has_a_template_after_the_defaults_load(app_context):
    db.session.add(ResponseTemplate(category="flooding", title="Riêng", body="Của đơn vị."))
    db.session.commit()

    load_default_templates()
    load_default_templates()

    rows = db.session.scalars(db.select(ResponseTemplate)).all()
    assert {row.category for row in rows} == set(CATEGORIES)
    assert [row.title for row in rows if row.category == "flooding"] == ["Riêng"]
    assert len(rows) == len(CATEGORIES)
    assert {category for category, _title, _body in TEMPLATES} == set(CATEGORIES)
    assert any("{{ due }}" in row.body for row in rows if row.category == "traffic")
