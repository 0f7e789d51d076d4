"""Schemathesis over /api/v1/openapi.json, in-process: no input gets a 5xx or breaks the document.

Every operation of the document (cases, units, stats, trends, reports, triage and Open311)
is called with generated valid and invalid inputs and an admin's bearer token. A few cases
exist, and valid examples are often aimed at them (ids 1–3) and given a valid Open311
api_key, so that the handlers run past their 404s and 403s. FUZZ_EXAMPLES sets the number
of examples per operation and mode (default 12: about a minute on two cores); FUZZ_STATS=1
prints the status codes each operation answered.
"""

import os
import time
from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from app.extensions import db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, response_schema_conformance]
#: Path parameters that name a stored row; valid examples often name rows that exist.
ID_PARAMETERS = ("case_id", "report_id", "event_id")
SEEDED_CASES = 3


@pytest.fixture
def fuzz_world(app):
    """An admin with a token and a few cases. No app context stays pushed, so each request
    gets its own session, as in production."""
    from app.cases import operations
    from app.cases.sla.policies import load_default_sla
    from app.units.models import Unit
    from app.users.models import User
    from app.users.operations import issue_token

    with app.app_context():
        load_default_sla()
        admin = User(
            email="fuzz-admin@test.socialbeat.vn",
            role="admin",
            full_name="Fuzz Admin",
            unit=db.session.scalar(db.select(Unit).where(Unit.code == "UBND-TP")),
        )
        admin.set_password("correct-horse-battery")
        db.session.add(admin)
        db.session.commit()
        _, token = issue_token(admin, name="fuzz")
        for number in range(SEEDED_CASES):
            case = operations.create_case(
                admin,
                {
                    "title": f"Ngập sâu đường Nguyễn Hữu Cảnh {number}",
                    "category": "flooding",
                    "unit": "SO-XD",
                },
            )
            if number == 0:  # one answered case, so Open311 lists something
                for step in ("verifying", "in_progress", "resolved", "responded"):
                    operations.transition(
                        case,
                        step,
                        admin,
                        version=case.version,
                        public_response="Đã nạo vét cống." if step == "responded" else None,
                    )
        db.session.commit()
        db.session.remove()
    return token


def _aim(case, known: int, token: str) -> None:
    """Point a valid example at stored rows, and give Open311 posts a key that works."""
    for name in ID_PARAMETERS:
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = known
    if case.operation.path.startswith("/open311/") and isinstance(case.body, dict):
        case.body["api_key"] = token


def _run_operation(operation, token, mode, failures, statuses):
    headers = {"Authorization": f"Bearer {token}"}
    # Open311 paths declare their own server root ("/"); schemathesis takes the document's.
    base_url = "http://localhost/" if operation.path.startswith("/open311/") else None

    @given(
        case=operation.as_strategy(generation_mode=mode),
        known=st.sampled_from([None, *range(1, SEEDED_CASES + 1)]),
    )
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case, known):
        if known is not None and mode is GenerationMode.POSITIVE:
            _aim(case, known, token)
        where = f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}"
        try:
            response = case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
            statuses[(operation.label, response.status_code)] += 1
        except FailureGroup as group:
            for failure in group.exceptions:
                failures[(operation.label, failure.title)].append(f"{where}: {failure.message}")
        except AssertionError as error:  # a single failed check
            failures[(operation.label, type(error).__name__)].append(f"{where}: {error}")
        except Exception as error:  # noqa: BLE001 - TESTING propagates what would be a 500
            failures[(operation.label, f"server error {type(error).__name__}")].append(
                f"{where}: {error}"
            )

    run()


def test_no_input_gets_a_server_error_or_breaks_the_document(app, fuzz_world, keyword_classifier):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict = defaultdict(list)
    statuses: dict = defaultdict(int)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 26
    for operation in operations:
        started = time.monotonic()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run_operation(operation, fuzz_world, mode, failures, statuses)
        statuses[(operation.label, "seconds")] = round(time.monotonic() - started, 1)

    if os.environ.get("FUZZ_STATS"):
        for (label, status), count in sorted(statuses.items(), key=str):
            print(label, status, count)
    report = "\n".join(
        f"{label} — {title} ({len(found)}×): {found[0][:1500]}"
        for (label, title), found in sorted(failures.items())
    )
    assert not failures, report
