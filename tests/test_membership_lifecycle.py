"""The membership lifecycle in the Django test client: invitation, acceptance, vetting, deactivation,
reactivation, ownership transfer and role change, each with its audit event."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from enlets.core.errors import NotAllowed
from enlets.core.models import AuditEvent
from enlets.documents.models import Document
from enlets.network import actions
from enlets.network.models import ApiToken, Invitation, Organisation, Role, User
from tests.factories import OrganisationFactory, UserFactory, country, make_document

pytestmark = pytest.mark.django_db

PASSWORD = "Ijzeren-Regen-Paraplu-2031"
LINK_RE = re.compile(r"https?://testserver(/network/invitations/accept/[A-Za-z0-9_\-]+/)")


def audited(action: str, **filters) -> bool:
    return AuditEvent.objects.filter(action=action, **filters).exists()


@pytest.fixture
def nl_police() -> Organisation:
    return OrganisationFactory(name="Politie Eenheid Rotterdam", country=country("NL"))


@pytest.fixture
def ncp_nl() -> User:
    return UserFactory(role=Role.NCP, organisation=OrganisationFactory(country=country("NL")))


def invite(client, **data):
    return client.post(
        reverse("network:invitations"), {"first_name": "Lotte", "last_name": "Bakker", "role": Role.MEMBER, **data}
    )


def invitation_link(client, ncp, organisation, mailoutbox, email="lotte@politie.example") -> str:
    client.force_login(ncp)
    invite(client, email=email, organisation=organisation.pk)
    client.logout()
    return LINK_RE.search(mailoutbox[-1].body).group(1)


# --- Inviting ----------------------------------------------------------------------------------------


def test_ncp_invites_a_member_of_their_country(client, ncp_nl, nl_police, mailoutbox):
    client.force_login(ncp_nl)
    page = client.get(reverse("network:invitations")).content.decode()
    assert "Politie Eenheid Rotterdam" in page
    response = invite(client, email="Lotte@Politie.example", organisation=nl_police.pk)
    assert response.status_code == 200
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.organisation, invitation.role, invitation.invited_by) == (
        "lotte@politie.example",
        nl_police,
        Role.MEMBER,
        ncp_nl,
    )
    # E-mailed to the invitee, with an absolute link; the same link is shown to the inviter once.
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["lotte@politie.example"]
    match = LINK_RE.search(mailoutbox[0].body)
    assert match
    page = response.content.decode()
    assert match.group(0) in page and "lotte@politie.example" in page
    # Only the token's hash is stored.
    token = match.group(1).rstrip("/").rsplit("/", 1)[-1]
    assert token not in invitation.token_hash
    assert audited("invitation.create", actor=ncp_nl, object_id=str(invitation.pk))
    # The link is not shown again.
    assert match.group(0) not in client.get(reverse("network:invitations")).content.decode()


def test_ncp_cannot_invite_for_another_country_or_as_secretariat(client, ncp_nl, nl_police, mailoutbox):
    bka = OrganisationFactory(name="Bundeskriminalamt", country=country("DE"))
    client.force_login(ncp_nl)
    page = client.get(reverse("network:invitations")).content.decode()
    assert "Bundeskriminalamt" not in page and 'value="secretariat"' not in page
    response = invite(client, email="klaus@bka.example", organisation=bka.pk)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert 'value="klaus@bka.example"' in response.content.decode()  # typed input kept
    response = invite(client, email="boss@politie.example", organisation=nl_police.pk, role=Role.SECRETARIAT)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists() and not mailoutbox
    # The action refuses too, whatever the form offers.
    with pytest.raises(NotAllowed):
        actions.do_invite(ncp_nl, email="klaus@bka.example", organisation=bka)
    with pytest.raises(NotAllowed):
        actions.do_invite(ncp_nl, email="boss@politie.example", organisation=nl_police, role=Role.SECRETARIAT)


def test_secretariat_invites_anyone_with_any_role(client, mailoutbox):
    secretariat = UserFactory(role=Role.SECRETARIAT)
    bka = OrganisationFactory(name="Bundeskriminalamt", country=country("DE"))
    client.force_login(secretariat)
    response = invite(client, email="ncp@bka.example", organisation=bka.pk, role=Role.NCP)
    assert response.status_code == 200
    assert Invitation.objects.get().role == Role.NCP and len(mailoutbox) == 1


def test_duplicate_invitation_shows_field_error(client, ncp_nl, nl_police):
    existing = UserFactory()
    client.force_login(ncp_nl)
    page = invite(client, email=existing.email, organisation=nl_police.pk).content.decode()
    assert "already has an account" in page and not Invitation.objects.exists()


def test_people_without_the_right_cannot_open_invitations(client):
    for role in (Role.MEMBER, Role.CORE_GROUP, Role.OBSERVER, Role.EXTERNAL_PARTNER):
        client.force_login(UserFactory(role=role))
        assert client.get(reverse("network:invitations")).status_code == 403, role
    client.force_login(UserFactory(role=Role.NCP, vetted_at=None))
    assert client.get(reverse("network:invitations")).status_code == 403


def test_revoke_invitation(client, ncp_nl, nl_police, mailoutbox):
    path = invitation_link(client, ncp_nl, nl_police, mailoutbox)
    invitation = Invitation.objects.get()
    url = reverse("network:invitation_revoke", args=[invitation.pk])
    # An NCP of another country neither sees nor revokes it.
    client.force_login(UserFactory(role=Role.NCP, organisation=OrganisationFactory(country=country("DE"))))
    assert client.post(url).status_code == 404
    client.force_login(ncp_nl)
    assert client.post(url)["Location"] == reverse("network:invitations")
    invitation.refresh_from_db()
    assert invitation.status == "revoked" and audited("invitation.revoke", actor=ncp_nl)
    client.logout()
    response = client.get(path)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


# --- Accepting ------------------------------------------------------------------------------------------


def test_accept_creates_an_unvetted_user_signed_in_and_sent_to_totp(client, ncp_nl, nl_police, mailoutbox):
    path = invitation_link(client, ncp_nl, nl_police, mailoutbox)
    page = client.get(path).content.decode()
    assert "Politie Eenheid Rotterdam" in page and 'value="Lotte"' in page
    response = client.post(
        path,
        {
            "username": "lotte.bakker",
            "first_name": "Lotte",
            "last_name": "Bakker",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp")
    user = User.objects.get(username="lotte.bakker")
    assert user.email == "lotte@politie.example" and user.organisation == nl_police and user.role == Role.MEMBER
    assert user.vetted_at is None and not user.is_community_member and user.check_password(PASSWORD)
    assert int(client.session["_auth_user_id"]) == user.pk
    assert audited("invitation.accept", actor=user) and audited("auth.login", actor=user)
    # Any other page sends them to the second-factor set-up first.
    assert client.get(reverse("dashboard"))["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    # The link works once.
    client.logout()
    response = client.post(path, {"username": "again", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 410 and not User.objects.filter(username="again").exists()


@pytest.mark.parametrize(
    "password1,password2,message",
    [
        ("short", "short", "too short"),
        ("password1234", "password1234", "too common"),
        ("839274619283746", "839274619283746", "entirely numeric"),
        (PASSWORD, PASSWORD + "x", "The two passwords differ"),
    ],
)
def test_bad_password_shows_errors_and_creates_nothing(
    client, ncp_nl, nl_police, mailoutbox, password1, password2, message
):
    path = invitation_link(client, ncp_nl, nl_police, mailoutbox)
    users = User.objects.count()
    response = client.post(
        path, {"username": "lotte.bakker", "first_name": "Lotte", "password1": password1, "password2": password2}
    )
    page = response.content.decode()
    assert response.status_code == 200 and message in page
    assert 'value="lotte.bakker"' in page  # typed input kept (never the password)
    assert f'value="{password1}"' not in page
    assert User.objects.count() == users and Invitation.objects.get().is_usable
    assert "_auth_user_id" not in client.session


def test_taken_username_is_a_field_error(client, ncp_nl, nl_police, mailoutbox):
    UserFactory(username="lotte")
    path = invitation_link(client, ncp_nl, nl_police, mailoutbox)
    page = client.post(path, {"username": "Lotte", "password1": PASSWORD, "password2": PASSWORD}).content.decode()
    assert "taken" in page and Invitation.objects.get().is_usable


def test_expired_and_unknown_tokens_are_refused(client, ncp_nl, nl_police, mailoutbox):
    path = invitation_link(client, ncp_nl, nl_police, mailoutbox)
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client.post(path, {"username": "late", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert not User.objects.filter(username="late").exists()
    response = client.get(reverse("network:accept_invitation", args=["not-a-real-token"]))
    assert response.status_code == 410 and 'name="username"' not in response.content.decode()


# --- Vetting ------------------------------------------------------------------------------------------------


def test_vetting_queue_and_vet(client, ncp_nl):
    newcomer = UserFactory(vetted_at=None, first_name="New", last_name="Comer")
    german = UserFactory(
        vetted_at=None, first_name="Neu", last_name="Ling", organisation=OrganisationFactory(country=country("DE"))
    )
    client.force_login(ncp_nl)
    page = client.get(reverse("network:vetting")).content.decode()
    assert "New Comer" in page and "Neu Ling" not in page
    client.force_login(UserFactory(role=Role.SECRETARIAT))
    page = client.get(reverse("network:vetting")).content.decode()
    assert "New Comer" in page and "Neu Ling" in page
    client.force_login(UserFactory())
    assert client.get(reverse("network:vetting")).status_code == 403

    # The NCP of Germany cannot vet a Dutch newcomer.
    client.force_login(UserFactory(role=Role.NCP, organisation=OrganisationFactory(country=country("DE"))))
    assert client.post(reverse("network:person_vet", args=[newcomer.username])).status_code == 403
    newcomer.refresh_from_db()
    assert newcomer.vetted_at is None

    client.force_login(ncp_nl)
    response = client.post(
        reverse("network:person_vet", args=[newcomer.username]), {"next": reverse("network:vetting")}
    )
    assert response["Location"] == reverse("network:vetting")
    newcomer.refresh_from_db()
    assert newcomer.vetted_by == ncp_nl and newcomer.is_community_member
    assert audited("user.vet", actor=ncp_nl, object_id=str(newcomer.pk))
    client.get(reverse("network:person", args=[newcomer.username]))  # consumes the success message
    assert "New Comer" not in client.get(reverse("network:vetting")).content.decode()
    # An outside `next` is ignored (no open redirect).
    second = UserFactory(vetted_at=None)
    response = client.post(reverse("network:person_vet", args=[second.username]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("network:person", args=[second.username])
    german.refresh_from_db()
    assert german.vetted_at is None


# --- Deactivation, reactivation, transfer, role -------------------------------------------------------------


def test_deactivation_ends_the_session_and_revokes_tokens(client, ncp_nl):
    leaving = UserFactory()
    actions.do_create_token(leaving, name="script")
    from django.test import Client

    their_client = Client()
    their_client.force_login(leaving)
    assert their_client.get(reverse("dashboard")).status_code == 200

    url = reverse("network:person_deactivate", args=[leaving.username])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(ncp_nl)
    page = client.get(url).content.decode()
    assert "Deactivate the account" in page
    leaving.refresh_from_db()
    assert leaving.is_active  # the GET only asks
    response = client.post(url, {"reason": "Left the police service"})
    assert response["Location"] == reverse("network:person", args=[leaving.username])
    leaving.refresh_from_db()
    assert not leaving.is_active and leaving.deactivated_at is not None
    assert ApiToken.objects.get(user=leaving).status == "revoked"
    event = AuditEvent.objects.get(action="user.deactivate", object_id=str(leaving.pk))
    assert event.actor == ncp_nl and event.changes["reason"] == [None, "Left the police service"]

    # Their next request finds them signed out: every page sends them to the sign-in page.
    for name in ("dashboard", "network:people", "network:settings_tokens"):
        response = their_client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name

    # Reactivation.
    assert client.post(reverse("network:person_reactivate", args=[leaving.username])).status_code == 302
    leaving.refresh_from_db()
    assert leaving.is_active and audited("user.reactivate", actor=ncp_nl)


def test_nobody_deactivates_themselves(client, ncp_nl):
    client.force_login(ncp_nl)
    assert client.post(reverse("network:person_deactivate", args=[ncp_nl.username])).status_code == 403
    ncp_nl.refresh_from_db()
    assert ncp_nl.is_active


def test_transfer_ownership(client, ncp_nl):
    leaving = UserFactory(is_active=False)
    heir = UserFactory(first_name="Heir")
    doc = make_document(leaving, title="Legacy note")
    url = reverse("network:person_transfer", args=[leaving.username])
    client.force_login(ncp_nl)
    page = client.get(url).content.decode()
    assert "1 documents" in page or "1 document" in page
    assert leaving.display_name not in page.split('name="to_person"')[1].split("</select>")[0]  # not offered
    response = client.post(url, {"to_person": leaving.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = client.post(url, {"to_person": heir.pk})
    assert response["Location"] == reverse("network:person", args=[leaving.username])
    doc.refresh_from_db()
    assert doc.owner == heir and doc.owner_organisation == heir.organisation
    assert audited("user.transfer_ownership", actor=ncp_nl, object_id=str(leaving.pk))
    assert Document.objects.filter(owner=leaving).count() == 0


def test_role_change_by_secretariat_only(client, ncp_nl):
    person = UserFactory()
    url = reverse("network:person_role", args=[person.username])
    client.force_login(ncp_nl)
    assert client.get(url).status_code == 403
    secretariat = UserFactory(role=Role.SECRETARIAT)
    client.force_login(secretariat)
    assert client.get(url).status_code == 200
    assert client.post(url, {"role": "emperor"}).status_code == 200
    response = client.post(url, {"role": Role.NCP})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.role == Role.NCP
    event = AuditEvent.objects.get(action="user.change_role", object_id=str(person.pk))
    assert event.changes["role"] == [Role.MEMBER, Role.NCP]
