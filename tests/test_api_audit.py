"""API v1: the audit trail, for auditors only, with the hiding rule for items they may not see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enlets.core.audit_view import HIDDEN, visible_changes
from enlets.core.models import TLP, AuditEvent
from enlets.documents.actions import do_create_document, do_delete_document, do_update_document
from enlets.network.models import Role
from tests.factories import UserFactory
from tests.test_api_helpers import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor():
    return UserFactory(role=Role.ADMINISTRATOR)


@pytest.fixture
def author():
    return UserFactory()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.NCP, Role.SECRETARIAT, Role.OBSERVER, Role.EXTERNAL_PARTNER])
def test_non_auditors_get_403(role):
    api = as_user(UserFactory(role=role))
    event = AuditEvent.objects.first()
    for path in ["/audit/events", f"/audit/events/{event.pk}"]:
        response = api.get(path)
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


@pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.CORE_GROUP, Role.CORE_GROUP_LEADER])
def test_auditors_read_events_newest_first(role, author):
    do_create_document(author, title="First")
    do_create_document(author, title="Second")
    body = as_user(UserFactory(role=role)).get("/audit/events").json()
    ids = [e["id"] for e in body["results"]]
    assert ids == sorted(ids, reverse=True)
    assert body["count"] == AuditEvent.objects.count()
    newest = body["results"][0]
    assert set(newest) >= {
        "id",
        "created_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "tlp",
        "ip_address",
        "request_id",
        "changes",
        "hidden",
        "prev_hash",
        "hash",
    }


def test_changes_of_items_the_auditor_may_not_see_are_hidden(auditor, author):
    red = do_create_document(
        author, title="Informant plan", tlp=TLP.RED, state="published", audience={"audience_people": [author]}
    )
    do_update_document(author, red, title="Informant plan v2")
    green = do_create_document(author, title="Open practice", tlp=TLP.GREEN, state="published")
    api = as_user(auditor)

    events = api.get("/audit/events", {"object_type": "documents.document", "object_id": str(red.pk)}).json()
    assert events["count"] == 2
    for event in events["results"]:
        assert event["hidden"] is True
        assert event["changes"] is None
        assert event["object_repr"] == HIDDEN
        assert "Informant" not in str(event)
        assert event["actor"] == author.username  # that it changed, and who changed it, stay visible
    one = api.get(f"/audit/events/{events['results'][0]['id']}").json()
    assert one["hidden"] is True and one["changes"] is None

    shown = api.get("/audit/events", {"object_type": "documents.document", "object_id": str(green.pk)}).json()
    assert shown["results"][0]["object_repr"] == "Open practice"
    assert shown["results"][0]["changes"]["title"] == [None, "Open practice"]
    assert shown["results"][0]["hidden"] is False

    # The author, were they an auditor, would see their own item's changes.
    author.role = Role.CORE_GROUP
    author.save()
    event = AuditEvent.objects.filter(object_id=str(red.pk), action="documents.document.update").get()
    assert visible_changes(event, author)[1]["title"] == ["Informant plan", "Informant plan v2"]


def test_events_of_deleted_items_show_details_only_to_who_made_them(auditor, author):
    green = do_create_document(author, title="Shared", tlp=TLP.GREEN, state="published")
    green_pk = green.pk
    do_delete_document(author, green)
    deleted = AuditEvent.objects.get(action="documents.document.delete", object_id=str(green_pk))
    # Nobody can see an item that no longer exists, so another auditor sees only that it went.
    assert visible_changes(deleted, auditor) == (HIDDEN, None)
    body = as_user(auditor).get(f"/audit/events/{deleted.pk}").json()
    assert body["hidden"] is True and body["object_repr"] == HIDDEN
    assert visible_changes(deleted, author)[0] == "Shared"


def test_events_about_other_things_are_shown_whole(auditor, author):
    as_user(author)  # creates a token: a token.create event
    event = AuditEvent.objects.filter(action="token.create").latest("id")
    body = as_user(auditor).get(f"/audit/events/{event.pk}").json()
    assert body["hidden"] is False and body["changes"] == {"scope": [None, "write"], "expires_days": [None, 90]}


def test_filters(auditor, author):
    do_create_document(author, title="One")
    doc = do_create_document(author, title="Two")
    do_update_document(author, doc, title="Two, revised")
    api = as_user(auditor)

    def actions(**params):
        response = api.get("/audit/events", params)
        assert response.status_code == 200, response.content
        return [e["action"] for e in response.json()["results"]]

    assert actions(actor=author.username, object_type="documents.document") == [
        "documents.document.update",
        "documents.document.create",
        "documents.document.create",
    ]
    assert actions(action="documents.document.update") == ["documents.document.update"]
    assert set(actions(action="documents.")) == {"documents.document.create", "documents.document.update"}
    assert actions(object_type="documents.document", object_id=str(doc.pk)) == [
        "documents.document.update",
        "documents.document.create",
    ]
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert actions(since=later) == []
    assert len(actions(until=later, actor=author.username)) >= 3
    newest = AuditEvent.objects.order_by("-id").first()
    assert all(e["id"] < newest.pk for e in api.get("/audit/events", {"before_id": newest.pk}).json()["results"])
    assert api.get("/audit/events", {"since": "yesterday"}).status_code == 422


def test_an_audit_page_costs_a_constant_number_of_queries(auditor, author):
    api = as_user(auditor)
    api.get("/audit/events")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/audit/events", {"page_size": 50}).status_code == 200
        return len(ctx)

    do_create_document(author, title="A", tlp=TLP.RED, audience={"audience_people": [author]})
    few = queries()
    for n in range(10):
        do_create_document(author, title=f"B{n}", tlp=TLP.RED, audience={"audience_people": [author]})
    assert queries() == few
