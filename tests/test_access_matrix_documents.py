"""The access matrix applied to the document library: every endpoint, every role, every case.

See tests/access_matrix.py for the world and the hand-written EXPECTED table, and
docs/testing.md for how another model reuses this.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.urls import reverse

from enlets.documents import actions
from enlets.documents.models import Document
from tests.access_matrix import (
    API,
    CASES,
    PAGE,
    PDF_BYTES,
    AccessMatrix,
    AccessMatrixTests,
    AuditEndpoint,
    Case,
    DetailEndpoint,
    ListEndpoint,
    World,
    api_page_reader,
    case_title,
    links_reader,
    owner_only,
    owner_or_co_author,
)


def create_document(world: World, owner: Any, key: str, case: Case) -> Document:
    # Through the action, so the labels are written exactly as the app writes them.
    return actions.do_create_document(
        owner,
        tlp=case.tlp,
        state=case.state,
        audience=world.audience(case),
        co_authors=[world.users[p] for p in case.co_authors],
        title=case_title(key),
        summary=f"Summary of {key}",
        body=f"Body of **{key}**.",
    )


def add_attachment(world: World, owner: Any, document: Document) -> tuple[Any, bytes]:
    content = PDF_BYTES + f"% {document.pk}\n".encode()
    upload = SimpleUploadedFile(f"matrix-{document.pk}.pdf", content, content_type="application/pdf")
    return actions.do_add_attachment(owner, document, upload), content


def check_page(response: HttpResponse, world: World, key: str) -> None:
    html = response.content.decode()
    assert case_title(key) in html
    # Every item page shows its marking as a TLP badge (DESIGN.md, issue part 7).
    assert f"TLP:{CASES[key].tlp}" in html


def check_title(response: HttpResponse, world: World, key: str) -> None:
    assert case_title(key) in response.content.decode()


def check_api(response: HttpResponse, world: World, key: str) -> None:
    data = response.json()
    item = world.items[key]
    assert data["id"] == item.pk
    assert data["title"] == case_title(key)
    assert data["tlp"] == CASES[key].tlp
    assert [a["id"] for a in data["attachments"]] == [world.attachments[key].pk]


def check_file(response: HttpResponse, world: World, key: str) -> None:
    body = b"".join(response) if response.streaming else response.content
    assert body == world.attachment_bytes[key]
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def _detail(item: Document) -> str:
    return reverse("documents:detail", args=[item.pk])


DETAIL_ENDPOINTS = [
    DetailEndpoint("page", PAGE, lambda w, k: reverse("documents:detail", args=[w.items[k].pk]), check_page),
    DetailEndpoint("api", API, lambda w, k: f"/api/v1/documents/{w.items[k].pk}", check_api),
    DetailEndpoint(
        "file",
        PAGE,
        lambda w, k: reverse("documents:attachment", args=[w.items[k].pk, w.attachments[k].pk]),
        check_file,
    ),
    DetailEndpoint(
        "api_file", API, lambda w, k: f"/api/v1/documents/{w.items[k].pk}/attachments/{w.attachments[k].pk}", check_file
    ),
    # The pages that act on a document: 404 for who may not see it, 403 for who sees it but may not act.
    DetailEndpoint(
        "edit", PAGE, lambda w, k: reverse("documents:edit", args=[w.items[k].pk]), check_title, may=owner_or_co_author
    ),
    DetailEndpoint(
        "delete", PAGE, lambda w, k: reverse("documents:delete", args=[w.items[k].pk]), check_title, may=owner_only
    ),
    DetailEndpoint(
        "transfer", PAGE, lambda w, k: reverse("documents:transfer", args=[w.items[k].pk]), check_title, may=owner_only
    ),
]

LIST_ENDPOINTS = [
    ListEndpoint("list", PAGE, lambda w: reverse("documents:list"), links_reader(_detail)),
    ListEndpoint("api_list", API, lambda w: "/api/v1/documents?page_size=200", api_page_reader),
    # A filtered list: counts and totals must follow the filter and the access rule together.
    ListEndpoint(
        "api_list_amber",
        API,
        lambda w: "/api/v1/documents?tlp=AMBER&page_size=200",
        api_page_reader,
        select=lambda case: case.tlp == "AMBER",
    ),
    ListEndpoint(
        "list_amber",
        PAGE,
        lambda w: reverse("documents:list") + "?tlp=AMBER",
        links_reader(_detail),
        select=lambda case: case.tlp == "AMBER",
    ),
]


_EVENTS = "object_type=documents.document&object_id={pk}"
AUDIT_ENDPOINTS = [
    AuditEndpoint("audit_page", PAGE, lambda w, k: reverse("core:audit_event", args=[w.events[k]])),
    AuditEndpoint("audit_list", PAGE, lambda w, k: reverse("core:audit") + "?" + _EVENTS.format(pk=w.items[k].pk)),
    AuditEndpoint(
        "audit_export", PAGE, lambda w, k: reverse("core:audit_export") + "?" + _EVENTS.format(pk=w.items[k].pk)
    ),
    AuditEndpoint("api_audit", API, lambda w, k: f"/api/v1/audit/events/{w.events[k]}"),
    AuditEndpoint("api_audit_list", API, lambda w, k: "/api/v1/audit/events?" + _EVENTS.format(pk=w.items[k].pk)),
]


class TestDocumentAccessMatrix(AccessMatrixTests):
    matrix = AccessMatrix(
        model=Document,
        create_item=create_document,
        add_attachment=add_attachment,
        detail_endpoints=DETAIL_ENDPOINTS,
        list_endpoints=LIST_ENDPOINTS,
        audit_endpoints=AUDIT_ENDPOINTS,
        public_pages=True,
    )
