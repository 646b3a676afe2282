"""The search module on the tantivy engine: access labels inside the query (totals, facets and pages
never count a hidden item), stemming, accent folding, phrase and prefix, hostile queries, the index
kept current by the actions, the rebuild command and a missing index."""

from __future__ import annotations

import io
import shutil

import pytest
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from enlets.core import access
from enlets.core.models import TLP
from enlets.documents import actions
from enlets.documents.models import Document
from enlets.network.models import Organisation, Role
from enlets.search import backend
from enlets.search.query import parse
from enlets.search.tantivy_engine import TantivyEngine
from tests.factories import InterestGroupFactory, OrganisationFactory, UserFactory, join, make_document

pytestmark = pytest.mark.django_db

DOC = "documents.document"


@pytest.fixture
def index_dir(tmp_path, settings):
    settings.SEARCH_ENGINE = "tantivy"
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    return settings.SEARCH_INDEX_DIR


@pytest.fixture
def world(index_dir):
    """A GREEN doc (hidden from an external partner), an AMBER group doc, a draft, a CLEAR doc."""
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
    TantivyEngine().rebuild()
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
        tlps = results.facets["tlp"]
        assert ("AMBER" in tlps) == ("amber" in names), who
        assert sum(results.facets["state"].values()) == len(names), who
    anonymous = backend().search(None, "drone")
    assert {h.pk for h in anonymous.hits} == {docs["clear"].pk}
    assert anonymous.total == 1


def test_pages_are_counted_after_the_access_filter(world):
    member = world["member"]
    first = backend().search(member, "drone", page=1, page_size=1)
    second = backend().search(member, "drone", page=2, page_size=1)
    third = backend().search(member, "drone", page=3, page_size=1)
    assert first.total == second.total == 2
    assert len(first.hits) == len(second.hits) == 1 and third.hits == []
    assert {first.hits[0].pk, second.hits[0].pk} == {world["docs"]["green"].pk, world["docs"]["clear"].pk}


def test_deactivated_account_finds_nothing(world):
    owner = world["owner"]
    owner.is_active = False
    owner.save()
    owner._access_labels = None
    assert backend().search(owner, "drone").total == 0


def test_stemming_accent_folding_phrase_and_prefix(world):
    owner, docs = world["owner"], world["docs"]
    assert docs["green"].pk in found(owner, "drones")
    assert docs["green"].pk in found(owner, "airport")
    assert found(owner, "politie") == {docs["clear"].pk}
    assert found(owner, "polítie") == {docs["clear"].pk}
    assert found(owner, '"drone detection"') == {docs["green"].pk}
    assert found(owner, '"detection drone"') == set()
    assert found(owner, "jamm*") == {docs["amber"].pk}
    assert found(owner, "leaf*") == {docs["clear"].pk}
    assert found(owner, "drone zzzunknown") == set()


def test_snippets_are_escaped_and_highlighted(index_dir):
    owner = UserFactory()
    make_document(owner, title="Markup", body="<script>alert(1)</script> the radar drones here")
    TantivyEngine().rebuild()
    [hit] = backend().search(owner, "radar").hits
    assert "<script>" not in hit.snippet_html
    assert "&lt;script&gt;" in hit.snippet_html
    assert "<mark>radar</mark>" in hit.snippet_html


def test_facet_filters_and_type(world):
    owner, docs = world["owner"], world["docs"]
    assert found(owner, "drone", facets={"tlp": "CLEAR"}) == {docs["clear"].pk}
    assert found(owner, "drone", facets={"state": "draft"}) == {docs["draft"].pk}
    assert len(found(owner, "drone", models=[DOC])) == 4
    assert found(owner, "drone", models=["nothing.here"]) == set()


HOSTILE = [
    '"unbalanced',
    "a AND (b",
    "title:x",
    "*",
    ")))",
    "OR OR",
    "labels:public",
    "drone~2",
    "[1 TO 5]",
    "\\",
    "",
    "-",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(world, query):
    member = world["member"]
    client = Client()
    client.force_login(member)
    assert client.get("/search/", {"q": query}).status_code == 200
    assert client.get("/api/v1/search", {"q": query}).status_code == 200
    results = backend().search(member, query)
    assert all(hit.pk in {world["docs"]["green"].pk, world["docs"]["clear"].pk} for hit in results.hits)


def test_query_parser():
    assert [c.kind for c in parse('"drone detection" jamm* OR (radar')] == ["phrase", "prefix", "word"]
    assert parse('"unbalanced quote') == parse("unbalanced quote")
    assert parse("*") == [] and parse("OR OR") == []


def test_index_follows_create_update_delete_actions(index_dir, django_capture_on_commit_callbacks):
    owner = UserFactory()
    member = UserFactory()
    # The tasks are enqueued on commit; the test settings run them at once.
    with django_capture_on_commit_callbacks(execute=True):
        document = actions.do_create_document(owner, title="Thermal camera", tlp=TLP.GREEN, state="published")
    assert found(member, "thermal") == {document.pk}
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_document(owner, document, title="Infrared camera")
    assert found(member, "thermal") == set()
    assert found(member, "infrared") == {document.pk}
    # Made a draft: gone for the member, still there for the owner.
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_update_document(owner, Document.objects.get(pk=document.pk), state="draft")
    assert found(member, "infrared") == set()
    assert found(owner, "infrared") == {document.pk}
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_delete_document(owner, Document.objects.get(pk=document.pk))
    assert found(owner, "infrared") == set()


def test_each_commit_is_seen_by_the_next_search(index_dir, django_capture_on_commit_callbacks):
    """The reader is reopened only when tantivy's meta.json changed: back-to-back commits (several in
    one clock tick) must each show up in the very next search."""
    owner = UserFactory()
    seen = set()
    for number in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            document = actions.do_create_document(
                owner, title=f"Quadcopter report {number}", tlp=TLP.GREEN, state="published"
            )
        seen.add(document.pk)
        assert found(owner, "quadcopter") == seen


def test_rolled_back_write_never_reaches_the_index(index_dir, django_capture_on_commit_callbacks):
    owner = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.do_create_document(owner, title="Thermal camera", tlp=TLP.GREEN, state="published")
    assert len(callbacks) == 1  # the index task waits for the commit
    assert found(owner, "thermal") == set()


def test_search_rebuild_command(index_dir):
    owner = UserFactory()
    make_document(owner, title="Number plate recognition")
    make_document(owner, title="Plate readers")
    err = io.StringIO()
    out = io.StringIO()
    call_command("search_rebuild", stdout=out, stderr=err)
    assert "100%" in err.getvalue()
    assert "Indexed 2 items" in out.getvalue()
    assert len(found(owner, "plate")) == 2


def test_missing_index_says_so_and_does_not_fail(index_dir):
    owner = UserFactory()
    make_document(owner, title="Forensics lab")
    assert not index_dir.exists()
    results = backend().search(owner, "forensics")
    assert results.missing and results.total == 0
    client = Client()
    client.force_login(owner)
    response = client.get("/search/", {"q": "forensics"})
    assert response.status_code == 200
    assert "search index is missing" in response.content.decode()
    api = client.get("/api/v1/search", {"q": "forensics"}).json()
    assert api["index_missing"] is True and api["count"] == 0


def test_broken_index_folder_answers_the_notice(index_dir):
    owner = UserFactory()
    make_document(owner, title="Forensics lab")
    TantivyEngine().rebuild()
    shutil.rmtree(index_dir)
    client = Client()
    client.force_login(owner)
    response = client.get("/search/", {"q": "forensics"})
    assert response.status_code == 200 and "search index is missing" in response.content.decode()


def test_search_page_and_api(world):
    client = Client()
    client.force_login(world["member"])
    page = client.get("/search/", {"q": "drone"}).content.decode()
    assert "Drone detection at airports" in page
    assert "Drone jamming trial" not in page and "Drone draft notes" not in page
    assert "tlp=CLEAR" in page  # facet links
    filtered = client.get("/search/", {"q": "drone", "tlp": "CLEAR"}).content.decode()
    assert "Public drone leaflet" in filtered and "Drone detection at airports" not in filtered
    body = client.get("/api/v1/search", {"q": "drone"}).json()
    assert body["count"] == 2
    assert {r["id"] for r in body["results"]} == {world["docs"]["green"].pk, world["docs"]["clear"].pk}
    assert {r["url"] for r in body["results"]} == {
        f"http://testserver/documents/{world['docs'][name].pk}/" for name in ("green", "clear")
    }
    # The facet counts are a second pass over every match: the API counts them when asked.
    assert body["facets"] == {}
    counted = client.get("/api/v1/search", {"q": "drone", "facets": "true"}).json()
    assert counted["count"] == 2 and counted["facets"]["tlp"] == {"GREEN": 1, "CLEAR": 1}
    assert counted["results"] == body["results"]
    assert client.get("/api/v1/search", {"q": "drone", "facets": "maybe"}).status_code == 422
    partner = Client()
    partner.force_login(world["partner"])
    assert partner.get("/api/v1/search", {"q": "drone"}).json()["count"] == 1
    assert partner.get("/api/v1/search", {"q": "drone", "facets": "true"}).json()["facets"]["tlp"] == {"CLEAR": 1}


def test_stale_index_never_shows_an_item_that_became_hidden(index_dir):
    """A change whose index task has not run yet: the hit is dropped and the result says it lags."""
    owner, member = UserFactory(), UserFactory()
    document = make_document(owner, tlp=TLP.GREEN, title="Covert camera")
    TantivyEngine().rebuild()
    Document.objects.filter(pk=document.pk).update(tlp=TLP.RED)
    document.refresh_from_db()
    access.sync_labels(document)
    results = backend().search(member, "covert")
    assert results.hits == [] and results.lagging
    assert found(owner, "covert") == {document.pk}


def test_a_dropped_hit_leaves_every_other_hit_its_own_snippet(index_dir):
    """The snippets are made beside the re-check: the hits it keeps still carry their own text."""
    owner, member = UserFactory(), UserFactory()
    hidden = make_document(owner, tlp=TLP.GREEN, title="Covert camera", body="camera behind the mirror glass")
    for where in ("harbour", "station", "tunnel"):
        make_document(owner, tlp=TLP.GREEN, title=f"Camera at the {where}", body=f"a camera over the {where} gate")
    TantivyEngine().rebuild()
    Document.objects.filter(pk=hidden.pk).update(tlp=TLP.RED)
    hidden.refresh_from_db()
    access.sync_labels(hidden)
    results = backend().search(member, "camera")
    assert results.lagging and len(results.hits) == 3
    for hit in results.hits:
        where = hit.title.rsplit(" ", 1)[-1]
        assert f"the {where} gate" in hit.snippet_html and "mirror" not in hit.snippet_html


def test_waiting_index_tasks_make_the_result_say_it_lags(
    index_dir, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """With the database task queue, a write whose index task has not run yet is flagged at once in
    this process; another process's waiting task shows once the cached answer is older than
    PENDING_CHECK_SECONDS."""
    from django_tasks_db.models import DBTaskResult

    from enlets.search import base
    from enlets.search.tasks import reindex_item

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    owner = UserFactory()
    TantivyEngine().rebuild()
    base.forget_pending_check()
    assert not backend().search(owner, "thermal").lagging
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_create_document(owner, title="Thermal camera", tlp=TLP.GREEN, state="published")
    results = backend().search(owner, "thermal")
    assert results.lagging and results.hits == []
    # The worker ran it: the answer cached a moment ago still says "lags" ...
    DBTaskResult.objects.update(status="SUCCESSFUL")
    assert backend().search(owner, "thermal").lagging
    # ... until it is older than the interval.
    monkeypatch.setattr(base, "PENDING_CHECK_SECONDS", 0.0)
    assert not backend().search(owner, "thermal").lagging
    # A task another process enqueued (nothing here forgets the answer) is seen the same way.
    reindex_item.enqueue(model_key=DOC, pk=0)
    assert backend().search(owner, "thermal").lagging


def test_search_link_in_navigation(world):
    client = Client()
    client.force_login(world["member"])
    assert 'href="/search/"' in client.get("/").content.decode()


def test_bulk_reindex_task(index_dir):
    from enlets.search.tasks import reindex_items

    owner, other = UserFactory(), UserFactory()
    document = make_document(owner, state=Document.State.DRAFT, title="Handover notes")
    TantivyEngine().rebuild()
    Document.objects.filter(pk=document.pk).update(owner=other)
    reindex_items.enqueue(model_key=DOC, pks=[document.pk, 999999])
    assert found(other, "handover") == {document.pk}
    assert found(owner, "handover") == set()


def test_huge_page_number_is_capped(world):
    client = Client()
    client.force_login(world["member"])
    response = client.get("/api/v1/search", {"q": "drone", "page": 10**12})
    assert response.status_code == 200
    assert response.json()["index_missing"] is False and response.json()["results"] == []
    assert client.get("/search/", {"q": "drone", "page": str(10**30)}).status_code == 200


@given(st.text(max_size=80))
@hypothesis_settings(max_examples=200, deadline=None)
def test_parser_never_raises_and_keeps_words_only(text):
    for clause in parse(text):
        assert clause.kind in ("word", "phrase", "prefix")
        assert all(word and all(ch.isalnum() for ch in word) for word in clause.words)


@given(st.text(alphabet=st.sampled_from('ab "*()-:~^\\[]{}!+&|/OR AND'), max_size=40))
@hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
def test_engine_never_raises_on_syntax_soup(world, text):
    results = backend().search(world["member"], text)
    assert results.total >= 0 and not results.missing


def test_markdown_fields_are_indexed_as_text(index_dir):
    owner = UserFactory()
    make_document(owner, title="Notes", body="## Operational problem\n\nThe **radar** was [slow](https://x.test).")
    TantivyEngine().rebuild()
    [hit] = backend().search(owner, "radar").hits
    assert "##" not in hit.snippet_html and "**" not in hit.snippet_html and "https" not in hit.snippet_html
    assert "<mark>radar</mark>" in hit.snippet_html


def test_ownership_transfer_moves_drafts_in_the_index(index_dir, django_capture_on_commit_callbacks):
    from enlets.network.actions import do_transfer_ownership

    leaving = UserFactory()
    successor = UserFactory(organisation=leaving.organisation)
    ncp = UserFactory(role=Role.NCP, organisation=leaving.organisation)
    with django_capture_on_commit_callbacks(execute=True):
        draft = actions.do_create_document(leaving, title="Handover notes on drone jamming", state="draft")
    assert found(successor, "jamming") == set()
    with django_capture_on_commit_callbacks(execute=True):
        do_transfer_ownership(ncp, leaving, successor)
    assert found(successor, "jamming") == {draft.pk}
    assert found(leaving, "jamming") == set()


@given(st.text(alphabet=st.sampled_from("abc XY.,:;()%?'\"/@0123456789-+\n\t é"), max_size=120))
@hypothesis_settings(max_examples=300, deadline=None)
def test_markdown_fast_path_matches_the_renderer(text):
    """Indexing skips the Markdown renderer for text without markup: it must give what the renderer gives."""
    import html

    from enlets.core.markdown import plain_excerpt
    from enlets.search.fields import SearchField, _has_markup

    field = SearchField("body", markdown=True)

    class Item:
        body = text

    if text.strip() and not _has_markup(text):
        assert field.value(Item()) == html.unescape(plain_excerpt(text, length=10 * len(text) + 10))


def test_hit_urls_are_the_items_own(index_dir):
    """check_hits builds each hit's URL from a per-model template instead of `reverse()` per hit: it
    must give exactly `get_absolute_url()`, under a script prefix too, and fall back for a model
    whose URL needs more than the pk."""
    from django.urls import get_script_prefix, set_script_prefix

    from enlets.practices.models import Topic
    from enlets.search.base import absolute_url
    from tests.factories import make_practice

    owner = UserFactory()
    items = [make_document(owner), make_document(owner), make_practice(owner)]
    topic = Topic.objects.first() or Topic.objects.create(slug="anpr-test", name="ANPR test")
    before = get_script_prefix()
    try:
        for prefix in ("/", "/hub/"):
            set_script_prefix(prefix)
            for item in [*items, topic]:
                assert absolute_url(item) == item.get_absolute_url()
            assert absolute_url(items[0]).startswith(prefix)
    finally:
        set_script_prefix(before)


def test_the_recheck_probes_each_hit_and_drops_what_the_user_no_longer_sees(index_dir):
    """check_hits tests the user's labels on each hit (`visible_to(user, few_rows=True)`, a
    correlated EXISTS) and still drops a hit the user may not see, whatever the index says."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enlets.search.base import Hit, check_hits

    owner, member = UserFactory(), UserFactory()
    group = InterestGroupFactory()
    join(member, group)
    shown = make_document(owner, tlp=TLP.AMBER, groups=[group])
    hidden = make_document(owner, tlp=TLP.AMBER, groups=[InterestGroupFactory()])
    hits = [Hit(model="documents.document", pk=d.pk, title="", snippet_html="", score=1.0) for d in (shown, hidden)]
    with CaptureQueriesContext(connection) as captured:
        kept, dropped = check_hits(member, hits)
    assert [hit.pk for hit in kept] == [shown.pk] and dropped
    assert any("EXISTS(SELECT 1 FROM" in q["sql"] and "access_rows" in q["sql"] for q in captured.captured_queries)


def test_the_recheck_runs_one_statement_per_reader_and_reads_the_rows_as_they_are_now(index_dir):
    """The re-check's statement is compiled once per reader's labels and number of hits, then run
    with other keys: it still follows the items' markings as they are now, and a reader whose labels
    change (joins a group) or who is deactivated gets the answer of their new labels."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from enlets.search.base import Hit, check_hits

    owner, member = UserFactory(), UserFactory()
    group = InterestGroupFactory()
    green = make_document(owner, tlp=TLP.GREEN)
    amber = make_document(owner, tlp=TLP.AMBER, groups=[group])
    red = make_document(owner, tlp=TLP.RED)

    def recheck(user, *docs):
        hits = [Hit(model=DOC, pk=d.pk, title="", snippet_html="", score=1.0) for d in docs]
        return [hit.pk for hit in check_hits(user, hits)[0]]

    assert recheck(member, green, amber) == [green.pk]
    with CaptureQueriesContext(connection) as captured:
        assert recheck(member, amber, green) == [green.pk]
        assert recheck(member, red, green) == [green.pk]
    assert len(captured.captured_queries) == 2  # the statement again, with other keys
    actions.do_update_document(owner, green, state="draft")
    assert recheck(member, red, green) == []
    join(member, group)
    member = type(member).objects.get(pk=member.pk)  # a new request: labels read afresh
    assert recheck(member, amber, green) == [amber.pk]
    type(member).objects.filter(pk=member.pk).update(is_active=False)
    member = type(member).objects.get(pk=member.pk)
    assert recheck(member, amber, green) == []


def test_the_recheck_is_right_when_a_value_of_the_rule_looks_like_a_key_mark(index_dir):
    """The statement is compiled with negative keys as marks; a reader whose id is one of them
    (the rule binds it too) gets the same answer, read without a kept statement."""
    from enlets.search.base import _RECHECK_STATEMENTS, Hit, check_hits

    reader = UserFactory(pk=-1)
    owner = UserFactory()
    mine = make_document(reader, state=Document.State.DRAFT)
    theirs = make_document(owner, state=Document.State.DRAFT)
    hits = [Hit(model=DOC, pk=d.pk, title="", snippet_html="", score=1.0) for d in (mine, theirs)]
    assert [hit.pk for hit in check_hits(reader, hits)[0]] == [mine.pk]
    assert not any(key[2][1] == -1 for key in _RECHECK_STATEMENTS)


@pytest.mark.parametrize(
    "query",
    [
        "kestrel",
        "kestrels monitoring",
        '"alpha beta"',
        '"kestrel alpha"',
        "kest*",
        "alph* beta",
        "",
        "nothing",
        "Überwachung",
    ],
)
def test_counts_match_exactly_what_the_ranked_query_finds(index_dir, query):
    """The total and the facet counts match the words on ALL_TEXT (one column), the page on the
    weighted columns: both must find the very same items, or the total would disagree with the
    pages. A phrase must not span two fields in either (here "alpha beta": title, then body)."""
    owner = UserFactory()
    make_document(owner, title="Kestrel alpha", body="beta kestrels monitoring")
    make_document(owner, title="Unrelated", body="A kestrel")
    make_document(owner, title="Alpha", body="beta")
    make_document(owner, title="Kestrel watch", body="Überwachung der Grenze")
    backend().rebuild()
    engine = backend()
    index = engine._open(create=False)
    index.reload()
    searcher = index.searcher()
    schema = index.schema
    languages = engine._languages_present(searcher)

    def keys(text_query) -> set[str]:
        result = searcher.search(text_query, limit=100, count=True)
        assert result.count == len(result.hits)
        return {searcher.doc(address).get_first("key") for _score, address in result.hits}

    ranked = keys(engine._text_query(schema, query, languages))
    assert keys(engine._text_query(schema, query, languages, matching_only=True)) == ranked
    if query == '"alpha beta"':
        assert ranked == set()
    results = engine.search(owner, query, page_size=100)
    assert results.total == len(results.hits) == len(ranked)
    assert sum(results.facets["type"].values()) == results.total


def test_every_searchable_model_shows_its_title_as_its_name():
    """The re-check reads a hit's title from the title column instead of building the item to
    call str() on it: that holds only while a searchable model's str() is its title."""
    from enlets.search import registry

    models_with_titles = [m for m in registry.searchable_models() if any(f.name == "title" for f in m._meta.fields)]
    assert models_with_titles
    for model in models_with_titles:
        assert str(model(title="Lynx camera trial")) == "Lynx camera trial", model
