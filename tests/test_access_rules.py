"""Unit tests of enlets.core.access: the labels of people and items, and who sees what.

The (role x marking x audience) grid runs on the access-matrix world (tests/access_matrix.py),
here with the items written straight to the tables by the factories (the documents matrix
writes them through the actions), so both paths that produce labels are covered. The single
tests below cover the transitions: audience and marking changes, drafts, co-authors,
membership, vetting, deactivation, transfer.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from enlets.core import access
from enlets.core.errors import InvalidInput
from enlets.core.models import TLP
from enlets.core.shared import validate_marking
from enlets.documents import actions as doc_actions
from enlets.documents.models import Document
from enlets.network import actions as net_actions
from enlets.network.models import Country, GroupMembership, Organisation, Role, User
from tests.access_matrix import AccessMatrix, Case, VisibilityMatrixTests, World, case_title
from tests.factories import InterestGroupFactory, OrganisationFactory, UserFactory, country, join, make_document


def _make(world: World, owner: Any, key: str, case: Case) -> Document:
    audience = world.audience(case)
    return make_document(
        owner,
        tlp=case.tlp,
        state=case.state,
        countries=audience["audience_countries"],
        organisations=audience["audience_organisations"],
        groups=audience["audience_groups"],
        people=audience["audience_people"],
        co_authors=[world.users[p] for p in case.co_authors],
        title=case_title(key),
    )


class TestAccessRulesMatrix(VisibilityMatrixTests):
    """visible_to and can_see for every role and case (no HTTP endpoints here)."""

    matrix = AccessMatrix(model=Document, create_item=_make, detail_endpoints=[], list_endpoints=[])

    @pytest.mark.django_db
    def test_user_labels_by_role(self, world: World) -> None:
        u, o, g = world.users, world.organisations, world.groups

        def labels(key: str) -> set[str]:
            return set(access.user_labels(User.objects.get(pk=u[key].pk)))

        def person(key: str) -> str:
            return access.person_label(u[key].pk)

        community = {access.PUBLIC, access.COMMUNITY}
        assert labels("member_nl") == community | {
            person("member_nl"),
            access.org_label(o["politie_nl"].pk),
            "country:NL",
            access.group_label(g["tig_a"].pk),
        }
        # A join request that is still waiting gives nothing.
        assert labels("member_de") == community | {
            person("member_de"),
            access.org_label(o["bka_de"].pk),
            "country:DE",
            access.group_label(g["tig_b"].pk),
        }
        # External partner: its organisation and itself; not its country, not its group.
        assert labels("external") == {access.PUBLIC, person("external"), access.org_label(o["research_nl"].pk)}
        # Not vetted: only public and itself (see the bug note in docs/testing.md).
        assert labels("unvetted") == {access.PUBLIC, person("unvetted")}
        assert labels("deactivated") == set()
        # The administrator is an ordinary member of the community for content.
        assert labels("admin") == community | {person("admin"), access.org_label(o["eu_be"].pk), "country:BE"}
        assert access.user_labels(None) == [access.PUBLIC]
        assert access.user_labels(AnonymousUser()) == [access.PUBLIC]

    @pytest.mark.django_db
    def test_item_labels_by_case(self, world: World) -> None:
        items, u, o, g = world.items, world.users, world.organisations, world.groups

        def stored(key: str) -> set[str]:
            return set(items[key].access_labels.values_list("label", flat=True))

        expected = {
            "clear": {access.PUBLIC},
            "green": {access.COMMUNITY},
            "amber_country_nl": {"country:NL"},
            "amber_org": {access.org_label(o["politie_nl"].pk)},
            "amber_group_a": {access.group_label(g["tig_a"].pk)},
            "amber_named": {access.person_label(u["external"].pk), access.person_label(u["unvetted"].pk)},
            "amber_strict_org": {access.org_label(o["politie_nl"].pk)},
            "red_named": {access.person_label(u["ncp_nl"].pk), access.person_label(u["deactivated"].pk)},
            "red_coauthor": set(),  # only the owner and the co-author, who need no label
        }
        for key, labels in expected.items():
            assert set(access.item_labels(items[key])) == labels, key
            assert stored(key) == labels, key


# --- Single rules and transitions ----------------------------------------------------------------


@pytest.fixture
def nl() -> Country:
    return Country.objects.get(pk="NL")


@pytest.fixture
def people(db, nl) -> dict[str, Any]:
    police = OrganisationFactory(country=nl)
    group_a, group_b = InterestGroupFactory(), InterestGroupFactory()
    owner = UserFactory(organisation=police)
    in_a = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    in_b = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    join(in_a, group_a)
    join(in_b, group_b)
    chair = UserFactory(organisation=OrganisationFactory(country=country("BE")))
    join(chair, group_a, chair=True)
    return {
        "owner": owner,
        "in_a": in_a,
        "in_b": in_b,
        "chair": chair,
        "group_a": group_a,
        "group_b": group_b,
        "police": police,
        "ncp": UserFactory(role=Role.NCP, organisation=OrganisationFactory(country=nl)),
        "secretariat": UserFactory(role=Role.SECRETARIAT, organisation=OrganisationFactory(country=country("BE"))),
    }


def sees(user: User, document: Document) -> bool:
    # A fresh user row each time: labels are cached on the object for one request.
    return access.can_see(User.objects.get(pk=user.pk), document)


def test_anonymous_sees_only_published_clear(people) -> None:
    owner = people["owner"]
    clear = make_document(owner, tlp=TLP.CLEAR)
    clear_draft = make_document(owner, tlp=TLP.CLEAR, state=Document.State.DRAFT)
    make_document(owner, tlp=TLP.GREEN)
    for anonymous in (None, AnonymousUser()):
        assert list(Document.objects.visible_to(anonymous)) == [clear]
    assert not access.can_see(None, clear_draft)


def test_audience_change_moves_the_labels(people) -> None:
    """The action rewrites the labels: the old group loses the item, the new one gains it."""
    owner, in_a, in_b = people["owner"], people["in_a"], people["in_b"]
    document = doc_actions.do_create_document(
        owner, title="Plan", tlp=TLP.AMBER, state="published", audience={"audience_groups": [people["group_a"]]}
    )
    assert sees(in_a, document) and not sees(in_b, document)
    doc_actions.do_update_document(owner, document, audience={"audience_groups": [people["group_b"]]})
    assert not sees(in_a, document) and sees(in_b, document)
    assert set(document.access_labels.values_list("label", flat=True)) == {access.group_label(people["group_b"].pk)}


def test_marking_change_rewrites_labels(people) -> None:
    owner, in_a, in_b = people["owner"], people["in_a"], people["in_b"]
    document = doc_actions.do_create_document(
        owner, title="Plan", tlp=TLP.AMBER, state="published", audience={"audience_groups": [people["group_a"]]}
    )
    doc_actions.do_update_document(owner, document, tlp=TLP.GREEN)
    assert sees(in_a, document) and sees(in_b, document)
    # GREEN -> RED naming one person: everyone else loses it at once.
    doc_actions.do_update_document(
        owner, document, tlp=TLP.RED, audience={"audience_groups": [], "audience_people": [in_b]}
    )
    assert not sees(in_a, document) and sees(in_b, document)
    assert set(document.access_labels.values_list("label", flat=True)) == {access.person_label(in_b.pk)}


def test_strict_and_red_ignore_wider_audience_rows(people, nl) -> None:
    """Rows that a stricter marking does not use (left from before a marking change, or written
    around the actions) never widen it."""
    owner, in_a = people["owner"], people["in_a"]
    strict = make_document(
        owner, tlp=TLP.AMBER_STRICT, countries=[nl], groups=[people["group_a"]], organisations=[people["police"]]
    )
    red = make_document(
        owner, tlp=TLP.RED, countries=[nl], groups=[people["group_a"]], organisations=[people["police"]]
    )
    assert access.item_labels(strict) == [access.org_label(people["police"].pk)]
    assert access.item_labels(red) == []
    assert not sees(in_a, strict) and not sees(in_a, red)
    assert not sees(people["ncp"], strict)  # NL, but another organisation
    colleague = UserFactory(organisation=people["police"])
    assert sees(colleague, strict) and not sees(colleague, red)


def test_validate_marking_refuses_wider_audiences_for_strict_markings(people, nl) -> None:
    with pytest.raises(InvalidInput):
        validate_marking(TLP.AMBER_STRICT, {"audience_countries": [nl]})
    with pytest.raises(InvalidInput):
        validate_marking(TLP.AMBER_STRICT, {"audience_groups": [people["group_a"]]})
    with pytest.raises(InvalidInput):
        validate_marking(TLP.RED, {"audience_organisations": [people["police"]]})
    validate_marking(TLP.RED, {"audience_people": [people["in_a"]]})


def test_draft_is_seen_only_by_owner_and_co_authors_until_published(people) -> None:
    owner, in_a, in_b, chair = people["owner"], people["in_a"], people["in_b"], people["chair"]
    document = doc_actions.do_create_document(
        owner,
        title="Draft",
        tlp=TLP.AMBER,
        state="draft",
        audience={"audience_groups": [people["group_a"]]},
        co_authors=[in_b],
    )
    assert sees(owner, document) and sees(in_b, document)
    assert not sees(in_a, document) and not sees(chair, document)
    doc_actions.do_update_document(owner, document, state="published")
    assert sees(in_a, document) and sees(chair, document)
    # Back to draft: the group loses it again; the co-author keeps it.
    doc_actions.do_update_document(owner, document, state="draft")
    assert not sees(in_a, document) and sees(in_b, document)


def test_removed_co_author_loses_a_red_item(people) -> None:
    owner, in_b = people["owner"], people["in_b"]
    document = doc_actions.do_create_document(owner, title="Red", tlp=TLP.RED, state="published", co_authors=[in_b])
    assert sees(in_b, document)
    doc_actions.do_update_document(owner, document, co_authors=[])
    assert not sees(in_b, document)


def test_group_membership_approval_and_leaving(people) -> None:
    owner, chair = people["owner"], people["chair"]
    newcomer = UserFactory(organisation=OrganisationFactory(country=country("FR")))
    document = make_document(owner, tlp=TLP.AMBER, groups=[people["group_a"]])
    request = net_actions.do_request_join(newcomer, people["group_a"], message="please")
    assert not sees(newcomer, document)  # requested is not a member
    membership = net_actions.do_decide_membership(chair, request, approve=True)
    assert sees(newcomer, document)
    net_actions.do_leave_group(newcomer, membership)
    assert not sees(newcomer, document)
    declined = net_actions.do_request_join(newcomer, people["group_a"])
    net_actions.do_decide_membership(chair, declined, approve=False)
    assert GroupMembership.objects.get(pk=declined.pk).status == GroupMembership.Status.DECLINED
    assert not sees(newcomer, document)


def test_deactivated_sees_nothing_not_even_own_and_reactivation_restores(people) -> None:
    owner, ncp = people["owner"], people["ncp"]
    own = make_document(owner, tlp=TLP.RED)
    clear = make_document(people["in_a"], tlp=TLP.CLEAR)
    net_actions.do_deactivate(ncp, owner, reason="left the police")
    gone = User.objects.get(pk=owner.pk)
    assert access.user_labels(gone) == []
    assert not Document.objects.visible_to(gone).exists()
    assert not access.can_see(gone, own) and not access.can_see(gone, clear)
    net_actions.do_reactivate(ncp, gone)
    assert sees(owner, own) and sees(owner, clear)


def test_administrator_and_superuser_flag_get_no_bypass(people) -> None:
    owner = people["owner"]
    admin = UserFactory(
        role=Role.ADMINISTRATOR,
        is_superuser=True,
        is_staff=True,
        organisation=OrganisationFactory(country=country("BE")),
    )
    red = make_document(owner, tlp=TLP.RED, people=[people["in_a"]])
    amber_nl = make_document(owner, tlp=TLP.AMBER, countries=[Country.objects.get(pk="NL")])
    draft = make_document(owner, tlp=TLP.CLEAR, state=Document.State.DRAFT)
    green = make_document(owner, tlp=TLP.GREEN)
    assert set(Document.objects.visible_to(User.objects.get(pk=admin.pk))) == {green}
    assert not any(sees(admin, d) for d in (red, amber_nl, draft))


def test_vetting_opens_green_and_the_organisation(people) -> None:
    """Unvetted: neither GREEN nor the AMBER of its organisation, only what names it."""
    owner, ncp = people["owner"], people["ncp"]
    newcomer = UserFactory(organisation=people["police"], vetted_at=None)
    green = make_document(owner, tlp=TLP.GREEN)
    org = make_document(owner, tlp=TLP.AMBER_STRICT, organisations=[people["police"]])
    named = make_document(owner, tlp=TLP.RED, people=[newcomer])
    assert [sees(newcomer, d) for d in (green, org, named)] == [False, False, True]
    net_actions.do_vet(ncp, newcomer)
    assert [sees(newcomer, d) for d in (green, org, named)] == [True, True, True]


def test_external_partner_by_organisation_or_name_only(people, nl) -> None:
    owner = people["owner"]
    institute = OrganisationFactory(country=nl, kind=Organisation.Kind.RESEARCH)
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=institute)
    join(partner, people["group_a"])  # a chair may add them; groups still do not reach them
    by_country = make_document(owner, tlp=TLP.AMBER, countries=[nl])
    by_group = make_document(owner, tlp=TLP.AMBER, groups=[people["group_a"]])
    by_org = make_document(owner, tlp=TLP.AMBER, organisations=[institute])
    strict_org = make_document(owner, tlp=TLP.AMBER_STRICT, organisations=[institute])
    by_name = make_document(owner, tlp=TLP.RED, people=[partner])
    green = make_document(owner, tlp=TLP.GREEN)
    clear = make_document(owner, tlp=TLP.CLEAR)
    assert set(Document.objects.visible_to(User.objects.get(pk=partner.pk))) == {by_org, strict_org, by_name, clear}
    assert not sees(partner, by_country) and not sees(partner, by_group) and not sees(partner, green)


def test_transfer_moves_the_owner_rights(people) -> None:
    owner, in_a = people["owner"], people["in_a"]
    draft = doc_actions.do_create_document(owner, title="Handover", tlp=TLP.RED, state="draft")
    doc_actions.do_transfer_document(owner, draft, in_a)
    assert sees(in_a, draft) and not sees(owner, draft)


def test_list_has_each_item_once_however_many_labels_match(people, nl) -> None:
    """The filter is an EXISTS, not a join: a person matching by country, organisation, group
    and name still gets one row (lists and counts would be wrong otherwise)."""
    owner, in_a = people["owner"], people["in_a"]
    document = make_document(
        owner,
        tlp=TLP.AMBER,
        countries=[Country.objects.get(pk="DE")],
        organisations=[in_a.organisation],
        groups=[people["group_a"]],
        people=[in_a],
        co_authors=[in_a],
    )
    visible = Document.objects.visible_to(User.objects.get(pk=in_a.pk))
    assert list(visible) == [document]
    assert visible.count() == 1


def test_owner_change_of_country_follows_the_organisation(people) -> None:
    """Country labels come from the person's organisation: moving to another organisation moves them."""
    owner, secretariat = people["owner"], people["secretariat"]
    mover = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    amber_nl = make_document(owner, tlp=TLP.AMBER, countries=[Country.objects.get(pk="NL")])
    assert not sees(mover, amber_nl)
    net_actions.do_change_role(
        secretariat, User.objects.get(pk=mover.pk), role=Role.MEMBER, organisation=people["police"]
    )
    assert sees(mover, amber_nl)


def test_audience_in_words(people, nl) -> None:
    owner, in_a = people["owner"], people["in_a"]
    amber = make_document(owner, tlp=TLP.AMBER, countries=[nl], groups=[people["group_a"]], people=[in_a])
    words = access.audience_in_words(amber)
    assert words.startswith("Need to know:")
    assert "Netherlands" in words and str(people["group_a"]) in words and in_a.display_name in words
    red = make_document(owner, tlp=TLP.RED, people=[in_a])
    assert access.audience_in_words(red).startswith("Only the named people:")
    assert "external partners" in access.audience_in_words(make_document(owner, tlp=TLP.GREEN))


def test_approved_group_ids_are_the_approved_memberships_only(people) -> None:
    """The groups behind a person's labels, read by one SQL statement (User.approved_group_ids),
    are exactly the approved memberships the ORM finds: not a requested or declined one, not
    another person's."""
    member = people["owner"]
    groups = [InterestGroupFactory() for _ in range(4)]
    join(member, groups[0])
    join(member, groups[2], chair=True)
    GroupMembership.objects.create(group=groups[1], user=member, status=GroupMembership.Status.REQUESTED)
    GroupMembership.objects.create(group=groups[3], user=member, status=GroupMembership.Status.DECLINED)
    join(UserFactory(), groups[1])
    expected = GroupMembership.objects.filter(user=member, status=GroupMembership.Status.APPROVED)
    assert sorted(member.approved_group_ids()) == sorted(expected.values_list("group_id", flat=True))
    assert {groups[0].pk, groups[2].pk} <= set(member.approved_group_ids())
    assert not {groups[1].pk, groups[3].pk} & set(member.approved_group_ids())


def test_a_request_users_labels_cost_one_query(people, django_assert_num_queries) -> None:
    """A request's user is loaded without its organisation: the organisation's country and the
    approved groups come in one statement, and give the same labels as the loaded organisation."""
    member = people["in_a"]
    other_group = InterestGroupFactory()
    join(member, other_group)
    loaded = User.objects.select_related("organisation").get(pk=member.pk)
    expected = access.user_labels(loaded)
    assert access.country_label("DE") in expected and access.group_label(other_group.pk) in expected
    alone = User.objects.get(pk=member.pk)
    with django_assert_num_queries(1):
        assert sorted(access.user_labels(alone)) == sorted(expected)
    # Without any group: the organisation's row still gives the country.
    lonely = UserFactory(organisation=OrganisationFactory(country=country("FR")))
    assert User.objects.get(pk=lonely.pk).country_and_group_ids() == ("FR", [])
    assert User.objects.select_related("organisation").get(pk=lonely.pk).country_and_group_ids() == ("FR", [])
