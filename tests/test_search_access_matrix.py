"""The access matrix (tests/access_matrix.py) applied to search: for every role, the search page and
the search API list exactly the items the hand-written table says that role may see, and state
exactly that many results, unfiltered and with a facet filter (a single-valued one, ?tlp=AMBER,
and for practices a list facet, ?topic=). For documents and for practices, on both engines (the
PostgreSQL one only on PostgreSQL). Then the reviewer case of practices, which the table has no
column for: a practice in review is found by its topic's reviewers and nobody else, and neither
the totals nor the facet counts of anybody else betray it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings

from enlets.documents.models import Document
from enlets.practices.models import Practice
from enlets.search import backend, tantivy_engine
from tests.access_matrix import (
    API,
    PAGE,
    AccessMatrix,
    AccessMatrixTests,
    Case,
    ListEndpoint,
    World,
    api_page_reader,
    case_title,
)
from tests.access_matrix import links_reader as _links_reader
from tests.factories import UserFactory, make_practice, make_topic
from tests.search_engines import SEARCH_ENGINES
from tests.test_access_matrix_documents import create_document

QUERY = "q=matrix+item"
# The topic every matrix practice is filed under (a list facet: each practice has two topics).
MATRIX_TOPIC = "matrix-search-topic"


def _detail(item: Any) -> str:
    return item.get_absolute_url()


links_reader = _links_reader(_detail)


def list_endpoints(model_key: str, extra: str = "") -> list[ListEndpoint]:
    """The search page and API, unfiltered, by type, with ?tlp=AMBER, and with `extra` filters."""
    return [
        ListEndpoint("search_page", PAGE, lambda w: f"/search/?{QUERY}", links_reader),
        ListEndpoint("search_api", API, lambda w: f"/api/v1/search?{QUERY}&page_size=100", api_page_reader),
        ListEndpoint(
            "search_api_type", API, lambda w: f"/api/v1/search?{QUERY}&type={model_key}&page_size=100", api_page_reader
        ),
        ListEndpoint(
            "search_page_amber",
            PAGE,
            lambda w: f"/search/?{QUERY}&tlp=AMBER",
            links_reader,
            select=lambda case: case.tlp == "AMBER",
        ),
        ListEndpoint(
            "search_api_amber",
            API,
            lambda w: f"/api/v1/search?{QUERY}&tlp=AMBER&page_size=100",
            api_page_reader,
            select=lambda case: case.tlp == "AMBER",
        ),
        *(
            [
                ListEndpoint("search_page_facet", PAGE, lambda w: f"/search/?{QUERY}&{extra}", links_reader),
                ListEndpoint(
                    "search_api_facet", API, lambda w: f"/api/v1/search?{QUERY}&{extra}&page_size=100", api_page_reader
                ),
                ListEndpoint(
                    "search_api_facet_amber",
                    API,
                    lambda w: f"/api/v1/search?{QUERY}&{extra}&tlp=AMBER&page_size=100",
                    api_page_reader,
                    select=lambda case: case.tlp == "AMBER",
                ),
            ]
            if extra
            else []
        ),
    ]


def facet_counts_reader(inner: Any) -> Any:
    """The API reader, plus: every facet's counts add up to no more than the visible items (a
    single-valued facet exactly to them), so no count betrays a hidden item."""

    def read(response: Any, world: World) -> tuple[set[str], int | None]:
        found, total = inner(response, world)
        facets = response.json()["facets"]
        for name in ("type", "tlp", "state"):
            assert sum(facets.get(name, {}).values()) == total, (name, facets)
        for name, counts in facets.items():
            assert all(count <= total for count in counts.values()), (name, facets)
        practices = facets.get("type", {}).get("practices.practice", 0)
        if practices:
            # Every matrix practice has both topics (a list facet): each counts exactly the visible ones.
            assert facets["topic"] == {MATRIX_TOPIC: practices, "matrix-search-second": practices}, facets
            assert facets["country"] == {"DE": practices}, facets
        return found, total

    return read


def counts_endpoint() -> ListEndpoint:
    return ListEndpoint(
        "search_api_counts",
        API,
        lambda w: f"/api/v1/search?{QUERY}&page_size=100&facets=true",
        facet_counts_reader(api_page_reader),
    )


def create_practice(world: World, owner: Any, key: str, case: Case) -> Practice:
    # Through the actions and the workflow (make_practice), so labels and states are real. The
    # reviewer is nobody of the matrix: a published practice gives its reviewers nothing.
    topics = world.extra.setdefault("topics", [])
    if not topics:
        reviewer = UserFactory(username="mx_search_reviewer")
        topics += [
            make_topic("Matrix search topic", reviewers=[reviewer], slug=MATRIX_TOPIC),
            make_topic("Matrix search second", reviewers=[reviewer], slug="matrix-search-second"),
        ]
        world.extra["reviewer"] = reviewer
    return make_practice(
        owner,
        topics=topics,
        state=case.state,
        reviewer=world.extra["reviewer"],
        tlp=case.tlp,
        audience=world.audience(case),
        co_authors=[world.users[p] for p in case.co_authors],
        title=case_title(key),
    )


class SearchMatrix(AccessMatrix):
    def build(self, world: World) -> None:
        world.extra = {}  # type: ignore[attr-defined]
        super().build(world)
        # The items were written inside the class's transaction, so their on-commit index tasks
        # never ran: index them now, the way `search_rebuild` does.
        backend().rebuild()


def _matrix() -> SearchMatrix:
    endpoints = list_endpoints("documents.document")
    endpoints.append(counts_endpoint())
    return SearchMatrix(
        model=Document,
        create_item=create_document,
        detail_endpoints=[],
        list_endpoints=endpoints,
        public_pages=True,
    )


def _practice_matrix() -> SearchMatrix:
    endpoints = list_endpoints("practices.practice", extra=f"topic={MATRIX_TOPIC}&country=DE")
    endpoints.append(counts_endpoint())
    return SearchMatrix(
        model=Practice,
        create_item=create_practice,
        detail_endpoints=[],
        list_endpoints=endpoints,
        public_pages=True,
    )


@contextmanager
def tantivy_settings(*, labels_form: str = "auto", split: bool = False) -> Iterator[None]:
    """tantivy with its own index folder (no other test's writes can land in it). The labels filter
    has three forms (tantivy_engine.labels_clause): "auto" leaves the choice to the engine, which for
    a matrix's few items is the exclusion for community members and the union of terms for everyone
    else; "term_set" and "union" force that form on every reader. `split` ranks every page in the
    two parts at once (tantivy_engine.ranked_in_parts), items alternating between the parts."""
    with (
        override_settings(SEARCH_ENGINE="tantivy", SEARCH_INDEX_DIR=tempfile.mkdtemp(prefix="matrix-search-")),
        pytest.MonkeyPatch.context() as patch,
    ):
        if split:
            patch.setattr(tantivy_engine, "PART_RUN", 1)
            patch.setattr(tantivy_engine, "SPLIT_MIN_PART", 1)
            patch.setattr(tantivy_engine, "SPLIT_MIN_POSTINGS", 1)
        if labels_form != "auto":
            patch.setattr(tantivy_engine, "LABEL_EXCLUSION", False)
        if labels_form == "term_set":
            patch.setattr(tantivy_engine, "LABEL_UNION_MAX_MATCHES", -1)
        yield


class _TantivyMatrixTests(AccessMatrixTests):
    """A matrix on tantivy with the labels filter in `labels_form` (see tantivy_settings)."""

    labels_form = "auto"
    split = False

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def search_settings(cls) -> Iterator[Any]:
        with tantivy_settings(labels_form=cls.labels_form, split=cls.split):
            yield


class TestSearchAccessMatrixTantivy(_TantivyMatrixTests):
    matrix = _matrix()
    labels_form = "auto"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL engine needs PostgreSQL")
class TestSearchAccessMatrixPostgres(AccessMatrixTests):
    matrix = _matrix()

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def search_settings(cls) -> Iterator[Any]:
        with override_settings(SEARCH_ENGINE="postgres"):
            yield


class TestPracticeSearchAccessMatrixTantivy(_TantivyMatrixTests):
    matrix = _practice_matrix()
    labels_form = "auto"


class TestSearchAccessMatrixTantivyTermSet(_TantivyMatrixTests):
    """The same matrix with every reader's labels as a term set, the form large result sets get."""

    matrix = _matrix()
    labels_form = "term_set"


class TestPracticeSearchAccessMatrixTantivyTermSet(_TantivyMatrixTests):
    matrix = _practice_matrix()
    labels_form = "term_set"


class TestSearchAccessMatrixTantivySplit(_TantivyMatrixTests):
    """The same matrix with every ranked page computed in two parts at once and merged."""

    matrix = _matrix()
    split = True


class TestPracticeSearchAccessMatrixTantivySplit(_TantivyMatrixTests):
    matrix = _practice_matrix()
    split = True


class TestSearchAccessMatrixTantivyUnion(_TantivyMatrixTests):
    """The same matrix with every reader's labels as a union of terms (community members too)."""

    matrix = _matrix()
    labels_form = "union"


class TestPracticeSearchAccessMatrixTantivyUnion(_TantivyMatrixTests):
    matrix = _practice_matrix()
    labels_form = "union"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL engine needs PostgreSQL")
class TestPracticeSearchAccessMatrixPostgres(AccessMatrixTests):
    matrix = _practice_matrix()

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def search_settings(cls) -> Iterator[Any]:
        with override_settings(SEARCH_ENGINE="postgres"):
            yield


# --- The reviewer case -----------------------------------------------------------------------------

REVIEW_TITLE = "Reviewmatrix practice quokka"


@pytest.mark.django_db
@pytest.mark.parametrize("engine", SEARCH_ENGINES)
@pytest.mark.parametrize("state", ["submitted", "in_review", "changes_requested"])
def test_practice_in_review_is_found_by_its_reviewers_only(engine: str, state: str, settings: Any, tmp_path: Any):
    settings.SEARCH_ENGINE = engine
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    owner, reviewer, co_reviewer = UserFactory(), UserFactory(), UserFactory()
    other_topic_reviewer, member = UserFactory(), UserFactory()
    topic = make_topic("Reviewmatrix topic", reviewers=[reviewer, co_reviewer], slug="reviewmatrix-topic")
    make_topic("Reviewmatrix other", reviewers=[other_topic_reviewer], slug="reviewmatrix-other")
    practice = make_practice(owner, topics=[topic], state=state, reviewer=reviewer, title=REVIEW_TITLE)
    # A published neighbour everyone finds, so "nothing found" is never an empty index.
    make_practice(owner, topics=[topic], state="published", reviewer=reviewer, title="Reviewmatrix published quokka")
    backend().rebuild()
    finders = {"owner": owner, "reviewer": reviewer, "co_reviewer": co_reviewer}
    others = {"other_topic_reviewer": other_topic_reviewer, "member": member}
    for who, user in {**finders, **others}.items():
        client = Client()
        client.force_login(user)
        sees = who in finders
        data = client.get("/api/v1/search", {"q": "reviewmatrix quokka", "page_size": 100, "facets": "true"}).json()
        ids = {row["id"] for row in data["results"]}
        assert (practice.pk in ids) is sees, who
        assert data["count"] == (2 if sees else 1), who
        assert data["facets"]["state"].get(state, 0) == (1 if sees else 0), who
        assert data["facets"]["topic"] == {"reviewmatrix-topic": 2 if sees else 1}, who
        # Without the facet counts (the API's default) the total comes from the ranked page's own count.
        plain = client.get("/api/v1/search", {"q": "reviewmatrix quokka", "page_size": 100}).json()
        assert plain["facets"] == {} and plain["count"] == data["count"], who
        assert {row["id"] for row in plain["results"]} == ids, who
        filtered = client.get("/api/v1/search", {"q": "quokka", "state": state}).json()
        assert filtered["count"] == (1 if sees else 0), who
        page = client.get("/search/", {"q": "reviewmatrix quokka"}).content.decode()
        assert (REVIEW_TITLE in page) is sees, who
        assert (practice.get_absolute_url() in page) is sees, who
    anonymous = Client().get("/api/v1/search", {"q": "quokka"})
    assert anonymous.status_code == 401 or anonymous.json()["count"] == 0
