"""The PostgreSQL full-text engine: the same contract as the tantivy engine (tests/test_search.py).
Runs only on PostgreSQL (DATABASE_URL=postgres://...)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from enlets.core.models import TLP
from enlets.documents import actions
from enlets.documents.models import Document
from enlets.network.models import Organisation, Role
from enlets.search import backend
from tests.factories import InterestGroupFactory, OrganisationFactory, UserFactory, join, make_document

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL engine needs PostgreSQL"),
]


@pytest.fixture
def pg(settings):
    settings.SEARCH_ENGINE = "postgres"


@pytest.fixture
def world(pg):
    owner = UserFactory()
    member = UserFactory()
    group_member = UserFactory()
    partner = UserFactory(role=Role.EXTERNAL_PARTNER, organisation=OrganisationFactory(kind=Organisation.Kind.RESEARCH))
    group = InterestGroupFactory()
    join(owner, group)
    join(group_member, group)
    docs = {
        "green": make_document(owner, tlp=TLP.GREEN, title="Drone detection at airports", body="Radar drones"),
        "amber": make_document(owner, tlp=TLP.AMBER, groups=[group], title="Drone jamming trial", body="Secret"),
        "draft": make_document(owner, state=Document.State.DRAFT, title="Drone draft notes", body="unfinished"),
        "clear": make_document(owner, tlp=TLP.CLEAR, title="Public drone leaflet", body="Polítie guidance"),
    }
    backend().rebuild()
    return {"owner": owner, "member": member, "group_member": group_member, "partner": partner, "docs": docs}


def found(user, query, **kwargs) -> set[int]:
    return {hit.pk for hit in backend().search(user, query, **kwargs).hits}


def test_results_totals_and_facets_only_count_visible_items(world):
    docs = world["docs"]
    expectations = {
        "owner": {"green", "amber", "draft", "clear"},
        "member": {"green", "clear"},
        "group_member": {"green", "amber", "clear"},
        "partner": {"clear"},
    }
    for who, names in expectations.items():
        results = backend().search(world[who], "drone")
        assert {h.pk for h in results.hits} == {docs[n].pk for n in names}, who
        assert results.total == len(names), who
        assert sum(results.facets["type"].values()) == len(names), who
        assert ("AMBER" in results.facets["tlp"]) == ("amber" in names), who
    assert found(None, "drone") == {docs["clear"].pk}


def test_language_features(world):
    owner, docs = world["owner"], world["docs"]
    assert docs["green"].pk in found(owner, "drones")
    assert found(owner, "politie") == {docs["clear"].pk}
    assert found(owner, "polítie") == {docs["clear"].pk}
    assert found(owner, '"drone detection"') == {docs["green"].pk}
    assert found(owner, '"detection drone"') == set()
    assert found(owner, "leaf*") == {docs["clear"].pk}
    assert found(owner, "drone", facets={"tlp": "CLEAR"}) == {docs["clear"].pk}


def test_snippet_is_escaped(pg):
    owner = UserFactory()
    make_document(owner, title="Markup", body="<script>alert(1)</script> the radar drones here")
    backend().rebuild()
    [hit] = backend().search(owner, "radar").hits
    assert "<script>" not in hit.snippet_html and "<mark>radar</mark>" in hit.snippet_html


@pytest.mark.parametrize("query", ['"unbalanced', "a AND (b", "title:x", "*", ")))", "OR OR", "the", "'a':*"])
def test_hostile_queries(world, query):
    client = Client()
    client.force_login(world["member"])
    assert client.get("/search/", {"q": query}).status_code == 200
    results = backend().search(world["member"], query)
    assert all(h.pk in {world["docs"]["green"].pk, world["docs"]["clear"].pk} for h in results.hits)


def test_actions_and_rebuild(pg, django_capture_on_commit_callbacks):
    owner, member = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        document = actions.do_create_document(owner, title="Thermal camera", tlp=TLP.GREEN, state="published")
    assert found(member, "thermal") == {document.pk}
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_document(owner, document, state="draft")
    assert found(member, "thermal") == set() and found(owner, "thermal") == {document.pk}
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_delete_document(owner, Document.objects.get(pk=document.pk))
    assert found(owner, "thermal") == set()
    make_document(owner, title="Plate readers")
    call_command("search_rebuild", stdout=None)
    assert len(found(owner, "plate")) == 1
