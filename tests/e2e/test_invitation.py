"""Invitation only: an NCP of the Netherlands invites a member, who sets a password and a second factor."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from tests.e2e.conftest import sign_in_as, totp_now
from tests.factories import OrganisationFactory, UserFactory, country

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

INVITEE_EMAIL = "lotte.bakker@politie.example"
NEW_PASSWORD = "Ijzeren-Regen-Paraplu-2031"
ACCEPT_RE = re.compile(r"(?:https?://[^\s\"'<>]+)?(/network/invitations/accept/[A-Za-z0-9_\-]+/?)")


def _invitation_path(mailoutbox: list[Any], page_html: str) -> str:
    """The accept link, from the e-mail the invitee receives (or, failing that, the page)."""
    for message in mailoutbox:
        bodies = [message.body] + [alt[0] for alt in getattr(message, "alternatives", [])]
        for body in bodies:
            match = ACCEPT_RE.search(body)
            if match:
                assert INVITEE_EMAIL in message.to
                return match.group(1)
    match = ACCEPT_RE.search(page_html)
    assert match, "no invitation link in the e-mail or on the page"
    return match.group(1)


def test_ncp_invites_a_member_who_sets_password_and_totp(
    new_context: Any, live_server: Any, mailoutbox: list[Any]
) -> None:
    from allauth.mfa.models import Authenticator

    from enlets.network.models import Invitation, Role, User

    police = OrganisationFactory(name="Politie Eenheid Rotterdam", country=country("NL"))
    ncp = UserFactory(
        role=Role.NCP, first_name="Joost", last_name="Visser", organisation=OrganisationFactory(country=country("NL"))
    )

    # The NCP fills in the invitation form.
    ncp_context = new_context()
    sign_in_as(ncp_context, live_server, ncp)
    page = ncp_context.new_page()
    response = page.goto(reverse("network:invitations"))
    assert response is not None and response.status == 200
    page.fill("input[name=email]", INVITEE_EMAIL)
    if page.locator("input[name=first_name]").count():
        page.fill("input[name=first_name]", "Lotte")
        page.fill("input[name=last_name]", "Bakker")
    page.select_option("select[name=organisation]", str(police.pk))
    if page.locator("select[name=role]").count():
        page.select_option("select[name=role]", "member")
    page.locator("form:has(input[name=email]) [type=submit]").first.click()
    page.wait_for_load_state()
    invitation = Invitation.objects.get(email=INVITEE_EMAIL)
    assert invitation.invited_by == ncp and invitation.organisation == police and invitation.role == Role.MEMBER
    assert INVITEE_EMAIL in page.content()  # the pending invitation is listed
    path = _invitation_path(mailoutbox, page.content())

    # The invitee opens the link in a browser of their own.
    invitee_context = new_context()
    invitee = invitee_context.new_page()
    response = invitee.goto(path)
    assert response is not None and response.status == 200
    invitee.fill("input[name=username]", "lotte.bakker")
    for field in invitee.locator("input[type=password]").all():
        field.fill(NEW_PASSWORD)
    invitee.locator("form:has(input[name=username]) [type=submit]").first.click()

    # Signed in, and taken straight to setting up the second factor.
    invitee.wait_for_url("**/accounts/2fa/totp/activate/**")
    secret = invitee.input_value("#authenticator_secret").replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), secret
    invitee.fill("input[name=code]", totp_now(secret))
    invitee.locator("form:has(input[name=code]) [type=submit]").first.click()
    invitee.wait_for_load_state()
    assert "/accounts/2fa/totp/activate/" not in invitee.url

    user = User.objects.get(username="lotte.bakker")
    assert user.email == INVITEE_EMAIL and user.organisation == police and user.role == Role.MEMBER
    assert user.check_password(NEW_PASSWORD)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    # Not vetted yet: the NCP still has to confirm the person.
    assert user.vetted_at is None
    invitation.refresh_from_db()
    assert invitation.accepted_user == user and not invitation.is_usable

    # The link works once: a second use creates no account.
    again = new_context().new_page()
    again.goto(path)
    if again.locator("input[name=username]").count():
        again.fill("input[name=username]", "lotte.again")
        for field in again.locator("input[type=password]").all():
            field.fill(NEW_PASSWORD)
        again.locator("form:has(input[name=username]) [type=submit]").first.click()
        again.wait_for_load_state()
    assert not User.objects.filter(username="lotte.again").exists()
    assert "/accounts/2fa/" not in again.url
