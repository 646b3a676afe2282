from __future__ import annotations

import pytest

from tests.factories import TOTP_SECRET, UserFactory
from tests.search_engines import SEARCH_ENGINES


@pytest.fixture(autouse=True)
def fresh_pending_check():
    """Each test asks the task queue afresh: the search module caches the answer for a second."""
    from enlets.search.base import forget_pending_check

    forget_pending_check()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def totp_code():
    """A valid current TOTP code for the factories' shared secret."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    def code() -> str:
        counter = next(iter(yield_hotp_counters_from_time()))
        return format_hotp_value(hotp_value(TOTP_SECRET, counter))

    return code


@pytest.fixture(params=SEARCH_ENGINES)
def engine(request, settings, tmp_path) -> str:
    """A search test once per engine (tests/search_engines.py), with its own empty index folder."""
    settings.SEARCH_ENGINE = request.param
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    return request.param
