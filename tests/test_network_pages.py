"""The network's pages: directory, person pages, organisations, countries, interest groups, settings.

Each page is exercised for the roles that may use it and refused (403 / 404) for those that may not;
writes are checked through their audit events.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from enlets.core.models import AuditEvent
from enlets.network.models import ApiToken, Country, GroupMembership, InterestGroup, Organisation, Role, hash_secret
from tests.factories import InterestGroupFactory, OrganisationFactory, UserFactory, country, join

pytestmark = pytest.mark.django_db


def audited(action: str, **filters) -> bool:
    return AuditEvent.objects.filter(action=action, **filters).exists()


def partner_org() -> Organisation:
    return OrganisationFactory(name="Drone Detect BV", kind=Organisation.Kind.INDUSTRY, country=country("NL"))


# --- Directory ---------------------------------------------------------------------------------------


def test_pages_need_sign_in(client):
    for name in (
        "network:people",
        "network:organisations",
        "network:countries",
        "network:groups",
        "network:settings_profile",
        "network:settings_tokens",
        "network:invitations",
        "network:vetting",
    ):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_directory_search_filters_and_empty_state(client):
    nl_org = OrganisationFactory(name="Politie Nederland", country=country("NL"))
    de_org = OrganisationFactory(name="Bundeskriminalamt", country=country("DE"))
    viewer = UserFactory(organisation=nl_org)
    anna = UserFactory(first_name="Anna", last_name="Jansen", organisation=nl_org, expertise="ANPR cameras")
    UserFactory(
        first_name="Klaus", last_name="Weber", organisation=de_org, role=Role.NCP, expertise="Counter-drone detection"
    )
    client.force_login(viewer)

    page = client.get(reverse("network:people")).content.decode()
    assert "Anna Jansen" in page and "Klaus Weber" in page

    page = client.get(reverse("network:people"), {"q": "anpr"}).content.decode()  # by expertise
    assert "Anna Jansen" in page and "Klaus Weber" not in page
    page = client.get(reverse("network:people"), {"q": "bundeskrim"}).content.decode()  # by organisation
    assert "Klaus Weber" in page and "Anna Jansen" not in page
    page = client.get(reverse("network:people"), {"q": "jansen"}).content.decode()  # by name
    assert "Anna Jansen" in page and "Klaus Weber" not in page
    assert 'value="jansen"' in page  # the search is kept in the box
    page = client.get(reverse("network:people"), {"country": "DE"}).content.decode()
    assert "Klaus Weber" in page and "Anna Jansen" not in page
    page = client.get(reverse("network:people"), {"role": Role.NCP}).content.decode()
    assert "Klaus Weber" in page and "Anna Jansen" not in page
    page = client.get(reverse("network:people"), {"organisation": nl_org.pk}).content.decode()
    assert "Anna Jansen" in page and "Klaus Weber" not in page

    page = client.get(reverse("network:people"), {"q": "nobody-has-this"}).content.decode()
    assert 'class="empty"' in page and "Nobody you may see matches" in page
    assert anna.email not in client.get(reverse("network:people")).content.decode()  # no contact in the list


def test_directory_sorts_and_paginates(client):
    org = OrganisationFactory()
    viewer = UserFactory(organisation=org, last_name="Aaa")
    for i in range(26):
        UserFactory(organisation=org, last_name=f"Zz{i:02d}")
    client.force_login(viewer)
    first = client.get(reverse("network:people")).content.decode()
    assert "27 results" in first and 'rel="next"' in first
    assert "Zz25" not in first
    second = client.get(reverse("network:people"), {"page": 2}).content.decode()
    assert "Zz25" in second and 'rel="prev"' in second
    descending = client.get(reverse("network:people"), {"sort": "-name"}).content.decode()
    assert "Zz25" in descending and "Last" not in descending.split("Zz25")[0].split("<tbody>")[-1]


def test_external_partner_sees_only_their_organisation_without_contact_details(client):
    org = partner_org()
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=org)
    colleague = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=org, phone="+31 6 1234 5678")
    police = UserFactory(first_name="Hidden", last_name="Officer")
    client.force_login(partner)
    page = client.get(reverse("network:people")).content.decode()
    assert colleague.display_name in page and "Hidden Officer" not in page
    assert client.get(reverse("network:person", args=[police.username])).status_code == 404
    page = client.get(reverse("network:person", args=[colleague.username])).content.decode()
    assert colleague.display_name in page
    assert colleague.email not in page and "1234 5678" not in page
    assert "Contact details are shown only" in page


def test_community_member_sees_contact_details(client):
    person = UserFactory(
        phone="+32 2 555 0101",
        notification_email="notify@example.test",
        job_title="Drone lead",
        languages="Dutch, French",
        expertise="C-UAS",
    )
    viewer = UserFactory(organisation=OrganisationFactory(country=country("BE")))
    client.force_login(viewer)
    page = client.get(reverse("network:person", args=[person.username])).content.decode()
    assert "notify@example.test" in page and "555 0101" in page
    for fact in ("Drone lead", "Dutch, French", "C-UAS", person.organisation.name, "Netherlands", "Member"):
        assert fact in page


def test_unvetted_person_sees_nobody_else(client):
    newcomer = UserFactory(vetted_at=None)
    other = UserFactory(organisation=newcomer.organisation, phone="+31 70 999 8888")
    client.force_login(newcomer)
    page = client.get(reverse("network:people")).content.decode()
    assert other.display_name not in page and other.email not in page
    assert client.get(reverse("network:person", args=[other.username])).status_code == 404
    # The newcomer sees their own page (and their own contact details).
    page = client.get(reverse("network:person", args=[newcomer.username])).content.decode()
    assert newcomer.email in page and "Not vetted yet" in page


def test_deactivated_person_is_marked_for_the_secretariat_and_hidden_from_members(client):
    gone = UserFactory(is_active=False, first_name="Gone", last_name="Person")
    secretariat = UserFactory(role=Role.SECRETARIAT)
    client.force_login(secretariat)
    page = client.get(reverse("network:person", args=[gone.username])).content.decode()
    assert "Deactivated" in page and "Reactivate" in page
    assert "Deactivated" in client.get(reverse("network:people"), {"q": "Gone"}).content.decode()
    client.force_login(UserFactory(organisation=OrganisationFactory(country=country("DE"))))
    assert client.get(reverse("network:person", args=[gone.username])).status_code == 404


def test_manage_buttons_only_for_managers(client):
    person = UserFactory(vetted_at=None)
    ncp = UserFactory(role=Role.NCP)  # NL, like the person
    member = UserFactory()
    client.force_login(member)
    page = client.get(reverse("network:person", args=[person.username])).content.decode()
    assert "Manage this account" not in page
    client.force_login(ncp)
    page = client.get(reverse("network:person", args=[person.username])).content.decode()
    assert "Manage this account" in page and reverse("network:person_vet", args=[person.username]) in page
    assert reverse("network:person_role", args=[person.username]) not in page  # NCPs do not change roles


def test_profile_edit_by_ncp_and_refused_for_others(client):
    person = UserFactory()
    ncp = UserFactory(role=Role.NCP)
    other_ncp = UserFactory(role=Role.NCP, organisation=OrganisationFactory(country=country("DE")))
    url = reverse("network:person_edit", args=[person.username])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(other_ncp)
    assert client.post(url, {"job_title": "x"}).status_code == 403
    client.force_login(ncp)
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"first_name": person.first_name, "last_name": person.last_name, "job_title": "Head of ANPR"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.job_title == "Head of ANPR"
    assert audited("user.update_profile", actor=ncp, object_id=str(person.pk))
    client.force_login(person)
    assert client.get(url)["Location"] == reverse("network:settings_profile")


# --- Organisations and countries ----------------------------------------------------------------------


def test_organisations_list_and_detail(client):
    org = OrganisationFactory(name="Guardia Civil", country=country("ES"))
    person = UserFactory(organisation=org, first_name="Lucia")
    OrganisationFactory(name="Politie", country=country("NL"))
    client.force_login(UserFactory())
    page = client.get(reverse("network:organisations"), {"country": "ES"}).content.decode()
    assert "Guardia Civil" in page and "Politie" not in page
    page = client.get(reverse("network:organisations"), {"q": "zzz"}).content.decode()
    assert 'class="empty"' in page
    page = client.get(reverse("network:organisation", args=[org.pk])).content.decode()
    assert person.display_name in page and "Spain" in page
    assert "New organisation" not in client.get(reverse("network:organisations")).content.decode()


def test_external_partner_sees_only_own_organisation(client):
    org = partner_org()
    other = OrganisationFactory(name="Politie Oost")
    client.force_login(UserFactory(role=Role.EXTERNAL_PARTNER, organisation=org))
    page = client.get(reverse("network:organisations")).content.decode()
    assert "Drone Detect BV" in page and "Politie Oost" not in page
    assert client.get(reverse("network:organisation", args=[other.pk])).status_code == 404


def test_organisation_create_and_edit_by_secretariat_only(client):
    data = {
        "name": "Policía Nacional",
        "short_name": "PN",
        "kind": Organisation.Kind.LAW_ENFORCEMENT,
        "country": "ES",
        "website": "https://policia.example",
        "description": "National police",
    }
    client.force_login(UserFactory(role=Role.NCP))
    assert client.get(reverse("network:organisation_create")).status_code == 403
    assert client.post(reverse("network:organisation_create"), data).status_code == 403
    assert not Organisation.objects.filter(name="Policía Nacional").exists()

    secretariat = UserFactory(role=Role.SECRETARIAT)
    client.force_login(secretariat)
    response = client.post(reverse("network:organisation_create"), {**data, "website": "not a url"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid URL" in page and "Policía Nacional" in page  # error shown, input kept
    response = client.post(reverse("network:organisation_create"), data)
    org = Organisation.objects.get(name="Policía Nacional")
    assert response["Location"] == reverse("network:organisation", args=[org.pk])
    assert audited("organisation.create", actor=secretariat, object_id=str(org.pk))

    response = client.post(reverse("network:organisation_edit", args=[org.pk]), {**data, "short_name": "CNP"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.short_name == "CNP"
    event = AuditEvent.objects.get(action="organisation.update", object_id=str(org.pk))
    assert event.changes == {"short_name": ["PN", "CNP"]}


def test_countries_list_detail_and_ncps(client):
    ncp = UserFactory(role=Role.NCP, first_name="Nora", last_name="Contact")
    client.force_login(UserFactory())
    page = client.get(reverse("network:countries")).content.decode()
    assert "Netherlands" in page and "Germany" in page and "EU member state" in page
    page = client.get(reverse("network:country", args=["nl"])).content.decode()
    assert "Nora Contact" in page and ncp.organisation.name in page
    assert client.get(reverse("network:country", args=["XX"])).status_code == 404


def test_country_create(client):
    client.force_login(UserFactory(role=Role.CORE_GROUP))
    assert client.post(reverse("network:country_create"), {"code": "CH", "name": "Switzerland"}).status_code == 403
    admin = UserFactory(role=Role.ADMINISTRATOR)
    client.force_login(admin)
    response = client.post(reverse("network:country_create"), {"code": "NL", "name": "Nederland bis"})
    assert response.status_code == 200 and "already exists" in response.content.decode()
    assert "Nederland bis" in response.content.decode()
    response = client.post(reverse("network:country_create"), {"code": "ch", "name": "Switzerland"})
    assert response["Location"] == reverse("network:country", args=["CH"])
    assert Country.objects.get(pk="CH").is_member_state is False
    assert audited("country.create", actor=admin, object_id="CH")


# --- Interest groups ----------------------------------------------------------------------------------


def test_groups_list_with_subgroups_and_group_page(client):
    parent = InterestGroupFactory(name="Counter-drone", slug="counter-drone", description="C-UAS **work**")
    InterestGroupFactory(name="Detection", slug="cuas-detection", parent=parent)
    chair = UserFactory(first_name="Chair", last_name="Person")
    join(chair, parent, chair=True)
    member = UserFactory()
    join(member, parent)
    client.force_login(member)
    page = client.get(reverse("network:groups")).content.decode()
    assert "Counter-drone" in page and "Detection" in page and "You are a member" in page
    page = client.get(reverse("network:group", args=["counter-drone"])).content.decode()
    assert "Chair Person" in page and member.display_name in page and "<strong>work</strong>" in page
    assert f"{reverse('documents:list')}?group=counter-drone" in page
    assert reverse("network:group", args=["cuas-detection"]) in page
    assert "Leave the group" in page and "Join requests" not in page
    assert client.get(reverse("network:group", args=["no-such-group"])).status_code == 404


def test_external_partner_sees_only_their_groups(client):
    mine, other = InterestGroupFactory(name="Mine"), InterestGroupFactory(name="Other group")
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=partner_org())
    join(partner, mine)
    client.force_login(partner)
    page = client.get(reverse("network:groups")).content.decode()
    assert "Mine" in page and "Other group" not in page
    assert client.get(reverse("network:group", args=[other.slug])).status_code == 404


def test_group_create_by_core_group_and_subgroup_by_chair(client):
    client.force_login(UserFactory())
    assert client.get(reverse("network:group_create")).status_code == 403
    core = UserFactory(role=Role.CORE_GROUP)
    client.force_login(core)
    response = client.post(
        reverse("network:group_create"), {"name": "Public order", "slug": "Not a slug!", "is_open": "on"}
    )
    assert response.status_code == 200 and "Public order" in response.content.decode()
    assert not InterestGroup.objects.filter(name="Public order").exists()
    response = client.post(
        reverse("network:group_create"),
        {"name": "Public order", "slug": "public-order", "is_open": "on", "description": "Crowds"},
    )
    assert response["Location"] == reverse("network:group", args=["public-order"])
    group = InterestGroup.objects.get(slug="public-order")
    assert group.is_chaired_by(core)  # no chair chosen: the creator chairs it
    assert audited("group.create", actor=core, object_id=str(group.pk))

    chair = UserFactory()
    join(chair, group, chair=True)
    client.force_login(chair)
    page = client.get(reverse("network:group_create"), {"parent": "public-order"}).content.decode()
    assert "Public order" in page
    response = client.post(
        reverse("network:group_create"), {"name": "Football", "slug": "football", "parent": group.pk, "is_open": "on"}
    )
    assert response.status_code == 302
    assert InterestGroup.objects.get(slug="football").parent == group
    # A chair creates no top-level group: the parent is required for them.
    response = client.post(reverse("network:group_create"), {"name": "Top", "slug": "top", "is_open": "on"})
    assert response.status_code == 200 and not InterestGroup.objects.filter(slug="top").exists()


def test_join_request_approve_decline_add_and_leave(client):
    group = InterestGroupFactory(name="Cyber security", slug="cyber")
    chair, asker, second, third = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    join(chair, group, chair=True)

    client.force_login(asker)
    response = client.post(reverse("network:group_join", args=["cyber"]), {"message": "I run our SOC."})
    assert response.status_code == 302
    membership = GroupMembership.objects.get(group=group, user=asker)
    assert membership.status == GroupMembership.Status.REQUESTED and membership.message == "I run our SOC."
    assert audited("group.join_request", actor=asker)
    # Someone who is not a chair cannot decide it.
    client.force_login(second)
    url = reverse("network:membership_decide", args=["cyber", membership.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403
    assert "I run our SOC." not in client.get(reverse("network:group", args=["cyber"])).content.decode()

    client.force_login(chair)
    page = client.get(reverse("network:group", args=["cyber"])).content.decode()
    assert "I run our SOC." in page and "Approve" in page
    assert client.post(url, {"decision": "approve"}).status_code == 302
    membership.refresh_from_db()
    assert membership.status == GroupMembership.Status.APPROVED and membership.decided_by == chair
    assert audited("group.membership_approve", actor=chair)

    client.force_login(second)
    client.post(reverse("network:group_join", args=["cyber"]), {"message": ""})
    request = GroupMembership.objects.get(group=group, user=second)
    client.force_login(chair)
    client.post(reverse("network:membership_decide", args=["cyber", request.pk]), {"decision": "decline"})
    request.refresh_from_db()
    assert request.status == GroupMembership.Status.DECLINED
    assert audited("group.membership_decline", actor=chair)

    response = client.post(reverse("network:group_add_member", args=["cyber"]), {"person": third.pk})
    assert response.status_code == 302
    assert GroupMembership.objects.get(group=group, user=third).status == GroupMembership.Status.APPROVED
    client.force_login(second)
    assert client.post(reverse("network:group_add_member", args=["cyber"]), {"person": second.pk}).status_code == 403

    client.force_login(asker)
    assert client.post(reverse("network:group_leave", args=["cyber"])).status_code == 302
    assert not GroupMembership.objects.filter(group=group, user=asker).exists()
    assert audited("group.membership_remove", actor=asker)


def test_unvetted_and_partner_cannot_ask_to_join(client):
    group = InterestGroupFactory()
    client.force_login(UserFactory(vetted_at=None))
    assert client.post(reverse("network:group_join", args=[group.slug])).status_code == 404  # not even visible
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=partner_org())
    join(partner, group)
    other = InterestGroupFactory()
    client.force_login(partner)
    assert client.post(reverse("network:group_join", args=[other.slug])).status_code == 404
    assert not GroupMembership.objects.filter(group=other).exists()


# --- Settings -----------------------------------------------------------------------------------------


def test_settings_profile_saves_and_keeps_bad_input(client, user):
    client.force_login(user)
    page = client.get(reverse("network:settings_profile")).content.decode()
    assert reverse("mfa_index") in page and reverse("network:settings_tokens") in page
    response = client.post(
        reverse("network:settings_profile"),
        {
            "first_name": "Eva",
            "last_name": "de Vries",
            "job_title": "Analyst",
            "expertise": "OSINT",
            "languages": "Dutch",
            "phone": "+31 6 000",
            "notification_email": "not-an-email",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Enter a valid email address" in page and 'value="Analyst"' in page
    user.refresh_from_db()
    assert user.job_title != "Analyst"
    response = client.post(
        reverse("network:settings_profile"),
        {
            "first_name": "Eva",
            "last_name": "de Vries",
            "job_title": "Analyst",
            "expertise": "OSINT",
            "languages": "Dutch",
            "phone": "+31 6 000",
            "notification_email": "eva@example.test",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.job_title, user.notification_email, user.first_name) == ("Analyst", "eva@example.test", "Eva")
    event = AuditEvent.objects.get(action="user.update_profile", object_id=str(user.pk))
    assert event.changes["job_title"][1] == "Analyst"


def test_token_page_shows_the_secret_once_and_stores_only_its_hash(client, user, settings):
    client.force_login(user)
    page = client.get(reverse("network:settings_tokens")).content.decode()
    assert f'value="{settings.API_TOKEN_DEFAULT_DAYS}"' in page and "You have no API tokens" in page
    response = client.post(
        reverse("network:settings_tokens"), {"name": "report script", "scope": "write", "expires_days": "30"}
    )
    page = response.content.decode()
    token = ApiToken.objects.get(user=user)
    start = page.index('<code class="token">') + len('<code class="token">')
    secret = page[start : page.index("</code>", start)]
    assert secret.startswith(ApiToken.PREFIX) and len(secret) > 30
    assert token.key_hash == hash_secret(secret) and secret not in (token.key_prefix, token.key_hash, token.name)
    assert token.scope == "write" and 29 <= (token.expires_at - token.created_at).days <= 30
    assert audited("token.create", actor=user, object_id=str(token.pk))
    from enlets.network.actions import authenticate_token

    assert authenticate_token(secret).pk == token.pk
    # Never again.
    page = client.get(reverse("network:settings_tokens")).content.decode()
    assert secret not in page and token.key_prefix in page and "report script" in page


def test_token_form_errors_and_revoke(client, user):
    client.force_login(user)
    response = client.post(reverse("network:settings_tokens"), {"name": "x", "scope": "admin", "expires_days": "999"})
    page = response.content.decode()
    assert response.status_code == 200 and not ApiToken.objects.exists()
    assert "Select a valid choice" in page and "less than or equal to 366" in page and 'value="x"' in page

    client.post(reverse("network:settings_tokens"), {"name": "old", "scope": "read", "expires_days": "10"})
    token = ApiToken.objects.get(user=user)
    url = reverse("network:token_revoke", args=[token.pk])
    page = client.get(url).content.decode()
    assert "Revoke the token" in page
    token.refresh_from_db()
    assert token.revoked_at is None  # GET only asks
    client.force_login(UserFactory())
    assert client.post(url).status_code == 404  # someone else's token
    client.force_login(user)
    assert client.post(url)["Location"] == reverse("network:settings_tokens")
    token.refresh_from_db()
    assert token.status == "revoked" and audited("token.revoke", actor=user)
    assert "Revoked" in client.get(reverse("network:settings_tokens")).content.decode()


def test_partner_chair_add_form_offers_only_people_they_may_see(client):
    org = partner_org()
    group = InterestGroupFactory(slug="industry-day")
    chair = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=org)
    join(chair, group, chair=True)
    colleague = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=org, first_name="Colleague")
    outsider = UserFactory(first_name="Outsider", last_name="Officer")
    client.force_login(chair)
    page = client.get(reverse("network:group", args=["industry-day"])).content.decode()
    assert colleague.display_name in page and "Outsider Officer" not in page
    response = client.post(reverse("network:group_add_member", args=["industry-day"]), {"person": outsider.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not GroupMembership.objects.filter(group=group, user=outsider).exists()


def test_only_chairs_remove_other_members(client):
    group = InterestGroupFactory(slug="forensics")
    chair, member, other = UserFactory(), UserFactory(), UserFactory()
    join(chair, group, chair=True)
    membership = join(member, group)
    join(other, group)
    client.force_login(other)
    url = reverse("network:group_leave", args=["forensics"])
    assert client.post(url, {"membership": membership.pk}).status_code == 403
    assert GroupMembership.objects.filter(pk=membership.pk).exists()
    client.force_login(chair)
    assert client.post(url, {"membership": membership.pk}).status_code == 302
    assert not GroupMembership.objects.filter(pk=membership.pk).exists()
    assert audited("group.membership_remove", actor=chair)


def test_group_list_counts_all_members_even_for_a_partner(client):
    group = InterestGroupFactory(name="Procurement", slug="procurement")
    for _ in range(3):
        join(UserFactory(), group)
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=partner_org())
    join(partner, group)
    client.force_login(partner)
    assert "4 members" in client.get(reverse("network:groups")).content.decode()


def test_person_page_lists_their_groups_that_the_viewer_may_see(client):
    org = partner_org()
    shared, private = InterestGroupFactory(name="Shared group"), InterestGroupFactory(name="Private group")
    person = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=org)
    join(person, shared, chair=True)
    join(person, private)
    viewer = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=org)
    join(viewer, shared)
    client.force_login(viewer)
    page = client.get(reverse("network:person", args=[person.username])).content.decode()
    assert "Shared group" in page and "Chair" in page and "Private group" not in page
    client.force_login(UserFactory())
    page = client.get(reverse("network:person", args=[person.username])).content.decode()
    assert "Shared group" in page and "Private group" in page
