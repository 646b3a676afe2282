"""The audit browser and its CSV export: who may use them, filters, keyset pages, and hidden details."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from enlets.core import audit, context
from enlets.core.models import TLP, AuditEvent
from enlets.documents import actions
from enlets.network.models import Role
from tests.factories import UserFactory

HIDDEN = "hidden: you may not see this item"


@pytest.fixture
def auditor(db):
    return UserFactory(role=Role.ADMINISTRATOR, username="auditor")


def export_rows(client, **params) -> list[dict[str, str]]:
    response = client.get(reverse("core:audit_export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MEMBER, Role.NCP, Role.SECRETARIAT, Role.OBSERVER, Role.EXTERNAL_PARTNER])
def test_only_auditors_may_browse(client, role):
    event = audit.record("test.event", object_type="test.thing", object_id=1)
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("core:audit")).status_code == 403
    assert client.get(reverse("core:audit_event", args=[event.pk])).status_code == 403
    assert client.get(reverse("core:audit_export")).status_code == 403
    assert not AuditEvent.objects.filter(action="audit.export").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.CORE_GROUP, Role.CORE_GROUP_LEADER])
def test_auditors_may_browse(client, role):
    event = audit.record("test.event", object_type="test.thing", object_id=1)
    client.force_login(UserFactory(role=role))
    assert client.get(reverse("core:audit")).status_code == 200
    assert client.get(reverse("core:audit_event", args=[event.pk])).status_code == 200


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("core:audit"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_filters(client, auditor):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    token = context.set_current(context.RequestContext(request_id="req-abcdef-123", ip_address="10.0.0.1"))
    try:
        e_alice = audit.record("network.user.vet", actor=alice, object_type="network.user", object_id=bob.pk)
    finally:
        context.reset(token)
    e_bob = audit.record(
        "documents.document.create", actor=bob, object_type="documents.document", object_id=77, tlp=TLP.AMBER
    )
    e_sys = audit.record("auth.login_failed", object_type="network.user", object_id=alice.pk)
    client.force_login(auditor)

    def ids(**params) -> list[int]:
        response = client.get(reverse("core:audit"), params)
        assert response.status_code == 200
        return [e.pk for e in response.context["events"]]

    assert ids(actor="alice") == [e_alice.pk]
    assert ids(actor="BOB") == [e_bob.pk]
    assert ids(action="documents.") == [e_bob.pk]
    assert ids(action="network.user") == [e_alice.pk]
    by_type = client.get(reverse("core:audit"), {"object_type": "network.user"}).context["events"]
    assert {e_sys.pk, e_alice.pk} <= {e.pk for e in by_type}  # (signing in adds an event too)
    assert {e.object_type for e in by_type} == {"network.user"}
    assert ids(object_type="network.user", object_id=str(bob.pk)) == [e_alice.pk]
    assert ids(tlp=TLP.AMBER) == [e_bob.pk]
    assert ids(request_id="req-abcdef-123") == [e_alice.pk]
    today = e_bob.created_at.astimezone().date().isoformat()
    assert e_bob.pk in ids(date_from=today, date_to=today)
    assert ids(date_to="2000-01-01") == []
    assert ids(actor="nobody-at-all") == []
    # A bad date is an error on the form, never "everything".
    response = client.get(reverse("core:audit"), {"date_from": "yesterday"})
    assert response.status_code == 200 and response.context["events"] == []
    assert response.context["form"].errors["date_from"]


@pytest.mark.django_db
def test_keyset_pages(client, auditor):
    events = [audit.record("test.page", object_type="test.thing", object_id=i) for i in range(120)]
    newest_first = [e.pk for e in reversed(events)]
    client.force_login(auditor)
    url = reverse("core:audit")
    first = client.get(url, {"action": "test.page"})
    assert [e.pk for e in first.context["events"]] == newest_first[:50]
    assert first.context["newer_id"] is None
    older = first.context["older_id"]
    assert older == newest_first[49]
    assert f"before={older}" in first.content.decode()

    second = client.get(url, {"action": "test.page", "before": older})
    assert [e.pk for e in second.context["events"]] == newest_first[50:100]
    third = client.get(url, {"action": "test.page", "before": second.context["older_id"]})
    assert [e.pk for e in third.context["events"]] == newest_first[100:]
    assert third.context["older_id"] is None

    back = client.get(url, {"action": "test.page", "after": third.context["newer_id"]})
    assert [e.pk for e in back.context["events"]] == newest_first[50:100]
    assert back.context["newer_id"] == newest_first[50]
    assert "Newer" in back.content.decode() and "Older" in back.content.decode()


@pytest.mark.django_db
def test_changes_hidden_for_items_the_auditor_may_not_see(client, auditor):
    owner = UserFactory()
    secret = actions.do_create_document(owner, title="Operation Nightjar", tlp=TLP.RED, state="published")
    shared = actions.do_create_document(owner, title="Open findings", tlp=TLP.GREEN, state="published")
    network_event = audit.record(
        "network.user.profile",
        actor=owner,
        object_type="network.user",
        object_id=owner.pk,
        object_repr="Profile of owner",
        changes={"phone": ["1", "2"]},
    )
    secret_event = AuditEvent.objects.get(action="documents.document.create", object_id=str(secret.pk))
    shared_event = AuditEvent.objects.get(action="documents.document.create", object_id=str(shared.pk))
    client.force_login(auditor)

    page = client.get(reverse("core:audit_event", args=[secret_event.pk])).content.decode()
    assert "Operation Nightjar" not in page
    assert "Hidden: you may not see this item" in page
    assert "documents.document.create" in page  # that it changed is visible

    page = client.get(reverse("core:audit_event", args=[shared_event.pk])).content.decode()
    assert "Open findings" in page and "Hidden" not in page

    page = client.get(reverse("core:audit_event", args=[network_event.pk])).content.decode()
    assert "Profile of owner" in page and "phone" in page

    listing = client.get(reverse("core:audit")).content.decode()
    assert "Operation Nightjar" not in listing and "Open findings" in listing and HIDDEN in listing

    # The owner, if an auditor too, sees their own item's change.
    owner.role = Role.CORE_GROUP
    owner.save()
    client.force_login(owner)
    page = client.get(reverse("core:audit_event", args=[secret_event.pk])).content.decode()
    assert "Operation Nightjar" in page and "Hidden: you may not see" not in page


@pytest.mark.django_db
def test_deleted_items_show_changes_only_to_the_actor(client, auditor):
    owner = UserFactory(role=Role.CORE_GROUP)
    document = actions.do_create_document(owner, title="Short-lived", tlp=TLP.GREEN, state="published")
    pk = document.pk
    actions.do_delete_document(owner, document)
    delete_event = AuditEvent.objects.get(action="documents.document.delete", object_id=str(pk))
    client.force_login(auditor)
    page = client.get(reverse("core:audit_event", args=[delete_event.pk])).content.decode()
    assert "Short-lived" not in page and "Hidden" in page
    client.force_login(owner)
    page = client.get(reverse("core:audit_event", args=[delete_event.pk])).content.decode()
    assert "Short-lived" in page


@pytest.mark.django_db
def test_csv_export(client, auditor):
    owner = UserFactory(username="writer")
    actions.do_create_document(owner, title="Operation Nightjar", tlp=TLP.RED, state="published")
    actions.do_create_document(owner, title="=HYPERLINK(1)", tlp=TLP.GREEN, state="published")
    audit.record(
        "network.user.vet", actor=auditor, object_type="network.user", object_id=owner.pk, object_repr="vetting writer"
    )
    client.force_login(auditor)

    rows = export_rows(client, actor="writer")
    assert [r["action"] for r in rows] == ["documents.document.create"] * 2
    red, green = rows[1], rows[0]
    assert red["object_repr"] == HIDDEN and red["changes"] == HIDDEN and red["tlp"] == TLP.RED
    assert "Nightjar" not in "".join(red.values())
    # A title that looks like a formula stays text in a spreadsheet.
    assert green["object_repr"] == "'=HYPERLINK(1)"
    assert '"title"' in green["changes"]
    assert set(rows[0]) >= {"id", "created_at", "actor", "action", "object_type", "object_id", "changes", "hash"}

    export = AuditEvent.objects.filter(action="audit.export").get()
    assert export.actor == auditor and export.changes == {"filters": {"actor": "writer"}}

    everything = export_rows(client)
    assert {r["action"] for r in everything} >= {"documents.document.create", "network.user.vet", "audit.export"}
    assert AuditEvent.objects.filter(action="audit.export").count() == 2


@pytest.mark.django_db
def test_csv_export_streams_in_chunks(client, auditor, monkeypatch):
    from enlets.core import views

    monkeypatch.setattr(views, "EXPORT_CHUNK", 7)
    made = [audit.record("test.bulk", object_type="test.thing", object_id=i) for i in range(30)]
    client.force_login(auditor)
    rows = export_rows(client, action="test.bulk")
    assert [int(r["id"]) for r in rows] == [e.pk for e in reversed(made)]


@pytest.mark.django_db
def test_action_prefix_matches_every_action_it_starts(client, auditor):
    a = audit.record("test.alpha", object_type="test.thing", object_id=1)
    ab = audit.record("test.alphabet", object_type="test.thing", object_id=2)
    b = audit.record("test.beta", object_type="test.thing", object_id=3)
    client.force_login(auditor)

    def ids(action: str) -> list[int]:
        return [e.pk for e in client.get(reverse("core:audit"), {"action": action}).context["events"]]

    assert ids("test.alpha") == [ab.pk, a.pk]
    assert ids("test.alphab") == [ab.pk]
    assert ids("test.") == [b.pk, ab.pk, a.pk]
    assert ids("test.gamma") == []
    assert ids("TEST.alpha") == []  # actions are lower-case identifiers, matched exactly


@pytest.mark.django_db
def test_date_filters_by_day_in_local_time(client, auditor, monkeypatch, settings):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    brussels = ZoneInfo(settings.TIME_ZONE)
    made = {}
    for day, hour in (("2024-03-01", 23), ("2024-03-02", 0), ("2024-03-02", 23), ("2024-03-03", 0)):
        moment = dt.datetime.fromisoformat(f"{day}T{hour:02d}:30:00").replace(tzinfo=brussels)
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        made[(day, hour)] = audit.record("test.dated", object_type="test.thing", object_id=hour).pk
    monkeypatch.undo()
    client.force_login(auditor)

    def ids(**params) -> set[int]:
        response = client.get(reverse("core:audit"), {"action": "test.dated", **params})
        return {e.pk for e in response.context["events"]}

    assert ids(date_from="2024-03-02", date_to="2024-03-02") == {made[("2024-03-02", 0)], made[("2024-03-02", 23)]}
    assert ids(date_to="2024-03-01") == {made[("2024-03-01", 23)]}
    assert ids(date_from="2024-03-03") == {made[("2024-03-03", 0)]}
    assert ids(date_from="2024-03-04") == set()
    assert ids(date_to="2024-02-28") == set()
    response = client.get(reverse("core:audit"), {"date_from": "2024-03-03", "date_to": "2024-03-01"})
    assert response.context["form"].errors["date_to"] and response.context["events"] == []
