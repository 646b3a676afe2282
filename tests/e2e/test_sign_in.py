"""Sign in with a password and then the TOTP second factor, in Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import totp_now
from tests.factories import TEST_PASSWORD, TOTP_SECRET, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_sign_in_with_password_then_totp_code(page: Any, live_server: Any) -> None:
    user = UserFactory(username="anna.devries", first_name="Anna", last_name="de Vries")

    response = page.goto("/")
    assert response is not None and response.ok
    # Not signed in: the dashboard sends the visitor to sign in first.
    assert "/accounts/login/" in page.url

    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    # The password alone does not sign in: the dashboard is still out of reach.
    assert "What is new" not in page.content()

    # A wrong code is refused and the person stays on the code step.
    right = totp_now(TOTP_SECRET)
    page.fill("input[name=code]", "000000" if right != "000000" else "111111")
    page.locator("form:has(input[name=code]) [type=submit]").first.click()
    page.wait_for_load_state()
    assert "/accounts/2fa/authenticate/" in page.url

    page.fill("input[name=code]", totp_now(TOTP_SECRET))
    page.locator("form:has(input[name=code]) [type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/")
    assert "Anna de Vries" in page.content()

    from enlets.core.models import AuditEvent

    # The sign-in is on the audit trail.
    assert AuditEvent.objects.filter(action="auth.login", actor=user).exists()


def test_wrong_password_does_not_reach_the_code_step(page: Any, live_server: Any) -> None:
    user = UserFactory(username="bert.jansen")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", "not the password at all")
    page.locator("form:has(input[name=password]) [type=submit]").first.click()
    page.wait_for_load_state()
    assert "/accounts/login/" in page.url
    assert "/accounts/2fa/" not in page.url
    # What was typed in the name field is kept.
    assert page.input_value("input[name=login]") == user.username


def test_the_guard_stops_requests_to_outside_hosts(new_context: Any, live_server: Any) -> None:
    """The no-outside-host check itself can fail: a navigation elsewhere is aborted and recorded."""
    page = new_context().new_page()
    page.goto("/accounts/login/")
    with pytest.raises(Exception, match=r"ERR_FAILED|ERR_ABORTED|net::"):
        page.goto("http://outside.invalid/tracker.js")
    guard = new_context.guard
    assert guard.outside == ["http://outside.invalid/tracker.js"]
    guard.outside.clear()  # recorded as it should be; the fixture's final check must pass
