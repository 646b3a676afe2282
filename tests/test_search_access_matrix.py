"""The access matrix (tests/access_matrix.py) applied to search: for every role, the search page and
the search API list exactly the items the hand-written table says that role may see, and state
exactly that many results, unfiltered and with a facet filter. On both engines (the PostgreSQL one
only on PostgreSQL)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from enlets.documents.models import Document
from enlets.search import backend
from tests.access_matrix import API, PAGE, AccessMatrix, AccessMatrixTests, ListEndpoint, World, api_page_reader
from tests.access_matrix import links_reader as _links_reader
from tests.test_access_matrix_documents import create_document

QUERY = "q=matrix+item"


def _detail(item: Document) -> str:
    return reverse("documents:detail", args=[item.pk])


links_reader = _links_reader(_detail)

LIST_ENDPOINTS = [
    ListEndpoint("search_page", PAGE, lambda w: f"/search/?{QUERY}", links_reader),
    ListEndpoint("search_api", API, lambda w: f"/api/v1/search?{QUERY}&page_size=100", api_page_reader),
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
]


class SearchMatrix(AccessMatrix):
    def build(self, world: World) -> None:
        super().build(world)
        # The items were written inside the class's transaction, so their on-commit index tasks
        # never ran: index them now, the way `search_rebuild` does.
        backend().rebuild()


def _matrix() -> SearchMatrix:
    return SearchMatrix(
        model=Document,
        create_item=create_document,
        detail_endpoints=[],
        list_endpoints=LIST_ENDPOINTS,
        public_pages=True,
    )


class TestSearchAccessMatrixTantivy(AccessMatrixTests):
    matrix = _matrix()

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def search_settings(cls) -> Iterator[Any]:
        # Its own index folder: no other test's writes can land in it.
        with override_settings(SEARCH_ENGINE="tantivy", SEARCH_INDEX_DIR=tempfile.mkdtemp(prefix="matrix-search-")):
            yield


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL engine needs PostgreSQL")
class TestSearchAccessMatrixPostgres(AccessMatrixTests):
    matrix = _matrix()

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def search_settings(cls) -> Iterator[Any]:
        with override_settings(SEARCH_ENGINE="postgres"):
            yield
