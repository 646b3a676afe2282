from __future__ import annotations

import pytest

from tests.factories import TOTP_SECRET, UserFactory


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
