"""The tantivy engine's ranked page computed in two parts at once (tantivy_engine.ranked_in_parts):
the same hits in the same order with the same scores and totals as one pass, on every page, with
ties, with and without the facet counts; and only when the search is alone and the index big enough."""

from __future__ import annotations

import pytest

from enlets.core.models import TLP
from enlets.search import tantivy_engine
from enlets.search.tantivy_engine import TantivyEngine
from tests.factories import UserFactory, make_document

pytestmark = pytest.mark.django_db

QUERIES = ["radar", "radar drones", "drone*", '"counter drone"', "airport", "", "nothing-here"]


@pytest.fixture
def split_index(tmp_path, settings, monkeypatch):
    """Thirty documents alternating between the parts (runs of one key), with equal twins (ties)."""
    settings.SEARCH_ENGINE = "tantivy"
    settings.SEARCH_INDEX_DIR = tmp_path / "index"
    monkeypatch.setattr(tantivy_engine, "PART_RUN", 1)
    monkeypatch.setattr(tantivy_engine, "SPLIT_MIN_PART", 1)
    monkeypatch.setattr(tantivy_engine, "SPLIT_MIN_POSTINGS", 1)
    owner = UserFactory()
    words = ["radar", "drones", "airport", "counter drone", "radar drones airport", "jamming"]
    for i in range(30):
        # Every third document has an identical twin: the same score, so the order of ties counts.
        body = " ".join(words[j % len(words)] for j in range(i % 7 + 1))
        make_document(owner, tlp=TLP.GREEN, title=f"Trial {i % 10}", body=body)
    engine = TantivyEngine()
    engine.rebuild()
    return engine, owner


def _page(engine, user, query, page, count_facets):
    results = engine.search(user, query, page=page, page_size=4, count_facets=count_facets)
    return [(hit.model, hit.pk, round(hit.score, 5)) for hit in results.hits], results.total, results.facets


def test_parts_hold_alternating_runs_of_keys(monkeypatch):
    monkeypatch.setattr(tantivy_engine, "PART_RUN", 3)
    assert [tantivy_engine.part_of(pk) for pk in range(9)] == ["0", "0", "0", "1", "1", "1", "0", "0", "0"]


@pytest.mark.parametrize("count_facets", [False, True])
@pytest.mark.parametrize("query", QUERIES)
def test_split_pages_are_the_unsplit_pages(split_index, monkeypatch, query, count_facets):
    engine, owner = split_index
    index = engine._open(create=False)
    index.reload()
    searcher = index.searcher()
    assert {searcher.doc_freq(tantivy_engine.PART_FIELD, part) for part in tantivy_engine.PARTS} == {15}
    calls = []
    real = tantivy_engine.ranked_in_parts
    monkeypatch.setattr(tantivy_engine, "ranked_in_parts", lambda *a, **k: calls.append(1) or real(*a, **k))
    split = [_page(engine, owner, query, page, count_facets) for page in range(1, 10)]
    # Without words (or with none indexed) nothing is read, and beside the facet counts the other
    # core is busy: never split then.
    expected = query not in ("", "nothing-here") and not count_facets
    assert bool(calls) == expected, "the split path was (not) taken"
    monkeypatch.setattr(tantivy_engine, "worth_splitting", lambda searcher, postings: False)
    calls.clear()
    whole = [_page(engine, owner, query, page, count_facets) for page in range(1, 10)]
    assert not calls
    assert split == whole
    if query == "radar":
        scores = [score for hits, _total, _facets in whole for _m, _pk, score in hits]
        assert len(scores) != len(set(scores)), "the data must hold ties"
        assert whole[0][1] > 4


def test_no_split_while_another_search_ranks(split_index, monkeypatch):
    engine, owner = split_index
    calls = []
    real = tantivy_engine.ranked_in_parts
    monkeypatch.setattr(tantivy_engine, "ranked_in_parts", lambda *a, **k: calls.append(1) or real(*a, **k))
    with tantivy_engine._ranking_now.enter() as alone:
        assert alone
        results = engine.search(owner, "radar", count_facets=False)
    assert results.hits and not calls
    engine.search(owner, "radar", count_facets=False)
    assert calls == [1]
    assert tantivy_engine._ranking_now.count == 0


def test_small_or_unbalanced_index_or_few_postings_are_ranked_in_one_pass(split_index, monkeypatch):
    engine, _owner = split_index
    index = engine._open(create=False)
    index.reload()
    searcher = index.searcher()
    radar = searcher.doc_freq(tantivy_engine.ALL_TEXT, "radar")
    assert engine._postings(searcher, "radar") == radar > 0
    assert engine._postings(searcher, "radar radar") == 2 * radar
    assert engine._postings(searcher, "rad*") == searcher.num_docs
    assert engine._postings(searcher, "") == engine._postings(searcher, "zzzz") == 0
    assert tantivy_engine.worth_splitting(searcher, radar)
    assert not tantivy_engine.worth_splitting(searcher, 0)
    monkeypatch.setattr(tantivy_engine, "SPLIT_MIN_PART", 16)
    assert not tantivy_engine.worth_splitting(searcher, radar)
    monkeypatch.setattr(tantivy_engine, "SPLIT_MIN_PART", 1)
    monkeypatch.setattr(tantivy_engine, "SPLIT_MIN_POSTINGS", radar + 1)
    assert not tantivy_engine.worth_splitting(searcher, radar)
