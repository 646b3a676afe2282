"""The access matrix applied to practices: every page endpoint, every role, every marking case.

See tests/access_matrix.py for the world and the hand-written EXPECTED table. Practices reach
"published" and "archived" only through the review workflow, so `create_practice` takes each case
there with a reviewer of the world's topic. That reviewer is an extra person made here, not one of
the matrix PEOPLE: reviewers see submissions, and the cases are never in review, so EXPECTED stays
exactly the table of DESIGN.md.

DETAIL_ENDPOINTS, LIST_ENDPOINTS and AUDIT_ENDPOINTS are module-level lists on purpose: the API
(and later the exports) add their endpoints to them.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.urls import reverse

from enlets.practices import actions
from enlets.practices.models import Practice, ReviewCriterion, Topic
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
    case_title,
    links_reader,
    owner_or_co_author,
)
from tests.factories import COMPLETE_PRACTICE, UserFactory

ALL_CRITERIA = {criterion: True for criterion in ReviewCriterion.values}


def _topic(world: World) -> Topic:
    """The world's topic, reviewed by an extra person (made once per world)."""
    topic = getattr(world, "practice_topic", None)
    if topic is None:
        reviewer = UserFactory(username="mx_practice_reviewer", organisation=world.organisations["police_be"])
        topic = Topic.objects.create(name="Matrix topic", slug="matrix-topic")
        topic.reviewers.set([reviewer])
        world.practice_topic = topic  # type: ignore[attr-defined]
        world.practice_reviewer = reviewer  # type: ignore[attr-defined]
    return topic


def create_practice(world: World, owner: Any, key: str, case: Case) -> Practice:
    # Through the actions and the workflow, so labels, revisions and audit are exactly the app's.
    topic = _topic(world)
    practice = actions.do_create_practice(
        owner,
        tlp=case.tlp,
        audience=world.audience(case),
        co_authors=[world.users[p] for p in case.co_authors],
        topics=[topic],
        title=case_title(key),
        **COMPLETE_PRACTICE,
    )
    # The file goes on while the practice is a draft: an archived practice takes no new files.
    content = PDF_BYTES + f"% {practice.pk}\n".encode()
    upload = SimpleUploadedFile(f"matrix-{practice.pk}.pdf", content, content_type="application/pdf")
    practice.matrix_attachment = (actions.do_add_attachment(owner, practice, upload), content)  # type: ignore[attr-defined]
    steps = {"draft": [], "published": ["submit", "publish"], "archived": ["submit", "publish", "archive"]}[case.state]
    reviewer = world.practice_reviewer  # type: ignore[attr-defined]
    for step in steps:
        actor = reviewer if step == "publish" else owner
        attachment = practice.matrix_attachment  # type: ignore[attr-defined]
        practice = actions.do_transition(actor, practice, step, checklist=ALL_CRITERIA, comment="Matrix review.")
        practice.matrix_attachment = attachment  # type: ignore[attr-defined]
    assert practice.state == case.state
    return practice


def add_attachment(world: World, owner: Any, practice: Practice) -> tuple[Any, bytes]:
    """The file create_practice attached before the workflow (see there)."""
    return practice.matrix_attachment  # type: ignore[attr-defined]


def check_page(response: HttpResponse, world: World, key: str) -> None:
    html = response.content.decode()
    assert case_title(key) in html
    # Every item page shows its marking as a TLP badge.
    assert f"TLP:{CASES[key].tlp}" in html


def check_title(response: HttpResponse, world: World, key: str) -> None:
    assert case_title(key) in response.content.decode()


def check_file(response: HttpResponse, world: World, key: str) -> None:
    body = b"".join(response) if response.streaming else response.content
    assert body == world.attachment_bytes[key]
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def may_edit(role: str, case: Case) -> bool:
    """Authors edit, and only in a state where anyone edits (draft or published, here)."""
    return owner_or_co_author(role, case) and case.state in actions.EDITABLE_STATES


def may_delete(role: str, case: Case) -> bool:
    """Only the owner deletes, and only a draft that was never published."""
    return role == "author" and case.state == "draft"


def _detail(item: Practice) -> str:
    return reverse("practices:detail", args=[item.pk])


DETAIL_ENDPOINTS: list[DetailEndpoint] = [
    DetailEndpoint("page", PAGE, lambda w, k: _detail(w.items[k]), check_page),
    DetailEndpoint(
        "file",
        PAGE,
        lambda w, k: reverse("practices:attachment", args=[w.items[k].pk, w.attachments[k].pk]),
        check_file,
    ),
    DetailEndpoint("revisions", PAGE, lambda w, k: reverse("practices:revisions", args=[w.items[k].pk]), check_page),
    # Drafts have no revision: the diff page then says there is nothing to compare.
    DetailEndpoint("diff", PAGE, lambda w, k: reverse("practices:diff", args=[w.items[k].pk]), check_page),
    # Acting on a practice: 404 for who may not see it, 403 for who sees it but may not edit it.
    DetailEndpoint(
        "edit", PAGE, lambda w, k: reverse("practices:edit", args=[w.items[k].pk]), check_title, may=may_edit
    ),
    DetailEndpoint(
        "delete", PAGE, lambda w, k: reverse("practices:delete", args=[w.items[k].pk]), check_title, may=may_delete
    ),
    DetailEndpoint(
        "attachment_remove",
        PAGE,
        lambda w, k: reverse("practices:attachment_remove", args=[w.items[k].pk, w.attachments[k].pk]),
        check_title,
        may=may_edit,
    ),
]

LIST_ENDPOINTS: list[ListEndpoint] = [
    # Archived practices left the collection: the list shows them only when asked for (?state=archived).
    ListEndpoint(
        "list",
        PAGE,
        lambda w: reverse("practices:list"),
        links_reader(_detail),
        select=lambda case: case.state != "archived",
    ),
    ListEndpoint(
        "list_archived",
        PAGE,
        lambda w: reverse("practices:list") + "?state=archived",
        links_reader(_detail),
        select=lambda case: case.state == "archived",
    ),
    # A filtered list: counts and totals must follow the filter and the access rule together.
    ListEndpoint(
        "list_amber",
        PAGE,
        lambda w: reverse("practices:list") + "?tlp=AMBER",
        links_reader(_detail),
        select=lambda case: case.tlp == "AMBER" and case.state != "archived",
    ),
]

_EVENTS = "object_type=practices.practice&object_id={pk}"
AUDIT_ENDPOINTS: list[AuditEndpoint] = [
    AuditEndpoint("audit_page", PAGE, lambda w, k: reverse("core:audit_event", args=[w.events[k]])),
    AuditEndpoint("audit_list", PAGE, lambda w, k: reverse("core:audit") + "?" + _EVENTS.format(pk=w.items[k].pk)),
    AuditEndpoint(
        "audit_export", PAGE, lambda w, k: reverse("core:audit_export") + "?" + _EVENTS.format(pk=w.items[k].pk)
    ),
    AuditEndpoint("api_audit", API, lambda w, k: f"/api/v1/audit/events/{w.events[k]}"),
    AuditEndpoint("api_audit_list", API, lambda w, k: "/api/v1/audit/events?" + _EVENTS.format(pk=w.items[k].pk)),
]


class TestPracticeAccessMatrix(AccessMatrixTests):
    matrix = AccessMatrix(
        model=Practice,
        create_item=create_practice,
        add_attachment=add_attachment,
        detail_endpoints=DETAIL_ENDPOINTS,
        list_endpoints=LIST_ENDPOINTS,
        audit_endpoints=AUDIT_ENDPOINTS,
        public_pages=True,
    )
