"""The demo network: refuses outside demo mode, loads every role and marking, labels right, runs once."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from enlets.core import access, audit
from enlets.core.models import TLP
from enlets.documents.models import Document, DocumentAccessLabel
from enlets.network.management.commands.seed_demo import SIGN_INS
from enlets.network.models import Country, GroupMembership, InterestGroup, Organisation, Role, User

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    with override_settings(DEMO_MODE=True):
        # The demo practices have their own test (test_practices_demo.py); loading them takes a while.
        call_command("seed_demo", "--without-practices", stdout=out)
    return out.getvalue()


def test_refuses_outside_demo_mode():
    with override_settings(DEMO_MODE=False), pytest.raises(CommandError, match="ENLETS_DEMO_MODE=1"):
        call_command("seed_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_demo_network_is_complete_and_consistent():
    output = seed()

    assert Country.objects.filter(is_member_state=True).count() == 27
    assert 55 <= Organisation.objects.count() <= 70
    assert set(Organisation.objects.values_list("kind", flat=True)) == set(Organisation.Kind.values)
    assert 190 <= User.objects.count() <= 220
    roles = Counter(User.objects.values_list("role", flat=True))
    assert set(roles) == set(Role.values)
    assert roles[Role.CORE_GROUP_LEADER] == 1
    # Every member state has a vetted national contact point.
    ncp_countries = set(
        User.objects.filter(role=Role.NCP, vetted_at__isnull=False).values_list("organisation__country", flat=True)
    )
    assert ncp_countries >= set(Country.objects.filter(is_member_state=True).values_list("pk", flat=True))
    # The interest groups of DOMAIN.md, with subgroups, chairs and pending requests.
    assert InterestGroup.objects.filter(slug="counter-drone").exists()
    assert InterestGroup.objects.filter(parent__slug="counter-drone").count() == 5
    assert GroupMembership.objects.filter(role=GroupMembership.Role.CHAIR).count() >= InterestGroup.objects.count()
    assert GroupMembership.objects.filter(status=GroupMembership.Status.REQUESTED).exists()

    # Documents at every marking, state and space; labels exactly as the access rules derive them.
    assert 250 <= Document.objects.count() <= 500
    assert set(Document.objects.values_list("tlp", flat=True)) == set(TLP.values)
    assert set(Document.objects.values_list("state", flat=True)) == set(Document.State.values)
    assert set(Document.objects.values_list("space", flat=True)) == set(Document.Space.values)
    stored: dict[int, list[str]] = {}
    for item_id, label in DocumentAccessLabel.objects.values_list("item_id", "label"):
        stored.setdefault(item_id, []).append(label)
    for document in Document.objects.prefetch_related(
        "audience_people", "audience_organisations", "audience_countries", "audience_groups"
    ):
        assert sorted(stored.get(document.pk, [])) == access.item_labels(document), document.pk

    # The writes went through the actions: an intact audit chain with document events.
    report = audit.verify_chain()
    assert report.ok
    assert report.checked >= Document.objects.count()

    # The sign-ins exist, can sign in (password and TOTP) and are printed.
    for username, (role, *_rest) in SIGN_INS.items():
        user = User.objects.get(username=username)
        assert user.role == role
        assert user.is_active and user.is_vetted
        assert user.check_password("enlets-demo-2026")
        assert user.has_second_factor()
        assert username in output
    assert "ENLETSHUBDEMOTOTPSECRETKEY234567" in output
    # A member sees GREEN but not every AMBER item; an external partner sees no GREEN of others.
    member = User.objects.get(username="member-nl")
    visible = Document.objects.visible_to(member)
    assert visible.filter(tlp=TLP.GREEN).exists()
    assert visible.count() < Document.objects.count()
    partner = User.objects.get(username="partner")
    assert (
        not Document.objects.visible_to(partner)
        .filter(tlp=TLP.GREEN)
        .exclude(owner=partner)
        .exclude(co_authors=partner)
        .exists()
    )


def test_second_run_only_prints_sign_ins():
    seed()
    counts = (User.objects.count(), Document.objects.count(), Organisation.objects.count())
    events = audit.verify_chain().checked
    output = seed()
    assert (User.objects.count(), Document.objects.count(), Organisation.objects.count()) == counts
    assert audit.verify_chain().checked == events
    assert "already loaded" in output
    assert "ncp-nl" in output
