"""The one interface every search engine implements, and what it answers."""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import models, router
from django.urls import get_script_prefix

from enlets.core import access
from enlets.core.compiled import run_prepared
from enlets.search import registry

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Nobody reads page 500 of a ranked list; the cap keeps offsets small for both engines.
MAX_PAGE = 500


@dataclass
class Hit:
    model: str  # "documents.document"
    pk: int
    title: str
    snippet_html: str  # escaped text with <mark> around the matches; safe to render
    score: float
    url: str = ""
    type_label: str = ""


@dataclass
class SearchResults:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    # The index does not exist yet (never built, or lost): results are empty, the page says so.
    missing: bool = False
    # Changes are waiting in the task queue, or a hit was dropped because it changed since indexing.
    lagging: bool = False


def item_search_labels(item: Any) -> list[str]:
    """The labels stored with an item in the index: who may find it.

    A released item carries its marking's labels (access.item_labels); the owner and the
    co-authors always find their item, so their person labels are added; a draft carries only
    those. A model whose visibility adds people (reviewers) declares `search_extra_labels(item)`.
    """
    # `.all()`, not values_list: the rebuild prefetches these per batch (prefetch_for_index).
    people = [item.owner_id, *(user.pk for user in item.co_authors.all())]
    labels = {access.person_label(pk) for pk in people}
    if item.state in type(item).RELEASED_STATES:
        prefetched = getattr(item, "_prefetched_objects_cache", {})
        if "access_labels" in prefetched:
            # The stored labels: exactly what visible_to() checks (access.sync_labels writes them
            # from item_labels on every marking change), read in one query per batch.
            labels.update(row.label for row in prefetched["access_labels"])
        else:
            labels.update(access.item_labels(item))
    extra = getattr(item, "search_extra_labels", None)
    if extra is not None:
        labels.update(extra())
    return sorted(labels)


def highlight(text: str, ranges: Iterable[tuple[int, int]]) -> str:
    """Escape `text` and wrap each (start, end) character range in <mark>. Never passes HTML through."""
    out: list[str] = []
    position = 0
    for start, end in sorted(ranges):
        if start < position:
            continue
        out.append(html.escape(text[position:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        position = end
    out.append(html.escape(text[position:]))
    return "".join(out)


class SearchEngine:
    name = "base"

    def index(self, items: Iterable[models.Model]) -> int:
        raise NotImplementedError

    def delete(self, model: type[models.Model], pks: Iterable[int]) -> None:
        raise NotImplementedError

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
        """One page of what `user` may find, the exact total, and with `count_facets` the matches
        counted per facet value (`facets` filters; `count_facets=False` answers `facets={}` and
        spares the engine its second pass over every match)."""
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def exists(self) -> bool:
        raise NotImplementedError

    def rebuild(self, progress: Callable[[int, int], None] | None = None, batch_size: int = 500) -> int:
        """Index every item of every searchable model afresh; progress(done, total) after each batch."""
        self.clear()
        total = sum(model.objects.count() for model in registry.searchable_models())
        done = 0
        if progress:
            progress(0, total)
        for model in registry.searchable_models():
            queryset = prefetch_for_index(model.objects.order_by("pk"))
            last = 0
            while True:
                batch = list(queryset.filter(pk__gt=last)[:batch_size])
                if not batch:
                    break
                self.index(batch)
                done += len(batch)
                last = batch[-1].pk
                if progress:
                    progress(done, total)
        self.finish_rebuild()
        return done

    def finish_rebuild(self) -> None:
        pass


def prefetch_for_index(queryset: models.QuerySet) -> models.QuerySet:
    """What indexing an item reads, in a few queries per batch instead of several per item: the
    owner's organisation, the stored access labels, and every many-to-many relation a facet may
    list (topics, countries...) besides the audience (the stored labels already say it)."""
    model = queryset.model
    # The relations list facets read: declared as `search_prefetch`, or the many-to-many fields named
    # like a facet ("topic" -> topics, "country" -> countries). Each costs one query per batch.
    declared = getattr(model, "search_prefetch", None)
    if declared is None:
        names = set()
        for facet in registry.facet_fields(model):
            names |= {facet.name, facet.name + "s", facet.name[:-1] + "ies"}
        declared = [field.name for field in model._meta.many_to_many if field.name in names]
    related = list(declared)
    if any(f.name == "access_labels" for f in model._meta.related_objects):
        related.append("access_labels")
    return queryset.select_related("owner_organisation").prefetch_related(*dict.fromkeys(["co_authors", *related]))


def check_hits(user: Any, hits: list[Hit]) -> tuple[list[Hit], bool]:
    """Drop any hit the user may no longer see (it changed after indexing and the task has not run).

    The engine query already applied the labels; this is the belt to that pair of braces, so a
    lagging index can never show a stale hit. Returns (hits, dropped_any)."""
    by_model: dict[str, set[int]] = {}
    for hit in hits:
        by_model.setdefault(hit.model, set()).add(hit.pk)
    visible: dict[str, dict[int, tuple[str, str]]] = {}
    for key, pks in by_model.items():
        model = registry.get_model(key)
        visible[key] = {} if model is None else _visible_titles(model, user, pks)
    kept = []
    for hit in hits:
        shown = visible.get(hit.model, {}).get(hit.pk)
        if shown is None:
            continue
        # The title as it is now, not as it was indexed.
        hit.title, hit.url = shown
        hit.type_label = registry.type_label(hit.model)
        kept.append(hit)
    return kept, len(kept) != len(hits)


def _visible_titles(model: type[models.Model], user: Any, pks: set[int]) -> dict[int, tuple[str, str]]:
    """pk -> (title, URL) of those of `pks` the user may see, in one query.

    A page of hits is a few rows: the labels are probed on each (few_rows), instead of first
    gathering every item that carries one of the user's labels (881 rows for a typical member at
    100,000 practices: 0.8 of the query's 0.9 ms on PostgreSQL)."""
    if _url_template(model, get_script_prefix()) is not None and _has_title(model):
        # Rows, not model instances (0.23 ms of a page at a million practices): a searchable
        # model's str() is its title, which tests/test_search.py checks for every one of them.
        rows = _visible_pks_and_titles(model, user, sorted(pks))
        return {pk: (title, _pk_url(model, pk) or "") for pk, title in rows}
    queryset = model.objects.visible_to(user, few_rows=True).filter(pk__in=pks).order_by()
    columns = ["pk", *(["title"] if _has_title(model) else [])]
    return {obj.pk: (str(obj), absolute_url(obj)) for obj in queryset.only(*columns)}


# The re-check's statements, compiled once per model, database, reader (`access.visibility_key`) and
# number of hits. Building and compiling the visibility query with the ORM took 0.8 ms of every
# search, more than the database's work for it (docs/performance.md, change 12). Cleared when full:
# a statement is one string and its parameters.
_RECHECK_STATEMENTS: dict[tuple[Any, ...], tuple[str, tuple[Any, ...], tuple[int, ...]]] = {}
RECHECK_STATEMENTS_MAX = 2_000


def _visible_pks_and_titles(model: type[models.Model], user: Any, pks: list[int]) -> list[tuple[int, str]]:
    """(pk, title) of those of `pks` that `user` may see: `visible_to(user)` narrowed to the keys,
    as compiled for the first search of a reader with the same labels; only the keys change."""
    alias = router.db_for_read(model)

    def visible(keys: list[int]) -> models.QuerySet:
        queryset = model.objects.using(alias).visible_to(user, few_rows=True).filter(pk__in=keys)
        return queryset.order_by().values_list("pk", "title")

    key = (model, alias, access.visibility_key(user), len(pks))
    statement = _RECHECK_STATEMENTS.get(key)
    if statement is None:
        # Keys no row has, to find where the keys go among the statement's parameters.
        marks = [-1 - position for position in range(len(pks))]
        try:
            sql, params = visible(marks).query.sql_with_params()
        except EmptyResultSet:  # an inactive account sees nothing
            return []
        places = tuple(params.index(mark) for mark in marks if params.count(mark) == 1)
        if len(places) != len(marks):  # a value of the rule looks like a key: not worth a statement
            return list(visible(pks))
        if len(_RECHECK_STATEMENTS) >= RECHECK_STATEMENTS_MAX:
            _RECHECK_STATEMENTS.clear()
        statement = _RECHECK_STATEMENTS[key] = (sql, tuple(params), places)
    sql, template, places = statement
    params = list(template)
    for place, pk in zip(places, pks, strict=True):
        params[place] = pk
    return run_prepared(alias, sql, params)


@cache
def _has_title(model: type[models.Model]) -> bool:
    return any(f.name == "title" for f in model._meta.concrete_fields)


# A primary key no item has: its digits mark where the pk goes in a model's URL.
_PK_MARK = 987654321987654321


@cache
def _url_template(model: type[models.Model], script_prefix: str) -> str | None:
    """The model's URL with `_PK_MARK` for the pk, or None when its URL needs more than the pk.
    Keyed by the script prefix, which `reverse()` puts in front (a deployment under a sub-path)."""
    try:
        url = model(pk=_PK_MARK).get_absolute_url()
    except Exception:  # the URL needs another field (a slug, a parent): build it per item
        return None
    return url if url.count(str(_PK_MARK)) == 1 else None


def absolute_url(obj: models.Model) -> str:
    """`obj.get_absolute_url()`, without resolving the URL again for every hit: a page of 20 hits
    spent about a millisecond in `reverse()` alone."""
    return _pk_url(type(obj), obj.pk) or obj.get_absolute_url()


def _pk_url(model: type[models.Model], pk: int) -> str | None:
    """The URL of the model's item `pk` from its template, or None when the model has none."""
    template = _url_template(model, get_script_prefix())
    return None if template is None else template.replace(str(_PK_MARK), str(pk))


# The task queue is asked at most this often per process. The answer only says whether the last
# moments' writes may be missing from the results, and asking on every search cost about a
# millisecond of it on two cores (the query competes with the engine's threads; docs/search.md).
# This process's own writes forget the answer at once (`forget_pending_check`).
PENDING_CHECK_SECONDS = 1.0
_pending_answer: tuple[float, bool] | None = None


def pending_index_tasks() -> bool:
    """True when index updates wait in the task queue (the database task backend)."""
    global _pending_answer
    now = time.monotonic()
    answer = _pending_answer
    if answer is not None and now - answer[0] < PENDING_CHECK_SECONDS:
        return answer[1]
    try:
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(status="READY")  # access: task bookkeeping, no content
        pending = waiting.filter(task_path__startswith="enlets.search.tasks.").exists()
    except Exception:  # the immediate backend in tests, or the table not migrated yet
        return False
    _pending_answer = (now, pending)
    return pending


def forget_pending_check() -> None:
    """The next search asks the task queue again (this process has just enqueued an index task)."""
    global _pending_answer
    _pending_answer = None
