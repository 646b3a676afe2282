"""The benchmark generator at a tiny scale: labels exactly as the access rules derive them, an intact audit chain."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.generate import Generator, Scale, labels_for
from enlets.core import access, audit
from enlets.core.models import TLP, AuditChainHead, AuditEvent
from enlets.documents.models import Document, DocumentAccessLabel
from enlets.network.models import User

pytestmark = pytest.mark.django_db


def test_generated_data_follows_the_access_rules_and_the_chain_holds():
    # An event from before: the generator must continue the existing chain, not start a new one.
    audit.record("bench.before", object_type="test", object_id=1)

    Generator(Scale(documents=400, events=300, people=40, groups=12, orgs=8, heavy_groups=10, seed=7)).run()

    assert Document.objects.count() == 400
    assert set(Document.objects.values_list("tlp", flat=True)) == set(TLP.values)
    stored: dict[int, list[str]] = {}
    for item_id, label in DocumentAccessLabel.objects.values_list("item_id", "label"):
        stored.setdefault(item_id, []).append(label)
    for document in Document.objects.prefetch_related(
        "audience_people", "audience_organisations", "audience_countries", "audience_groups"
    ):
        assert sorted(stored.get(document.pk, [])) == access.item_labels(document), document.pk

    report = audit.verify_chain()
    assert report.ok, report.reason
    assert report.checked == AuditEvent.objects.count() == 301
    assert AuditChainHead.objects.get(id=1).last_hash == AuditEvent.objects.order_by("-id").first().hash

    heavy = User.objects.get(username="heavy")
    assert len(heavy.approved_group_ids()) == 10
    visible = Document.objects.visible_to(heavy).count()
    assert 0 < visible < 400
    assert User.objects.get(username="auditor").can_audit


def test_generated_chain_breaks_when_an_event_is_changed():
    Generator(Scale(documents=20, events=50, people=10, groups=3, orgs=3, heavy_groups=3, seed=1)).run()
    victim = AuditEvent.objects.order_by("id")[20]
    # Raw SQL: on PostgreSQL the trigger refuses UPDATE, which is the point; there, drop to SQLite's check.
    from django.db import DatabaseError, connection, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE core_auditevent SET actor_name = %s WHERE id = %s", ["mallory", victim.pk])
    except DatabaseError:
        pytest.skip("the database refuses changes to the audit table")
    report = audit.verify_chain()
    assert not report.ok
    assert report.broken_event_id == victim.pk


def test_labels_for_matches_the_marking_rules():
    assert labels_for("CLEAR", ["NL"], [1], [2], [3]) == [access.PUBLIC]
    assert labels_for("GREEN", ["NL"], [1], [2], [3]) == [access.COMMUNITY]
    assert labels_for("AMBER", ["NL"], [1], [2], [3]) == ["country:NL", "group:2", "org:1", "person:3"]
    assert labels_for("AMBER+STRICT", ["NL"], [1], [2], [3]) == ["org:1", "person:3"]
    assert labels_for("RED", ["NL"], [1], [2], [3]) == ["person:3"]
    assert Counter(labels_for("AMBER", [], [], [], [3, 3])) == {"person:3": 1}
