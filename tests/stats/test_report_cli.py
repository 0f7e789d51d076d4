"""flask --app wsgi reports …"""

from sqlalchemy import select

from app.extensions import db
from app.stats.models import Report
from tests.stats import report_dataset
from tests.stats.test_reports import pdf_text

report_day = report_dataset.report_day


def test_generate_the_evening_report_of_a_day_as_pdf(runner, report_day, tmp_path):
    target = tmp_path / "evening.pdf"

    result = runner.invoke(
        args=["reports", "generate", "evening_report", "--date", "2026-11-27", "--pdf", str(target)]
    )

    assert result.exit_code == 0, result.output
    report = db.session.scalars(select(Report)).one()
    assert f"report {report.id}: Báo cáo tổng hợp dư luận" in result.output
    assert "new_cases: 4" in result.output
    # The day's report is made as at its scheduled time, 18:00 local.
    assert report.period_end.isoformat() == "2026-11-27T11:00:00+00:00"
    assert "Báo cáo tổng hợp dư luận" in pdf_text(target.read_bytes())


def test_generate_a_custom_report_in_english_as_xlsx(runner, report_day, tmp_path):
    target = tmp_path / "topic.xlsx"

    result = runner.invoke(
        args=[
            "reports",
            "generate",
            "custom",
            "--topic",
            "giá điện",
            "--from",
            "2026-11-20",
            "--to",
            "2026-11-27",
            "--xlsx",
            str(target),
            "--lang",
            "en",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Report on the topic “giá điện”" in result.output
    assert target.read_bytes().startswith(b"PK")


def test_bad_parameters_are_refused(runner, report_day):
    result = runner.invoke(args=["reports", "generate", "custom", "--case", "HCM-NONE-0000"])
    assert result.exit_code != 0 and "no case with code HCM-NONE-0000" in result.output

    result = runner.invoke(args=["reports", "generate", "morning_digest", "--topic", "rác"])
    assert result.exit_code != 0 and "for custom reports" in result.output

    result = runner.invoke(args=["reports", "generate", "custom", "--date", "2026-11-27"])
    assert result.exit_code != 0


def test_list_and_run_schedules(runner, app_context):
    result = runner.invoke(args=["reports", "run-schedules"])
    assert result.exit_code == 0, result.output

    listed = runner.invoke(args=["reports", "list"])
    assert listed.exit_code == 0
    assert listed.output.count("\n") == db.session.query(Report).count()
