"""The access matrix applied to the practices API: every API endpoint of a practice (the practice,
its revisions, comments, adoption and files) and the API lists, for every role and every marking
and audience case of tests/access_matrix.py.

The world's practices are made exactly as the page matrix makes them
(tests/test_access_matrix_practices.py): this module reuses its create_item and add_attachment
and only adds the API endpoints.
"""

from __future__ import annotations

from django.http import HttpResponse

from enlets.core.models import TLP

# A module alias, not `from ... import TestPracticeAccessMatrix`: pytest would collect (and run)
# the page matrix a second time under this module's name.
from tests import test_access_matrix_practices as page_matrix
from tests.access_matrix import (
    API,
    CASES,
    AccessMatrix,
    AccessMatrixTests,
    DetailEndpoint,
    ListEndpoint,
    World,
    api_page_reader,
    case_title,
)

PAGE_MATRIX: AccessMatrix = page_matrix.TestPracticeAccessMatrix.matrix


def check_practice(response: HttpResponse, world: World, key: str) -> None:
    data = response.json()
    item = world.items[key]
    assert data["id"] == item.pk
    assert data["title"] == case_title(key)
    assert data["tlp"] == CASES[key].tlp
    assert data["state"] == item.state
    assert [a["id"] for a in data["attachments"]] == [a.pk for a in item.attachments.order_by("created_at", "pk")]


def check_page_of(related: str):
    """A paginated list under the practice: every row of the item is there (no revision of these
    cases is stricter than its practice), and the count says so."""

    def check(response: HttpResponse, world: World, key: str) -> None:
        data = response.json()
        expected = getattr(world.items[key], related).count()
        assert data["count"] == expected and len(data["results"]) == expected, (related, data)

    return check


def check_file(response: HttpResponse, world: World, key: str) -> None:
    body = b"".join(response) if response.streaming else response.content
    assert body == world.attachment_bytes[key]
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def _practice(world: World, key: str) -> str:
    return f"/api/v1/practices/{world.items[key].pk}"


API_DETAIL_ENDPOINTS = [
    DetailEndpoint("api_practice", API, _practice, check_practice),
    DetailEndpoint("api_revisions", API, lambda w, k: _practice(w, k) + "/revisions", check_page_of("revisions")),
    DetailEndpoint("api_comments", API, lambda w, k: _practice(w, k) + "/comments", check_page_of("comments")),
    DetailEndpoint("api_adoption", API, lambda w, k: _practice(w, k) + "/adoption", check_page_of("adoptions")),
    DetailEndpoint("api_file", API, lambda w, k: _practice(w, k) + f"/attachments/{w.attachments[k].pk}", check_file),
]

API_LIST_ENDPOINTS = [
    # As on the list page, archived practices are listed only when asked for (?state=archived).
    ListEndpoint(
        "api_list",
        API,
        lambda w: "/api/v1/practices?page_size=200",
        api_page_reader,
        select=lambda case: case.state != "archived",
    ),
    # Filtered lists: the count must follow the filter and the access rule together.
    ListEndpoint(
        "api_list_amber",
        API,
        lambda w: "/api/v1/practices?tlp=AMBER&page_size=200",
        api_page_reader,
        select=lambda case: case.tlp == "AMBER" and case.state != "archived",
    ),
    ListEndpoint(
        "api_list_archived",
        API,
        lambda w: "/api/v1/practices?state=archived&page_size=200",
        api_page_reader,
        select=lambda case: case.state == "archived",
    ),
    # The topic summary holds the published practices of the topic that the reader may see, and
    # states the strictest marking among them.
    ListEndpoint(
        "api_summary",
        API,
        lambda w: "/api/v1/topics/matrix-topic/summary",
        lambda response, w: read_summary(response, w),
        select=lambda case: case.state == "published",
    ),
]


def read_summary(response: HttpResponse, world: World) -> tuple[set[str], int | None]:
    data = response.json()
    keys = {world.key_of(row["practice_id"]) for row in data["rows"]}
    strictest = max((row["tlp"] for row in data["rows"]), key=TLP.strictness, default=TLP.CLEAR)
    assert data["most_restrictive_tlp"] == strictest, "the summary must state the strictest marking it holds"
    return {k for k in keys if k is not None}, data["count"]


class TestPracticeApiAccessMatrix(AccessMatrixTests):
    matrix = AccessMatrix(
        model=PAGE_MATRIX.model,
        create_item=PAGE_MATRIX.create_item,
        add_attachment=PAGE_MATRIX.add_attachment,
        detail_endpoints=API_DETAIL_ENDPOINTS,
        list_endpoints=API_LIST_ENDPOINTS,
    )
    # The rule itself (visible_to, can_see) is the page matrix's to test; here only the API.
    test_queryset = None  # type: ignore[assignment]
    test_can_see = None  # type: ignore[assignment]
    test_audit = None  # type: ignore[assignment]
