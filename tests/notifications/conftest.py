import re

import pytest

from tests.cases.conftest import (  # noqa: F401  (the case fixtures, shared)
    _sla_defaults,
    create_case,
    inline_jobs,
    outbox,
)


@pytest.fixture
def csrf(client):
    """The CSRF token of a signed-in client's pages."""

    def token() -> str:
        page = client.get("/notifications").get_data(as_text=True)
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)

    return token


@pytest.fixture
def notifications_page(client, login):
    """The text of /notifications as `user` sees it (in English)."""

    def page(user) -> str:
        login(user)
        return client.get("/notifications?lang=en").get_data(as_text=True)

    return page
