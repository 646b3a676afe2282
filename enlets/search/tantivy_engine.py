"""The embedded engine: a tantivy index in files under SEARCH_INDEX_DIR.

Schema: one stored key ("documents.document:42"), the type, the pk, one analysed text column
per declared SearchField name (English stemming, accent folding, lower case) and all of them again
in ALL_TEXT, one exact column per FacetField and its set column (FacetField values joined, for
counting), and `labels`: the item's permission labels as exact terms. An item written in
another language with a tantivy stemmer also puts all its text in that language's column
(`text_de`, ...), stemmed in that language (enlets.search.languages). Every search is
`(the user's words) AND labels IN user_labels(user) [AND facet filters]`, one engine query, so
the total, the facet counts and the pages only ever count items the user may see.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tantivy
from django.conf import settings
from django.db import models

from enlets.core import access
from enlets.search import registry
from enlets.search.base import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    Hit,
    SearchEngine,
    SearchResults,
    check_hits,
    highlight,
    item_search_labels,
    pending_index_tasks,
    prefetch_for_index,
)
from enlets.search.languages import ENGLISH, TANTIVY_STEMMERS, item_language
from enlets.search.query import Clause, parse

TOKENIZER = "enlets_en"
# Each text column has an unstemmed twin for prefixes ("jamm*" must find "jamming", stored as "jam").
FOLD_TOKENIZER = "enlets_fold"
FOLD_SUFFIX = "__folded"
# 3: list facets per value; 4: a column per item language; 5: facet sets; 6: all_text; 7: a list
# facet's values one per column (FACET_POSITIONS) instead of sets; 8: RESTRICTED_MARK (an index
# without it must never be searched with the exclusion form: it would let its restricted items through);
# 9: position columns filled with NO_VALUE; 10: PART_FIELD.
SCHEMA_VERSION = 10
# Every text field's words again in one column (each field a separate value, so a phrase never spans
# two fields): the facet counts and the total match on it, the same items as the ranked query over
# the separate, weighted columns, in one posting list per word instead of one per field.
ALL_TEXT = "all_text"
# The other languages' columns, one per stemmer; a match there weighs like a summary's.
LANGUAGE_CODES = sorted(code for code in TANTIVY_STEMMERS if code != ENGLISH)
LANGUAGE_BOOST = 2.0
LANGUAGE_FIELD = "language"
META_FILE = "enlets-search.json"
WRITER_HEAP = 20_000_000
# A rebuild commits this often, so a long one shows its progress in search and a crash loses little.
# Each commit starts a segment, and every search pays per segment (term look-ups, a labels bitset,
# each facet's counts): at a million practices, commits every 20,000 left 12 segments after the
# merges and every 100,000 left 3, with the ranked page 0.8 ms and the facet counts 1.2 ms faster
# (docs/performance.md, change 13).
REBUILD_COMMIT_EVERY = 100_000
# A rebuild's writer gets a larger heap: fewer, larger segments, so fewer merges competing for the CPU.
REBUILD_WRITER_HEAP = 256_000_000
# Without the facet counts (the API's default search) the ranked page is computed in two halves at
# once, one per core; with them the second core is counting already, and a split only adds work.
# Every item is in part "0" or "1" by runs of PART_RUN primary keys, and a rebuild writes items in
# key order, so each part is long runs of neighbouring items, and tantivy's intersection leaps over
# the other part's runs instead of reading them (a filter that alternated item by item saved
# nothing: the per-word unions read their whole posting lists; docs/performance.md, "Tried in
# session 16"). Both halves are ranked with the whole index's statistics, so merged by score they
# are the unsplit page exactly (docs/search.md).
PART_FIELD = "part"
PART_RUN = 32_768
PARTS = ("0", "1")
# Split only when each part holds at least SPLIT_MIN_PART items and the words' posting lists in
# ALL_TEXT hold at least SPLIT_MIN_POSTINGS entries (what the ranking reads grows with them, not with
# the matches: three rarer words matching 1,300 items at a million practices still read 7 ms of
# postings). Below that the hand-off to a second thread costs more than a half saves.
SPLIT_MIN_PART = 25_000
SPLIT_MIN_POSTINGS = 100_000


def stem_analyzer(language: str = "english") -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer(language))
        .build()
    )


def language_column(code: str) -> str:
    return f"text_{code}"


def fold_analyzer() -> tantivy.TextAnalyzer:
    """For prefixes: folded like the index but not stemmed (a stem of a prefix is not a prefix)."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


# A list facet (declared `many=True`: a practice's topics and countries) is counted on single-valued
# columns: tantivy counts one faster per item than a multi-valued column. Each item holds its
# values of the facet one per column, sorted, the first in `topic__0`, the second in `topic__1` and
# so on up to FACET_POSITIONS, any further ones together in the multi-valued `topic__more`; a value's
# count is the sum over those columns (an item holds a value once). At a million practices, over
# the 431,000 matches of a common word, the topics took 8 ms that way against 14.5 ms on their own
# column (docs/search.md). Every other facet is counted on its own column, and filters always use
# the facet's own column, one term per value.
FACET_POSITIONS = 3
MORE_SUFFIX = "__more"
# An item with fewer values than FACET_POSITIONS fills the rest of its position columns with this
# (never a value: topic slugs and country codes hold no "~"; the counts drop it). tantivy counts a
# column that every item fills several times faster than one that some leave empty: over 200,000
# practices the second topic position took 1.86 ms left sparse and 0.26 ms filled (docs/search.md).
NO_VALUE = "~"
# Values counted per position column. A list facet with more distinct values than that in a column
# would be cut short; it is counted on its own column instead.
POSITION_BUCKETS = 1_000
FACET_SIZE = 100
# The access labels are one filter in three forms, the same items every way. tantivy reads a term
# set into a bitset of every item holding one of the labels (at a million practices, 425,000 for a
# member) before it meets the words; a union of term queries is instead advanced item by item to
# where the words match. The union wins when the words match few items: at a million practices
# three rarer words (1,400 matches) ranked in 4.8 ms against 5.9 ms, while from 35,000 matches on
# the set was 0.1-0.6 ms faster (docs/search.md).
LABEL_UNION_MAX_MATCHES = 10_000
# The third form, for a reader holding both broad labels (every community member): most items are
# open to them through one of the two, and every other item carries RESTRICTED_MARK as well, so
# the filter is "not (marked and none of the reader's other labels)". tantivy tests each match
# against the marked items' postings and reads only the reader's few narrow labels into a bitset.
# Faster while the words match fewer than about EXCLUSION_MAX_MATCHES items (at a million
# practices: three rarer words ranked in 3.77 against 4.02 ms with the union, counted in 2.28
# against 2.53), slower over nearly every item (the common word: 23.96 against 23.06 ms with the
# set; docs/search.md).
BROAD_LABELS = (access.PUBLIC, access.COMMUNITY)
# Not a label any user holds (labels are "public", "community" or "kind:value").
RESTRICTED_MARK = "~restricted"
LABEL_EXCLUSION = True
EXCLUSION_MAX_MATCHES = 200_000


def part_of(pk: int) -> str:
    """The part of the index an item's key puts it in (PART_FIELD)."""
    return PARTS[(pk // PART_RUN) % len(PARTS)]


def index_labels(labels: list[str]) -> list[str]:
    """An item's labels as indexed: RESTRICTED_MARK added when no broad label opens it."""
    if any(label in BROAD_LABELS for label in labels):
        return list(labels)
    return [*labels, RESTRICTED_MARK]


def labels_clause(
    schema: tantivy.Schema, labels: list[str], estimated_matches: float
) -> tuple[tantivy.Occur, tantivy.Query]:
    """The clause that keeps items holding any of `labels`; it never changes the ranking."""
    narrow = [label for label in labels if label not in BROAD_LABELS]
    if (
        LABEL_EXCLUSION
        and all(label in labels for label in BROAD_LABELS)
        and narrow
        and estimated_matches <= EXCLUSION_MAX_MATCHES
    ):
        hidden = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.term_query(schema, "labels", RESTRICTED_MARK)),
                (tantivy.Occur.MustNot, tantivy.Query.term_set_query(schema, "labels", narrow)),
            ]
        )
        return tantivy.Occur.MustNot, hidden
    if estimated_matches > LABEL_UNION_MAX_MATCHES:
        return tantivy.Occur.Must, tantivy.Query.term_set_query(schema, "labels", labels)
    union = tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "labels", label)) for label in labels]
    )
    return tantivy.Occur.Must, tantivy.Query.const_score_query(union, 1.0)


def add_text_fields(doc: tantivy.Document, model: type[models.Model], item: Any) -> list[str]:
    """The item's text: each field in its column and its folded twin, and again in ALL_TEXT."""
    values = []
    for field in registry.text_fields(model):
        value = field.value(item)
        values.append(value)
        for name in (field.name, ALL_TEXT):
            doc.add_text(name, value)
            doc.add_text(name + FOLD_SUFFIX, value)
    return values


def position_columns(name: str) -> list[str]:
    """The columns a list facet is counted on: one per position, then the rest."""
    return [f"{name}__{position}" for position in range(FACET_POSITIONS)] + [name + MORE_SUFFIX]


def count_columns(name: str) -> list[str]:
    """The columns whose counts add up to a facet's."""
    return position_columns(name) if name in registry.list_facets() else [name]


def add_facets(doc: tantivy.Document, model: type[models.Model], item: Any) -> None:
    """The item's facet values: one term per value in the facet's column (filters, counts), and
    for a list facet each value again in the column of its position (counts)."""
    for field in registry.facet_fields(model):
        # A list facet (a practice's topics) adds one term per value: a filter on any of them
        # finds the item, and the counts count it once under each value. Sorted, so an item's
        # columns never depend on the order its values were read in.
        values = sorted(set(field.values(item)) - {NO_VALUE})
        columns = count_columns(field.name)
        for position, value in enumerate(values):
            doc.add_text(field.name, value)
            if len(columns) > 1:
                doc.add_text(columns[min(position, FACET_POSITIONS)], value)
        if len(columns) > 1:
            for position in range(len(values), FACET_POSITIONS):
                doc.add_text(columns[position], NO_VALUE)


def facet_aggregations(names: Iterable[str]) -> dict[str, Any]:
    """The terms aggregations of one search, one per column counted."""
    aggregations: dict[str, Any] = {}
    for name in names:
        columns = count_columns(name)
        size = POSITION_BUCKETS if len(columns) > 1 else FACET_SIZE
        for column in columns:
            aggregations[column] = {"terms": {"field": column, "size": size}}
    return aggregations


def _cut_short(aggregation: dict[str, Any]) -> bool:
    return bool(aggregation.get("sum_other_doc_count") or aggregation.get("doc_count_error_upper_bound"))


def facet_counts(searcher: tantivy.Searcher, query: tantivy.Query, names: list[str]) -> dict[str, dict[str, int]]:
    """Value -> number of matching items, per facet (its FACET_SIZE most frequent values)."""
    result = searcher.aggregate(query, facet_aggregations(names))
    counts: dict[str, dict[str, int]] = {}
    cut_short = []
    for name in names:
        columns = count_columns(name)
        aggregations = [result.get(column, {}) for column in columns]
        if len(columns) > 1 and any(_cut_short(a) for a in aggregations):
            cut_short.append(name)
            continue
        values: dict[str, int] = {}
        for aggregation in aggregations:
            for bucket in aggregation.get("buckets", []):
                key = str(bucket["key"])
                if key != NO_VALUE:
                    values[key] = values.get(key, 0) + bucket["doc_count"]
        counts[name] = values
    if cut_short:
        # More distinct values than POSITION_BUCKETS: those facets on their own (multi-valued) columns.
        own = searcher.aggregate(query, {name: {"terms": {"field": name, "size": FACET_SIZE}} for name in cut_short})
        for name in cut_short:
            counts[name] = {str(b["key"]): b["doc_count"] for b in own.get(name, {}).get("buckets", [])}
    return {
        name: dict(sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:FACET_SIZE])
        for name, values in counts.items()
    }


class _RankingNow:
    """How many searches of this process are ranking a page at this moment. A page is split only
    when its search is the only one: under load the other core already serves another request,
    and the split would only add the hand-off and the second half's fixed work."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    @contextmanager
    def enter(self) -> Iterator[bool]:
        """Count this search in; yields whether it is the only one ranking."""
        with self.lock:
            self.count += 1
            alone = self.count == 1
        try:
            yield alone
        finally:
            with self.lock:
                self.count -= 1


_ranking_now = _RankingNow()


def worth_splitting(searcher: tantivy.Searcher, postings: int) -> bool:
    """Whether ranking the page in two parts at once should pay off (SPLIT_MIN_PART, SPLIT_MIN_POSTINGS)."""
    if postings < SPLIT_MIN_POSTINGS:
        return False
    return min(searcher.doc_freq(PART_FIELD, part) for part in PARTS) >= SPLIT_MIN_PART


def ranked_in_parts(
    searcher: tantivy.Searcher, schema: tantivy.Schema, query: tantivy.Query, offset: int, limit: int, count: bool
) -> tuple[list[tuple[float, tantivy.DocAddress]], int | None]:
    """The page of `query`'s best hits, ranked in the parts at once (the first in the pool, the
    other in this thread; tantivy releases the GIL) and merged: the page is among each part's best
    offset+limit hits. Ties go to the lower address, as in tantivy's own order. The part filter
    scores 0, so every hit keeps the score the whole query gives it."""
    halves = [
        tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (
                    tantivy.Occur.Must,
                    tantivy.Query.const_score_query(tantivy.Query.term_query(schema, PART_FIELD, part), 0.0),
                ),
            ]
        )
        for part in PARTS
    ]
    first = _search_pool.submit(searcher.search, halves[0], limit=offset + limit, count=count)
    results = [searcher.search(half, limit=offset + limit, count=count) for half in halves[1:]]
    results.insert(0, first.result())
    hits = [hit for result in results for hit in result.hits]
    hits.sort(key=lambda hit: (-hit[0], hit[1].segment_ord, hit[1].doc))
    total = sum(result.count or 0 for result in results) if count else None
    return hits[offset : offset + limit], total


_lock = threading.Lock()
_indexes: dict[str, tantivy.Index] = {}
# What the last look at a file found, per path: a search reads two small files and compares their
# bytes instead of parsing our layout file and re-opening tantivy's reader each time (0.35 ms of a
# search at a million items). Bytes, not modification times: two commits can fall in one clock tick.
_layout_seen: dict[str, tuple[bytes, bool]] = {}
_reader_seen: dict[str, bytes] = {}


def read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


# A search's facet counts and snippets run in this pool: tantivy releases the GIL, so on two cores the
# counts run beside the ranked page and the snippets beside the re-check's database round trip, both
# in the request thread (docs/search.md).
_search_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="enlets-search")


def _layout() -> dict[str, Any]:
    return {
        "version": SCHEMA_VERSION,
        "text": sorted(registry.all_text_fields()),
        "facets": sorted(f for f in registry.all_facets() if f != registry.TYPE_FACET),
        "list_facets": sorted(registry.list_facets()),
        "languages": LANGUAGE_CODES,
    }


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("key", stored=True, tokenizer_name="raw")
    builder.add_text_field(registry.TYPE_FACET, stored=True, fast=True, tokenizer_name="raw")
    builder.add_unsigned_field("pk", stored=True, indexed=True)
    builder.add_text_field("display_title", stored=True, tokenizer_name="raw", index_option="basic")
    for name in [*registry.all_text_fields(), ALL_TEXT]:
        builder.add_text_field(name, stored=name != ALL_TEXT, tokenizer_name=TOKENIZER)
        builder.add_text_field(name + FOLD_SUFFIX, tokenizer_name=FOLD_TOKENIZER, index_option="basic")
    for name in _layout()["facets"]:
        builder.add_text_field(name, stored=True, fast=True, tokenizer_name="raw")
        if name in registry.list_facets():
            for column in position_columns(name):
                builder.add_text_field(column, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("labels", tokenizer_name="raw", index_option="basic")
    builder.add_text_field(PART_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(LANGUAGE_FIELD, stored=True, tokenizer_name="raw", index_option="basic")
    for code in LANGUAGE_CODES:
        builder.add_text_field(language_column(code), stored=True, tokenizer_name=f"enlets_{code}")
    return builder.build()


class TantivyEngine(SearchEngine):
    name = "tantivy"

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path or settings.SEARCH_INDEX_DIR)
        self.stem = stem_analyzer()
        self.fold = fold_analyzer()
        self.stemmers = {code: stem_analyzer(TANTIVY_STEMMERS[code]) for code in LANGUAGE_CODES}

    # --- The index files ---------------------------------------------------------------------

    def exists(self) -> bool:
        """An index is there and was built for the fields the models declare now."""
        meta = self.path / META_FILE
        content = read_bytes(meta)
        if content is None:
            return False
        seen = _layout_seen.get(str(meta))
        if seen is not None and seen[0] == content:
            return seen[1]
        try:
            current = json.loads(content) == _layout()
        except ValueError:
            current = False
        _layout_seen[str(meta)] = (content, current)
        return current

    def _reload(self, index: tantivy.Index) -> None:
        """Point the reader at the last commit, when there was one since the last look: tantivy
        rewrites meta.json on every commit, in this process or in the task worker."""
        meta = self.path / "meta.json"
        content = read_bytes(meta)
        if content is None or _reader_seen.get(str(meta)) != content:
            index.reload()
            if content is not None:
                _reader_seen[str(meta)] = content

    def _open(self, create: bool) -> tantivy.Index | None:
        key = str(self.path)
        with _lock:
            index = _indexes.get(key)
            if index is not None and self.exists():
                return index
            if not self.exists():
                if not create:
                    return None
                self._create()
            index = tantivy.Index(_schema(), path=key, reuse=True)
            index.register_tokenizer(TOKENIZER, self.stem)
            index.register_tokenizer(FOLD_TOKENIZER, self.fold)
            for code, analyzer in self.stemmers.items():
                index.register_tokenizer(f"enlets_{code}", analyzer)
            _indexes[key] = index
            return index

    def _create(self) -> None:
        # A new or re-declared layout starts empty; the rebuild command fills it.
        if self.path.exists():
            for child in self.path.iterdir():
                if child.is_file():
                    child.unlink()
        self.path.mkdir(parents=True, exist_ok=True)
        tantivy.Index(_schema(), path=str(self.path), reuse=False)
        (self.path / META_FILE).write_text(json.dumps(_layout()))
        _indexes.pop(str(self.path), None)
        _reader_seen.pop(str(self.path / "meta.json"), None)

    def _writer(self, index: tantivy.Index, heap: int = WRITER_HEAP) -> tantivy.IndexWriter:
        # One writer at a time per index: another process may hold the lock for a moment.
        for attempt in range(50):
            try:
                return index.writer(heap, 1)
            except ValueError:
                if attempt == 49:
                    raise
                time.sleep(0.1)
        raise RuntimeError("unreachable")

    # --- Writes -------------------------------------------------------------------------------

    def _document(self, item: models.Model) -> tantivy.Document:
        model = type(item)
        key = registry.model_key(model)
        doc = tantivy.Document()
        doc.add_text("key", f"{key}:{item.pk}")
        doc.add_text(registry.TYPE_FACET, key)
        doc.add_unsigned("pk", item.pk)
        doc.add_text(PART_FIELD, part_of(item.pk))
        doc.add_text("display_title", str(item))
        values = add_text_fields(doc, model, item)
        language = item_language(item)
        doc.add_text(LANGUAGE_FIELD, language)
        if language in self.stemmers:
            doc.add_text(language_column(language), "\n".join(v for v in values if v))
        add_facets(doc, model, item)
        for label in index_labels(item_search_labels(item)):
            doc.add_text("labels", label)
        return doc

    def index(self, items: Iterable[models.Model]) -> int:
        items = list(items)
        if not items:
            return 0
        index = self._open(create=True)
        writer = self._writer(index)
        try:
            for item in items:
                writer.delete_documents_by_term("key", f"{registry.model_key(type(item))}:{item.pk}")
                writer.add_document(self._document(item))
            writer.commit()
        finally:
            writer.wait_merging_threads()
        return len(items)

    def rebuild(self, progress: Callable[[int, int], None] | None = None, batch_size: int = 500) -> int:
        """Like the base rebuild, with one writer for the whole run: a commit (and its merges) every
        REBUILD_COMMIT_EVERY items instead of one per batch, several times faster on a large index."""
        self.clear()
        index = self._open(create=True)
        total = sum(model.objects.count() for model in registry.searchable_models())
        done = uncommitted = 0
        if progress:
            progress(0, total)
        writer = self._writer(index, REBUILD_WRITER_HEAP)
        try:
            for model in registry.searchable_models():
                queryset = prefetch_for_index(model.objects.order_by("pk"))
                last = 0
                while True:
                    batch = list(queryset.filter(pk__gt=last)[:batch_size])
                    if not batch:
                        break
                    for item in batch:
                        writer.add_document(self._document(item))
                    done += len(batch)
                    uncommitted += len(batch)
                    last = batch[-1].pk
                    if uncommitted >= REBUILD_COMMIT_EVERY:
                        writer.commit()
                        uncommitted = 0
                    if progress:
                        progress(done, total)
            writer.commit()
        finally:
            writer.wait_merging_threads()
        return done

    def delete(self, model: type[models.Model], pks: Iterable[int]) -> None:
        index = self._open(create=False)
        if index is None:
            return
        writer = self._writer(index)
        try:
            for pk in pks:
                writer.delete_documents_by_term("key", f"{registry.model_key(model)}:{pk}")
            writer.commit()
        finally:
            writer.wait_merging_threads()

    def clear(self) -> None:
        with _lock:
            self._create()

    # --- Reads --------------------------------------------------------------------------------

    def _clause_query(
        self,
        schema: tantivy.Schema,
        clause: Clause,
        languages: Iterable[str] = (),
        fields: dict[str, float] | None = None,
    ) -> tantivy.Query | None:
        fields = registry.all_text_fields() if fields is None else fields
        per_field: list[tantivy.Query] = []
        if clause.kind == "phrase":
            tokens = [t for word in clause.words for t in self.stem.analyze(word)]
            for name, boost in fields.items() if tokens else ():
                if len(tokens) == 1:
                    query = tantivy.Query.term_query(schema, name, tokens[0])
                else:
                    query = tantivy.Query.phrase_query(schema, name, tokens)
                per_field.append(tantivy.Query.boost_query(query, boost))
            for code in languages:
                # Each language's column answers the words stemmed in that language.
                stemmed = [t for word in clause.words for t in self.stemmers[code].analyze(word)]
                if not stemmed:
                    continue
                column = language_column(code)
                if len(stemmed) == 1:
                    query = tantivy.Query.term_query(schema, column, stemmed[0])
                else:
                    query = tantivy.Query.phrase_query(schema, column, stemmed)
                per_field.append(tantivy.Query.boost_query(query, LANGUAGE_BOOST))
        elif clause.kind == "prefix":
            folded = self.fold.analyze(clause.words[0])
            stemmed = self.stem.analyze(clause.words[0])
            if not folded:
                return None
            for name, boost in fields.items():
                options = [tantivy.Query.regex_query(schema, name + FOLD_SUFFIX, re.escape(folded[0]) + ".*")]
                if stemmed:
                    options.append(tantivy.Query.term_query(schema, name, stemmed[0]))
                query = tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in options])
                per_field.append(tantivy.Query.boost_query(query, boost))
        else:
            tokens = self.stem.analyze(clause.words[0])
            for name, boost in fields.items() if tokens else ():
                per_field.append(tantivy.Query.boost_query(tantivy.Query.term_query(schema, name, tokens[0]), boost))
            for code in languages:
                stemmed = self.stemmers[code].analyze(clause.words[0])
                if stemmed:
                    term = tantivy.Query.term_query(schema, language_column(code), stemmed[0])
                    per_field.append(tantivy.Query.boost_query(term, LANGUAGE_BOOST))
        if not per_field:
            return None
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in per_field])

    def _text_query(
        self, schema: tantivy.Schema, query: str, languages: Iterable[str] = (), *, matching_only: bool = False
    ) -> tantivy.Query:
        """The user's words as a tantivy query: ranked over the weighted text columns, or, with
        `matching_only`, over ALL_TEXT: the same items, found with fewer posting lists, unranked."""
        languages = list(languages)
        fields = {ALL_TEXT: 1.0} if matching_only else None
        clauses = [q for q in (self._clause_query(schema, c, languages, fields) for c in parse(query)) if q is not None]
        if not clauses:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, q) for q in clauses])

    def search(
        self,
        user: Any,
        query: str,
        *,
        models: list[str] | None = None,
        facets: dict[str, str] | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        count_facets: bool = True,
    ) -> SearchResults:
        page = min(max(int(page), 1), MAX_PAGE)
        page_size = min(max(int(page_size), 1), MAX_PAGE_SIZE)
        empty = SearchResults(total=0, hits=[], page=page, page_size=page_size)
        index = self._open(create=False)
        if index is None:
            empty.missing = True
            return empty
        labels = access.user_labels(user)
        if not labels:
            return empty
        self._reload(index)
        schema = index.schema
        searcher = index.searcher()
        languages = self._languages_present(searcher)
        text_query = self._text_query(schema, query, languages)
        frequencies = self._frequencies(searcher, query)
        estimated = self._estimated_matches(searcher, query, frequencies)
        filters = []
        if models:
            filters.append(tantivy.Query.term_set_query(schema, registry.TYPE_FACET, list(models)))
        known = registry.all_facets()
        for name, value in (facets or {}).items():
            if name in known and value:
                filters.append(tantivy.Query.term_query(schema, name, str(value)))
        full = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, text_query), labels_clause(schema, labels, estimated)]
            + [(tantivy.Occur.Must, q) for q in filters]
        )
        # tantivy releases the GIL: the facet counts (and with them the total: every item has one
        # type) run in the pool while this thread ranks the page. Without the facet counts the
        # ranked page counts the total itself.
        counting = None
        if count_facets:
            # The same items, for the counts: the words matched on ALL_TEXT, the same labels and filters.
            matching_text = self._text_query(schema, query, languages, matching_only=True)
            matching = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, matching_text), labels_clause(schema, labels, estimated)]
                + [(tantivy.Occur.Must, q) for q in filters]
            )
            counting = _search_pool.submit(facet_counts, searcher, matching, list(known))
        tasks_waiting = pending_index_tasks()
        # In this thread, not the pool: it would only wait for it, and each hand-off wakes a thread
        # (0.2-0.4 ms of a selective query on a two-core virtual machine; docs/performance.md, change 18).
        offset = (page - 1) * page_size
        with _ranking_now.enter() as alone:
            # Only while the other core is idle: not beside the facet counts, nor another search.
            if alone and not count_facets and worth_splitting(searcher, self._postings(searcher, query, frequencies)):
                ranked, ranked_total = ranked_in_parts(searcher, schema, full, offset, page_size, count=True)
            else:
                page_result = searcher.search(full, limit=page_size, offset=offset, count=not count_facets)
                ranked, ranked_total = page_result.hits, page_result.count
        docs = [searcher.doc(address) for _score, address in ranked]
        hits = [
            Hit(
                model=doc.get_first(registry.TYPE_FACET),
                pk=int(doc.get_first("pk")),
                title=doc.get_first("display_title") or "",
                snippet_html="",
                score=float(score),
            )
            for (score, _address), doc in zip(ranked, docs, strict=True)
        ]
        # The snippets are made in the pool while this thread re-checks the hits: the re-check is
        # a database round trip, which waits with the GIL released (docs/search.md).
        snipping = _search_pool.submit(self._snippets, searcher, text_query, schema, languages, docs)
        kept, dropped = check_hits(user, hits)
        for hit, snippet in zip(hits, snipping.result(), strict=True):
            hit.snippet_html = snippet
        hits = kept
        lagging = dropped or tasks_waiting
        if counting is not None:
            counts = counting.result()
            total = sum(counts.get(registry.TYPE_FACET, {}).values())
            facet_values = {name: counts.get(name, {}) for name in known}
        else:
            total, facet_values = ranked_total or 0, {}
        return SearchResults(
            total=total,
            hits=hits,
            facets=facet_values,
            page=page,
            page_size=page_size,
            lagging=lagging,
        )

    def _frequencies(self, searcher: tantivy.Searcher, query: str) -> list[list[int] | None]:
        """Per clause of `query`, the number of items holding each of its words' tokens in ALL_TEXT;
        None for a prefix (its words are known only once tantivy expands it)."""
        return [
            None
            if clause.kind == "prefix"
            else [searcher.doc_freq(ALL_TEXT, token) for word in clause.words for token in self.stem.analyze(word)]
            for clause in parse(query)
        ]

    def _estimated_matches(
        self, searcher: tantivy.Searcher, query: str, frequencies: list[list[int] | None] | None = None
    ) -> float:
        """How many items all the words match, guessed as if they occurred independently: the
        number of items times each word's share of them in ALL_TEXT (a phrase counts as its
        rarest word; a prefix as matching everything). Only chooses the form of the labels
        filter, never what it lets through."""
        total = max(searcher.num_docs, 1)
        estimate = float(total)
        for clause in self._frequencies(searcher, query) if frequencies is None else frequencies:
            if clause:
                estimate *= min(clause) / total
        return estimate

    def _postings(
        self, searcher: tantivy.Searcher, query: str, frequencies: list[list[int] | None] | None = None
    ) -> int:
        """How many entries the words' posting lists hold in ALL_TEXT (a prefix counts as every
        item): what ranking them reads, in proportion. 0 without words."""
        clauses = self._frequencies(searcher, query) if frequencies is None else frequencies
        return sum(searcher.num_docs if clause is None else sum(clause) for clause in clauses)

    @staticmethod
    def _languages_present(searcher: tantivy.Searcher) -> list[str]:
        """The other languages some item is written in: only their columns are queried."""
        return [code for code in LANGUAGE_CODES if searcher.doc_freq(LANGUAGE_FIELD, code)]

    @classmethod
    def _snippets(
        cls,
        searcher: tantivy.Searcher,
        text_query: tantivy.Query,
        schema: tantivy.Schema,
        languages: list[str],
        docs: list[tantivy.Document],
    ) -> list[str]:
        generators = _Generators(searcher, text_query, schema, registry.all_text_fields())
        language_generators = _Generators(searcher, text_query, schema, map(language_column, languages))
        return [cls._snippet(doc, generators, language_generators) for doc in docs]

    @staticmethod
    def _snippet(doc: tantivy.Document, generators: _Generators, language_generators: _Generators) -> str:
        """The best highlighted fragment, title last (it is shown anyway); escaped by `highlight`.
        An item in another language is first looked for in its own language's column, where the
        inflected forms of the reader's words are found."""
        language = language_column(doc.get_first(LANGUAGE_FIELD) or ENGLISH)
        if language in language_generators:
            fragment, ranges = _fragment(doc, language_generators[language])
            if ranges:
                return highlight(fragment, ranges)
        fallback = ""
        ordered = sorted(generators, key=lambda name: name == "title")
        for name in ordered:
            fragment, ranges = _fragment(doc, generators[name])
            if not fragment:
                continue
            if ranges and name != "title":
                return highlight(fragment, ranges)
            if not fallback and name != "title":
                fallback = highlight(fragment, [])
        if fallback:
            return fallback
        for name in ordered:
            if name != "title":
                text = doc.get_first(name) or ""
                if text:
                    return highlight(text[:200], [])
        return ""


def _fragment(doc: tantivy.Document, generator: tantivy.SnippetGenerator) -> tuple[str, list[tuple[int, int]]]:
    """The generator's best fragment of the document and its matches as character ranges."""
    snippet = generator.snippet_from_doc(doc)
    fragment = snippet.fragment()
    # tantivy gives byte ranges; `highlight` works on characters.
    raw = fragment.encode()
    ranges = [
        (len(raw[: r.start].decode(errors="ignore")), len(raw[: r.end].decode(errors="ignore")))
        for r in snippet.highlighted()
    ]
    return fragment, ranges


class _Generators:
    """A snippet generator per text field, made on first use: most hits find their fragment in the
    first fields tried, so the others' generators (each reads the query's terms) are never made."""

    def __init__(self, searcher: tantivy.Searcher, query: tantivy.Query, schema: tantivy.Schema, names: Any) -> None:
        self.searcher, self.query, self.schema = searcher, query, schema
        self.names = list(names)
        self.made: dict[str, tantivy.SnippetGenerator] = {}

    def __iter__(self) -> Any:
        return iter(self.names)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def __getitem__(self, name: str) -> tantivy.SnippetGenerator:
        generator = self.made.get(name)
        if generator is None:
            generator = tantivy.SnippetGenerator.create(self.searcher, self.query, self.schema, name)
            generator.set_max_num_chars(200)
            self.made[name] = generator
        return generator
