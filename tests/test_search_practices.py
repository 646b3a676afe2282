"""Practices in the search module, on both engines (the PostgreSQL one only on PostgreSQL):
list facets (a practice's topics and countries) are indexed per value, filter on any value and
count the practice once under each; reviewers find a practice in review, nobody else does; the
rebuild command indexes practices; the page and the API take ?topic= and ?country=."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from enlets.core.models import TLP
from enlets.practices.models import Practice
from enlets.search import backend
from enlets.search.fields import FacetField
from tests.factories import UserFactory, country, make_document, make_practice, make_topic

pytestmark = pytest.mark.django_db

PRACTICE = "practices.practice"


@pytest.fixture
def world(engine) -> dict[str, Any]:
    """Three published practices with overlapping topics and countries, one in review, one draft."""
    owner = UserFactory()
    reviewer = UserFactory()
    other_reviewer = UserFactory()
    member = UserFactory()
    anpr = make_topic("Search ANPR", reviewers=[reviewer], slug="search-anpr")
    osint = make_topic("Search OSINT", reviewers=[reviewer], slug="search-osint")
    drones = make_topic("Search drones", reviewers=[other_reviewer], slug="search-drones")
    de, nl, be = country("DE"), country("NL"), country("BE")
    practices = {
        "both": make_practice(
            owner,
            topics=[anpr, osint],
            countries=[de, nl],
            state="published",
            reviewer=reviewer,
            title="Zebrafinch camera network",
        ),
        "anpr": make_practice(
            owner, topics=[anpr], countries=[de], state="published", reviewer=reviewer, title="Zebrafinch roadside"
        ),
        "osint": make_practice(
            owner, topics=[osint], countries=[be], state="published", reviewer=reviewer, title="Zebrafinch feeds"
        ),
        "review": make_practice(
            owner, topics=[drones], countries=[nl], state="in_review", reviewer=other_reviewer, title="Zebrafinch drone"
        ),
        "draft": make_practice(owner, topics=[anpr], countries=[nl], title="Zebrafinch draft"),
    }
    backend().rebuild()
    return {
        "owner": owner,
        "reviewer": reviewer,
        "other_reviewer": other_reviewer,
        "member": member,
        "practices": practices,
    }


def keys(world: dict[str, Any], results: Any) -> set[str]:
    by_pk = {p.pk: key for key, p in world["practices"].items()}
    return {by_pk[hit.pk] for hit in results.hits if hit.model == PRACTICE}


def test_facet_field_values_single_and_list():
    single = FacetField("tlp")
    listed = FacetField("topic", source=lambda item: ["anpr", "", "osint", "anpr", None])
    empty = FacetField("country", source=lambda item: [])

    class Item:
        tlp = "GREEN"

    assert single.values(Item()) == ["GREEN"] and single.value(Item()) == "GREEN"
    assert single.stored(Item()) == "GREEN"
    assert listed.values(Item()) == ["anpr", "osint"] and listed.value(Item()) == "anpr"
    assert listed.stored(Item()) == ["anpr", "osint"]
    assert empty.values(Item()) == [] and empty.value(Item()) == "" and empty.stored(Item()) == []


def test_practice_is_searchable_with_its_list_facets():
    from enlets.search import registry

    assert Practice in registry.searchable_models()
    facets = registry.all_facets()
    assert facets["topic"] == "Topic" and facets["country"] == "Country"
    assert registry.list_facets() == {"topic", "country"}


def test_list_facets_filter_on_any_value_and_count_once_per_value(world):
    member = world["member"]
    everything = backend().search(member, "zebrafinch")
    assert keys(world, everything) == {"both", "anpr", "osint"}
    assert everything.total == 3
    # "both" counts once under each of its topics and countries.
    assert everything.facets["topic"] == {"search-anpr": 2, "search-osint": 2}
    assert everything.facets["country"] == {"DE": 2, "NL": 1, "BE": 1}
    assert everything.facets["type"] == {PRACTICE: 3}

    anpr = backend().search(member, "zebrafinch", facets={"topic": "search-anpr"})
    assert keys(world, anpr) == {"both", "anpr"} and anpr.total == 2
    assert anpr.facets["topic"] == {"search-anpr": 2, "search-osint": 1}
    osint = backend().search(member, "zebrafinch", facets={"topic": "search-osint"})
    assert keys(world, osint) == {"both", "osint"}
    nl = backend().search(member, "zebrafinch", facets={"country": "NL"})
    assert keys(world, nl) == {"both"} and nl.facets["country"] == {"DE": 1, "NL": 1}
    both = backend().search(member, "zebrafinch", facets={"topic": "search-osint", "country": "DE"})
    assert keys(world, both) == {"both"}
    # Without words: the filter alone.
    assert keys(world, backend().search(member, "", facets={"topic": "search-anpr"})) == {"both", "anpr"}

    # A value nobody has, and a prefix of a real one, find nothing.
    assert backend().search(member, "zebrafinch", facets={"topic": "search"}).total == 0
    assert not any(backend().search(member, "zebrafinch", facets={"topic": "nothing"}).facets.values())


def test_list_facets_count_the_same_when_their_columns_overflow(world, engine, monkeypatch):
    """tantivy counts a facet on one column per position of its values; with more distinct values in
    a column than it counts (here: more than one) it must fall back to the facet's own column,
    same figures."""
    if engine != "tantivy":
        pytest.skip("position columns are the tantivy engine's")
    from enlets.search import tantivy_engine

    monkeypatch.setattr(tantivy_engine, "POSITION_BUCKETS", 1)
    test_list_facets_filter_on_any_value_and_count_once_per_value(world)


def test_list_facets_count_the_same_on_their_own_columns(world, engine, monkeypatch):
    """Declared single-valued, a list facet is counted on its own multi-valued column: the same figures."""
    if engine != "tantivy":
        pytest.skip("position columns are the tantivy engine's")
    from enlets.search import registry

    monkeypatch.setattr(registry, "list_facets", lambda: frozenset())
    backend().rebuild()
    test_list_facets_filter_on_any_value_and_count_once_per_value(world)


def test_a_practice_with_more_values_than_positions_counts_once_under_each(world, engine):
    """Values beyond FACET_POSITIONS share one multi-valued column; each still counts the practice once."""
    from enlets.search.tantivy_engine import FACET_POSITIONS

    codes = ["AT", "BE", "CZ", "DE", "DK", "EE", "ES", "FI"]
    assert len(codes) > FACET_POSITIONS + 1
    topic = make_topic("Search nightjar", reviewers=[world["reviewer"]], slug="search-nightjar")
    make_practice(
        world["owner"],
        topics=[topic],
        countries=[country(code) for code in codes],
        state="published",
        reviewer=world["reviewer"],
        title="Nightjar cross-border exchange",
    )
    make_practice(
        world["owner"],
        topics=[topic],
        countries=[country(code) for code in reversed(codes[:5])],
        state="published",
        reviewer=world["reviewer"],
        title="Nightjar pilot",
    )
    backend().rebuild()
    results = backend().search(world["member"], "nightjar")
    assert results.total == 2
    assert results.facets["country"] == {code: 2 if code in codes[:5] else 1 for code in codes}
    for code in codes:
        expected = 2 if code in codes[:5] else 1
        assert backend().search(world["member"], "nightjar", facets={"country": code}).total == expected


def test_single_valued_facets_still_work_next_to_list_facets(world):
    owner = world["owner"]
    make_document(owner, tlp=TLP.AMBER, people=[world["member"]], title="Zebrafinch memo")
    backend().rebuild()
    results = backend().search(world["member"], "zebrafinch")
    assert results.facets["type"] == {PRACTICE: 3, "documents.document": 1}
    assert results.facets["tlp"] == {"GREEN": 3, "AMBER": 1}
    amber = backend().search(world["member"], "zebrafinch", facets={"tlp": "AMBER"})
    assert amber.total == 1 and amber.hits[0].model == "documents.document"
    # A single-valued facet filter and a list facet filter together.
    assert backend().search(world["member"], "zebrafinch", facets={"tlp": "AMBER", "topic": "search-anpr"}).total == 0
    owner_country = owner.organisation.country_id
    assert backend().search(world["member"], "zebrafinch", facets={"owner_country": owner_country}).total == 4


def test_practice_in_review_is_found_by_its_topics_reviewer_only(world):
    review = world["practices"]["review"]
    for who in ("other_reviewer", "owner"):
        results = backend().search(world[who], "drone zebrafinch")
        assert keys(world, results) == {"review"}, who
        assert results.total == 1 and results.facets["topic"] == {"search-drones": 1}, who
    for who in ("reviewer", "member"):
        # Not a reviewer of the drones topic: not found, not counted, not in any facet.
        results = backend().search(world[who], "drone zebrafinch")
        assert results.total == 0 and results.hits == [] and not any(results.facets.values()), who
        broad = backend().search(world[who], "zebrafinch")
        assert "review" not in keys(world, broad) and "search-drones" not in broad.facets.get("topic", {}), who
        assert sum(broad.facets["type"].values()) == broad.total == 3, who
        filtered = backend().search(world[who], "", facets={"topic": "search-drones"})
        assert filtered.total == 0, who
    assert review.state == Practice.State.IN_REVIEW


def test_drafts_are_found_by_their_owner_only(world):
    assert keys(world, backend().search(world["owner"], "draft zebrafinch")) == {"draft"}
    assert backend().search(world["reviewer"], "draft zebrafinch").total == 0
    assert backend().search(world["member"], "draft zebrafinch").total == 0
    assert backend().search(None, "zebrafinch").total == 0  # GREEN: not public


def test_page_and_api_filter_on_topic_and_country(world):
    client = Client()
    client.force_login(world["member"])
    data = client.get("/api/v1/search", {"q": "zebrafinch", "topic": "search-anpr", "facets": "true"}).json()
    assert {row["id"] for row in data["results"]} == {world["practices"][k].pk for k in ("both", "anpr")}
    assert data["count"] == 2 and data["facets"]["topic"] == {"search-anpr": 2, "search-osint": 1}
    data = client.get("/api/v1/search", {"q": "zebrafinch", "country": "BE"}).json()
    assert {row["id"] for row in data["results"]} == {world["practices"]["osint"].pk}
    page = client.get("/search/", {"q": "zebrafinch", "topic": "search-osint"})
    assert page.status_code == 200
    html = page.content.decode()
    assert world["practices"]["osint"].get_absolute_url() in html
    assert world["practices"]["anpr"].get_absolute_url() not in html
    # Facet values read as topic names, not slugs.
    assert "Search ANPR" in html


def test_search_rebuild_command_indexes_practices(world):
    backend().clear()
    assert backend().search(world["member"], "zebrafinch").total == 0 or backend().name == "tantivy"
    out = io.StringIO()
    call_command("search_rebuild", stdout=out, stderr=io.StringIO())
    assert "Indexed" in out.getvalue()
    assert keys(world, backend().search(world["member"], "zebrafinch")) == {"both", "anpr", "osint"}


def test_topic_change_is_followed_by_the_index(world, django_capture_on_commit_callbacks):
    from enlets.practices import actions

    practice = world["practices"]["anpr"]
    osint = practice.topics.model.objects.get(slug="search-osint")
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_practice(world["owner"], practice, topics=[osint], note="retopic")
    results = backend().search(world["member"], "zebrafinch", facets={"topic": "search-osint"})
    assert {h.pk for h in results.hits} >= {world["practices"]["osint"].pk}
    anpr_only = backend().search(world["member"], "zebrafinch", facets={"topic": "search-anpr"})
    assert practice.pk not in {h.pk for h in anpr_only.hits} or anpr_only.lagging


SOUP = st.text(alphabet=st.sampled_from("ab \"*()-:~^\\[]{}!+&|/OR AND'%_;"), max_size=40)


@given(query=SOUP, facet=st.text(max_size=20))
# Always tried: a NUL character, which PostgreSQL refuses even in a comparison.
@example(query="a\x00b", facet="\x00")
@example(query="camera", facet="a\x00")
@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_queries_and_facet_values_never_raise(world, query, facet):
    """Operators, quotes, unbalanced brackets, SQL-looking text in the words or a facet value:
    never an error, never an item the user may not see."""
    member = world["member"]
    visible = {world["practices"][k].pk for k in ("both", "anpr", "osint")}
    for facets in (None, {"topic": facet}, {"country": facet, "tlp": facet}):
        results = backend().search(member, query, facets=facets)
        assert results.total >= 0 and not results.missing
        assert {h.pk for h in results.hits} <= visible


def test_position_columns_are_filled_and_the_filler_is_never_counted(world, engine):
    """Every practice fills each position column (NO_VALUE where it has fewer values), so tantivy
    counts them as full columns; the filler never shows as a value nor filters anything."""
    if engine != "tantivy":
        pytest.skip("position columns are the tantivy engine's")
    import tantivy

    from enlets.search.tantivy_engine import FACET_POSITIONS, NO_VALUE, TantivyEngine

    index = TantivyEngine()._open(create=False)
    index.reload()
    searcher = index.searcher()
    for name in ("topic", "country"):
        for position in range(FACET_POSITIONS):
            column = f"{name}__{position}"
            counted = searcher.aggregate(tantivy.Query.all_query(), {column: {"terms": {"field": column}}})
            assert sum(bucket["doc_count"] for bucket in counted[column]["buckets"]) == searcher.num_docs, column
    results = backend().search(world["member"], "zebrafinch")
    assert results.total and all(NO_VALUE not in counts for counts in results.facets.values())
    assert backend().search(world["member"], "zebrafinch", facets={"topic": NO_VALUE}).total == 0
