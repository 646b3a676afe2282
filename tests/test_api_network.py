"""API v1: countries, organisations, people, interest groups, memberships and tokens."""

from __future__ import annotations

import pytest

from enlets.core.models import AuditEvent
from enlets.network.access import people_visible_to
from enlets.network.models import ApiToken, Country, GroupMembership, Organisation, Role
from tests.factories import InterestGroupFactory, OrganisationFactory, UserFactory, country, join
from tests.test_api_helpers import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def research_org():
    return OrganisationFactory(name="Institute of Research", kind=Organisation.Kind.RESEARCH)


# --- countries ---------------------------------------------------------------------------------------


def test_countries_list_filter_and_order(user):
    api = as_user(user)
    body = api.get("/countries", {"member_state": "true", "page_size": 100}).json()
    assert body["count"] == 27
    assert body["results"][0]["name"] == "Austria"
    body = api.get("/countries", {"q": "netherl"}).json()
    assert [c["code"] for c in body["results"]] == ["NL"]
    assert api.get("/countries", {"ordering": "-code", "page_size": 1}).json()["results"][0]["code"] == "SK"


def test_only_secretariat_adds_countries(user):
    assert as_user(user).post("/countries", {"code": "NO", "name": "Norway"}).status_code == 403
    secretariat = UserFactory(role=Role.SECRETARIAT)
    response = as_user(secretariat).post("/countries", {"code": "no", "name": "Norway"})
    assert response.status_code == 201, response.content
    assert response.json() == {"code": "NO", "name": "Norway", "is_member_state": False}
    assert Country.objects.filter(pk="NO").exists()
    duplicate = as_user(secretariat).post("/countries", {"code": "NO", "name": "Norway again"})
    assert duplicate.status_code == 422 and "code" in duplicate.json()["errors"]
    assert AuditEvent.objects.filter(action="country.create", object_id="NO").count() == 1


# --- organisations and people ----------------------------------------------------------------------------


def test_member_sees_the_directory_with_contact_details(user, research_org):
    colleague = UserFactory(organisation=OrganisationFactory(country=country("DE")), phone="+49 1")
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=research_org)
    gone = UserFactory(is_active=False)
    api = as_user(user)
    usernames = {p["username"] for p in api.get("/people", {"page_size": 200}).json()["results"]}
    assert {user.username, colleague.username, partner.username} <= usernames
    assert gone.username not in usernames
    person = api.get(f"/people/{colleague.username}").json()
    assert person["email"] == colleague.email and person["phone"] == "+49 1"
    assert person["country"] == "DE" and person["organisation"] == colleague.organisation_id
    assert api.get(f"/people/{gone.username}").status_code == 404
    assert api.get("/organisations", {"page_size": 200}).json()["count"] == Organisation.objects.count()


def test_external_partner_sees_only_their_organisation_and_no_contact_details(user, research_org):
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=research_org)
    colleague = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=research_org, phone="+31 2")
    api = as_user(partner)
    body = api.get("/people").json()
    assert {p["username"] for p in body["results"]} == {partner.username, colleague.username}
    assert body["count"] == 2
    assert api.get(f"/people/{user.username}").status_code == 404
    seen = api.get(f"/people/{colleague.username}").json()
    assert seen["email"] is None and seen["phone"] is None
    # Their own details they do see.
    assert api.get(f"/people/{partner.username}").json()["email"] == partner.email
    assert [o["id"] for o in api.get("/organisations").json()["results"]] == [research_org.pk]
    assert api.get(f"/organisations/{user.organisation_id}").status_code == 404
    assert api.get(f"/organisations/{research_org.pk}").json()["name"] == "Institute of Research"


def test_unvetted_person_sees_only_themselves(user):
    newcomer = UserFactory(vetted_at=None)
    assert [p["username"] for p in as_user(newcomer).get("/people").json()["results"]] == [newcomer.username]


def test_ncp_also_sees_deactivated_people_of_their_country(user):
    ncp = UserFactory(role=Role.NCP)  # NL, as the factory's organisations
    gone_nl = UserFactory(is_active=False)
    gone_de = UserFactory(is_active=False, organisation=OrganisationFactory(country=country("DE")))
    visible = set(people_visible_to(ncp).values_list("username", flat=True))
    assert gone_nl.username in visible and gone_de.username not in visible
    assert as_user(ncp).get(f"/people/{gone_nl.username}").json()["is_active"] is False


def test_people_filters_and_ordering(user):
    de = OrganisationFactory(country=country("DE"))
    ada = UserFactory(first_name="Ada", last_name="Aalders", organisation=de, role=Role.NCP)
    UserFactory(first_name="Zeno", last_name="Zwart", job_title="Drone pilot")
    api = as_user(user)

    def names(**params):
        response = api.get("/people", params)
        assert response.status_code == 200, response.content
        return [p["username"] for p in response.json()["results"]]

    assert names(country="de") == [ada.username]
    assert names(organisation=de.pk) == [ada.username]
    assert names(role="ncp") == [ada.username]
    assert names(q="drone")[0].startswith("person")
    assert names(ordering="last_name")[0] == ada.username
    assert names(ordering="-last_name")[0] != ada.username
    assert api.get("/people", {"role": "emperor"}).status_code == 422


def test_organisation_filters(user, research_org):
    api = as_user(user)
    assert [o["id"] for o in api.get("/organisations", {"kind": "research"}).json()["results"]] == [research_org.pk]
    assert api.get("/organisations", {"q": "Institute"}).json()["count"] == 1
    assert api.get("/organisations", {"country": "DE"}).json()["count"] == 0


# --- interest groups and memberships ---------------------------------------------------------------------------


def test_groups_and_join_flow(user):
    group = InterestGroupFactory(slug="osint", name="OSINT")
    chair = UserFactory()
    join(chair, group, chair=True)
    api = as_user(user)
    assert api.get("/groups").json()["results"][0]["slug"] == "osint"
    assert api.get("/groups/osint").json()["name"] == "OSINT"
    assert api.get("/groups/nope").status_code == 404

    response = api.post("/groups/osint/join", {"message": "I run OSINT training"})
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    assert response.json()["status"] == "requested"
    assert api.post("/groups/osint/join", {}).status_code == 422  # already asked

    # The request is seen by the chair and by the person who asked, not by other members.
    other = UserFactory()
    join(other, group)
    assert request_id not in [m["id"] for m in as_user(other).get("/groups/osint/memberships").json()["results"]]
    chair_view = as_user(chair).get("/groups/osint/memberships", {"status": "requested"}).json()["results"]
    assert [(m["user"], m["message"]) for m in chair_view] == [(user.username, "I run OSINT training")]

    assert as_user(other).post(f"/groups/osint/requests/{request_id}", {"approve": True}).status_code == 403
    response = as_user(chair).post(f"/groups/osint/requests/{request_id}", {"approve": True})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert GroupMembership.objects.get(pk=request_id).status == GroupMembership.Status.APPROVED
    assert api.get("/me").json()["groups"] == ["osint"]
    assert AuditEvent.objects.filter(action="group.membership_approve", actor=chair).exists()
    assert as_user(chair).post(f"/groups/osint/requests/{request_id}", {"approve": False}).status_code == 422
    assert as_user(chair).post("/groups/osint/requests/999999", {"approve": True}).status_code == 404


def test_external_partner_sees_only_their_groups(research_org):
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=research_org)
    mine = InterestGroupFactory(slug="mine")
    InterestGroupFactory(slug="theirs")
    join(partner, mine)
    api = as_user(partner)
    assert [g["slug"] for g in api.get("/groups").json()["results"]] == ["mine"]
    assert api.get("/groups/theirs").status_code == 404


# --- tokens -------------------------------------------------------------------------------------------------


def test_tokens_create_list_revoke(user):
    api = as_user(user)
    response = api.post("/tokens", {"name": "reporting script", "scope": "read", "expires_days": 30})
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("enl_") and created["scope"] == "read" and created["status"] == "active"
    listed = api.get("/tokens").json()
    assert {t["name"] for t in listed["results"]} == {"test", "reporting script"}
    assert all("secret" not in t and "key_hash" not in t for t in listed["results"])

    other = UserFactory()
    others_token = as_user(other).token
    assert api.delete(f"/tokens/{others_token.pk}").status_code == 404
    assert ApiToken.objects.get(pk=others_token.pk).revoked_at is None

    assert api.delete(f"/tokens/{created['id']}").status_code == 204
    assert ApiToken.objects.get(pk=created["id"]).status == "revoked"
    assert api.delete(f"/tokens/{created['id']}").status_code == 409
    assert [t["name"] for t in api.get("/tokens", {"status": "revoked"}).json()["results"]] == ["reporting script"]
    bad = api.post("/tokens", {"name": "", "expires_days": 1000})
    assert bad.status_code == 422 and {"name", "expires_days"} <= set(bad.json()["errors"])
    assert api.post("/tokens", {"name": "x", "scope": "admin"}).status_code == 422


def test_membership_list_costs_a_constant_number_of_queries(user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    group = InterestGroupFactory(slug="big")
    join(user, group)
    api = as_user(user)
    api.get("/me")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/groups/big/memberships").status_code == 200
        return len(ctx)

    join(UserFactory(), group)
    few = queries()
    for _ in range(8):
        join(UserFactory(), group)
    assert queries() == few
    assert api.get("/groups/big/memberships").json()["count"] == 10
