"""API v1: documents: CRUD with marking and audience, visibility, validation, lists and files."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enlets.core.models import TLP, AuditEvent
from enlets.documents.models import Document
from enlets.network.models import Role
from tests.factories import InterestGroupFactory, OrganisationFactory, UserFactory, country, join, make_document
from tests.test_api_helpers import as_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    storages = dict(settings.STORAGES)
    storages["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path)},
    }
    settings.STORAGES = storages


@pytest.fixture
def group(user):
    group = InterestGroupFactory(slug="drones", name="Drones")
    join(user, group)
    return group


def test_document_round_trip_writes_audit_events(user, group):
    api = as_user(user)
    colleague = UserFactory(organisation=user.organisation)
    response = api.post(
        "/documents",
        {
            "title": "Counter-drone field test",
            "summary": "What we learnt",
            "body": "**Bold** finding",
            "tlp": "AMBER",
            "state": "published",
            "space": "group",
            "space_group": "drones",
            "co_authors": [colleague.username],
            "audience": {"countries": ["de"], "groups": ["drones"], "people": [colleague.username]},
        },
    )
    assert response.status_code == 201, response.content
    doc = response.json()
    assert doc["title"] == "Counter-drone field test"
    assert doc["body_html"] == "<p><strong>Bold</strong> finding</p>\n"
    assert doc["tlp"] == "AMBER" and doc["state"] == "published"
    assert doc["space"] == "group" and doc["space_group"] == "drones" and doc["space_country"] is None
    assert doc["owner"] == user.username and doc["owner_organisation"] == user.organisation_id
    assert doc["co_authors"] == [colleague.username]
    assert doc["audience"] == {
        "countries": ["DE"],
        "organisations": [],
        "groups": ["drones"],
        "people": [colleague.username],
    }
    assert doc["audience_in_words"].startswith("Need to know:")
    assert doc["attachments"] == [] and doc["url"] == f"/documents/{doc['id']}/"
    pk = doc["id"]
    assert AuditEvent.objects.filter(action="documents.document.create", object_id=str(pk), actor=user).exists()

    assert api.get(f"/documents/{pk}").json()["id"] == pk
    # An AMBER read is on the audit trail.
    assert AuditEvent.objects.filter(action="documents.document.read", object_id=str(pk)).count() == 1

    response = api.patch(
        f"/documents/{pk}", {"title": "Counter-drone field test, revised", "audience": {"countries": []}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Counter-drone field test, revised"
    assert response.json()["audience"]["countries"] == [] and response.json()["audience"]["groups"] == ["drones"]
    update = AuditEvent.objects.get(action="documents.document.update", object_id=str(pk))
    assert update.changes["title"] == ["Counter-drone field test", "Counter-drone field test, revised"]
    assert update.changes["audience_countries"] == [["DE"], []]

    assert api.delete(f"/documents/{pk}").status_code == 204
    assert not Document.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(action="documents.document.delete", object_id=str(pk)).exists()
    assert api.get(f"/documents/{pk}").status_code == 404


def test_invisible_document_is_404_like_a_missing_one(user):
    other = UserFactory()
    red = make_document(other, tlp=TLP.RED, people=[other])
    draft = make_document(other, tlp=TLP.GREEN, state=Document.State.DRAFT)
    api = as_user(user)
    missing = api.get("/documents/999999")
    assert missing.status_code == 404
    for pk in (red.pk, draft.pk):
        response = api.get(f"/documents/{pk}")
        assert response.status_code == 404
        assert response.json() == missing.json() == {"message": "Not found.", "code": "not_found", "errors": {}}
        assert api.patch(f"/documents/{pk}", {"title": "x"}).status_code == 404
        assert api.delete(f"/documents/{pk}").status_code == 404
        assert api.upload(f"/documents/{pk}/attachments", {"file": SimpleUploadedFile("a.pdf", PDF)}).status_code == 404
    assert Document.objects.filter(pk=red.pk, title="A document").exists()


def test_visible_but_not_editable_is_403(user):
    other = UserFactory()
    doc = make_document(other, tlp=TLP.GREEN)
    api = as_user(user)
    assert api.get(f"/documents/{doc.pk}").status_code == 200
    response = api.patch(f"/documents/{doc.pk}", {"title": "Mine now"})
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    assert api.delete(f"/documents/{doc.pk}").status_code == 403
    doc.refresh_from_db()
    assert doc.title == "A document"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"summary": "no title"}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x", "tlp": "PURPLE"}, "tlp"),
        ({"title": "x", "tlp": "AMBER+STRICT", "audience": {"countries": ["NL"]}}, "audience.countries"),
        ({"title": "x", "tlp": "AMBER", "audience": {"groups": ["no-such-group"]}}, "audience.groups"),
        ({"title": "x", "tlp": "AMBER", "audience": {"organisations": [987654]}}, "audience.organisations"),
        ({"title": "x", "tlp": "RED", "audience": {"people": ["nobody-here"]}}, "audience.people"),
        ({"title": "x", "tlp": "RED", "audience": {"countries": ["NL"]}}, "audience.people"),
        ({"title": "x", "space": "group", "space_group": "no-such-group"}, "space_group"),
        ({"title": "x", "space": "country", "space_country": "DE"}, "space_country"),
        ({"title": "x", "co_authors": ["ghost"]}, "co_authors"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_bad_input_is_422_with_field_errors(user, payload, field):
    response = as_user(user).post("/documents", payload)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"], body
    assert Document.objects.count() == 0
    assert not AuditEvent.objects.filter(action="documents.document.create").exists()


def test_patch_bad_input_is_422_and_changes_nothing(user):
    doc = make_document(user, tlp=TLP.AMBER, countries=[country("NL")])
    api = as_user(user)
    response = api.patch(f"/documents/{doc.pk}", {"tlp": "AMBER+STRICT"})
    assert response.status_code == 422
    assert "audience.countries" in response.json()["errors"]
    response = api.patch(f"/documents/{doc.pk}", {"title": None})
    assert response.status_code == 422 and "title" in response.json()["errors"]
    doc.refresh_from_db()
    assert doc.tlp == TLP.AMBER


def test_list_pagination_shape_and_ordering(user):
    for title in ["delta", "alpha", "echo", "charlie", "bravo"]:
        make_document(user, title=title)
    api = as_user(user)
    body = api.get("/documents", {"page_size": 2, "ordering": "title"}).json()
    assert set(body) == {"count", "count_is_exact", "page", "page_size", "results"}
    assert (body["count"], body["count_is_exact"], body["page"], body["page_size"]) == (5, True, 1, 2)
    assert [d["title"] for d in body["results"]] == ["alpha", "bravo"]
    body = api.get("/documents", {"page_size": 2, "page": 3, "ordering": "title"}).json()
    assert [d["title"] for d in body["results"]] == ["echo"]
    body = api.get("/documents", {"ordering": "-title"}).json()
    assert [d["title"] for d in body["results"]] == ["echo", "delta", "charlie", "bravo", "alpha"]
    assert api.get("/documents", {"page_size": 10_000}).json()["page_size"] == 200


def test_list_count_is_bounded(user, settings):
    settings.LIST_COUNT_LIMIT = 3
    for _ in range(5):
        make_document(user)
    body = as_user(user).get("/documents", {"page_size": 2}).json()
    assert body["count"] == 3 and body["count_is_exact"] is False and len(body["results"]) == 2


def test_list_order_by_tlp_is_least_to_most_restricted(user):
    for tlp in [TLP.RED, TLP.CLEAR, TLP.AMBER_STRICT, TLP.GREEN, TLP.AMBER]:
        make_document(user, tlp=tlp, people=[user] if tlp == TLP.RED else [])
    body = as_user(user).get("/documents", {"ordering": "tlp"}).json()
    assert [d["tlp"] for d in body["results"]] == ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]


def test_list_shows_only_visible_documents_and_counts_them(user, group):
    other = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    make_document(other, tlp=TLP.GREEN, title="green")
    make_document(other, tlp=TLP.AMBER, groups=[group], title="for drones")
    make_document(other, tlp=TLP.AMBER, countries=[country("DE")], title="for Germany")
    make_document(other, tlp=TLP.RED, people=[other], title="red")
    make_document(other, tlp=TLP.GREEN, state=Document.State.DRAFT, title="draft")
    body = as_user(user).get("/documents", {"ordering": "title"}).json()
    assert [d["title"] for d in body["results"]] == ["for drones", "green"]
    assert body["count"] == 2
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=OrganisationFactory(kind="research"))
    assert as_user(partner).get("/documents").json()["count"] == 0


def test_list_filters(user, group):
    other = UserFactory()
    join(other, group)
    make_document(user, tlp=TLP.GREEN, title="Mine about drones")
    make_document(other, tlp=TLP.GREEN, title="Theirs", co_authors=[user])
    make_document(other, tlp=TLP.CLEAR, title="Public note")
    make_document(user, tlp=TLP.GREEN, state=Document.State.DRAFT, title="My draft")
    in_space = make_document(other, tlp=TLP.AMBER, groups=[group], title="Group space")
    Document.objects.filter(pk=in_space.pk).update(space="group", space_group=group)
    nl = make_document(other, tlp=TLP.GREEN, title="Country space")
    Document.objects.filter(pk=nl.pk).update(space="country", space_country="NL")
    api = as_user(user)

    def titles(**params):
        response = api.get("/documents", {"ordering": "title", **params})
        assert response.status_code == 200, response.content
        return [d["title"] for d in response.json()["results"]]

    assert titles(tlp="CLEAR") == ["Public note"]
    assert titles(state="draft") == ["My draft"]
    assert titles(mine="true") == ["Mine about drones", "My draft", "Theirs"]
    assert titles(q="drones") == ["Mine about drones"]
    assert titles(group="drones") == ["Group space"]
    assert titles(space="group") == ["Group space"]
    assert titles(country="nl") == ["Country space"]
    bad = api.get("/documents", {"tlp": "PURPLE"})
    assert bad.status_code == 422 and "tlp" in bad.json()["errors"], bad.json()


def test_list_page_costs_a_constant_number_of_queries(user, group):
    other = UserFactory()
    api = as_user(user)
    api.get("/documents")  # token use is audited once an hour: keep it out of the counts

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/documents", {"page_size": 50}).status_code == 200
        return len(ctx)

    make_document(other, tlp=TLP.AMBER, groups=[group], people=[user], co_authors=[user])
    few = queries()
    for _ in range(12):
        make_document(
            other,
            tlp=TLP.AMBER,
            groups=[group],
            people=[user, other],
            co_authors=[user],
            countries=[country("NL")],
            organisations=[user.organisation],
        )
    assert queries() == few


def test_attachment_upload_download_and_limits(user, settings):
    doc = make_document(user, tlp=TLP.AMBER, organisations=[user.organisation])
    api = as_user(user)
    response = api.upload(f"/documents/{doc.pk}/attachments", {"file": SimpleUploadedFile("report.pdf", PDF)})
    assert response.status_code == 201, response.content
    att = response.json()
    assert att["name"] == "report.pdf" and att["content_type"] == "application/pdf" and att["size"] == len(PDF)
    assert att["url"] == f"/api/v1/documents/{doc.pk}/attachments/{att['id']}"
    assert api.get(f"/documents/{doc.pk}").json()["attachments"][0]["id"] == att["id"]

    download = api.client.get(att["url"], headers=api._headers())
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="documents.document.attachment_download", object_id=str(doc.pk)).exists()

    # Somebody outside the audience gets 404, for the file as for the document.
    outsider = as_user(UserFactory())
    assert outsider.client.get(att["url"], headers=outsider._headers()).status_code == 404
    assert api.get(f"/documents/{doc.pk}/attachments/999999").status_code == 404

    refused = api.upload(
        f"/documents/{doc.pk}/attachments",
        {"file": SimpleUploadedFile("tool.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200)},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "file_type_refused" and "file" in refused.json()["errors"]
    assert "PDF" in refused.json()["message"]

    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    big = api.upload(
        f"/documents/{doc.pk}/attachments", {"file": SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))}
    )
    assert big.status_code == 422
    assert big.json()["code"] == "file_too_large" and "1 MB" in big.json()["message"]

    missing = api.upload(f"/documents/{doc.pk}/attachments", {})
    assert missing.status_code == 422 and "file" in missing.json()["errors"]
    assert doc.attachments.count() == 1


def test_attachment_upload_needs_edit_rights(user):
    doc = make_document(UserFactory(), tlp=TLP.GREEN)
    response = as_user(user).upload(f"/documents/{doc.pk}/attachments", {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 403
    assert doc.attachments.count() == 0


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        # PostgreSQL cannot store or compare a NUL character; SQLite no integer beyond 64 bits.
        ("get", "/documents?q=a%00b", None),
        ("post", "/documents", {"title": "nul \x00 inside"}),
        ("post", "/documents", {"title": "x", "tlp": "AMBER", "audience": {"organisations": [10**20]}}),
    ],
)
def test_input_the_database_cannot_take_is_422_not_500(user, method, path, payload):
    api = as_user(user)
    response = api.get(path) if method == "get" else api.post(path, payload)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "invalid"
    assert Document.objects.count() == 0
