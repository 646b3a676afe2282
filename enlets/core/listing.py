"""List pages: sorting from an allow-list, pagination with a bounded count. Every list uses these."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, connections
from django.db.models import BooleanField, F, Func, Q, QuerySet
from django.db.models.expressions import Col, RawSQL
from django.db.models.lookups import Exact, In
from django.db.models.sql import Query
from django.db.models.sql.where import AND, WhereNode
from django.http import HttpRequest

from enlets.core import access
from enlets.core.access import CountHint


@dataclass
class ListPage:
    """What a list template needs: {% include "core/_pagination.html" %} reads these names."""

    object_list: list[Any]
    number: int
    per_page: int
    count: int
    count_is_exact: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number * self.per_page < self.count or (not self.count_is_exact and bool(self.object_list))

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    def context(self) -> dict[str, Any]:
        return {
            "page_obj": self,
            "object_list": self.object_list,
            "count": self.count,
            "count_is_exact": self.count_is_exact,
        }


def sort_queryset(
    request: HttpRequest, queryset: QuerySet, allowed: dict[str, str], default: str
) -> tuple[QuerySet, str]:
    """?sort=name or -name, from an allow-list of public name -> field; unknown values fall back."""
    sort = request.GET.get("sort", default)
    name = sort.lstrip("-")
    if name not in allowed:
        sort, name = default, default.lstrip("-")
    field = allowed[name]
    descending = sort.startswith("-")
    return queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk"), sort


def bounded_count(queryset: QuerySet, limit: int) -> int:
    """min(number of rows, limit + 1): an exact count up to `limit`, and "more" beyond it.

    A queryset made by `visible_to` for a member of many groups carries a `count_hint`
    (enlets.core.access.CountHint). Its rows are counted in two disjoint parts: those visible by
    their marking alone (a test on the row's own columns, no label look-up), then, only when that
    part stays within the limit, the others. The parts split the queryset's own rows, so their sum
    is its count whatever the hint says; the hint only decides how fast. At a million items the
    member's first part reaches the limit at about the cost of the unfiltered count. The second
    part tests the labels with one set (`scan()`), the same rule as the queryset's own and cheaper
    over thousands of rows. Other querysets are counted in one query.
    """
    queryset = queryset.order_by()
    hint = getattr(queryset, "count_hint", None)
    query = queryset.query
    if hint is None or query.is_sliced or query.combinator:
        return queryset[: limit + 1].count()
    first = 0
    if not _excludes_marking(query.where, query.base_table, hint):
        # Every row that meets the marking is visible to the member (`CountHint`): the visibility
        # rule is left out of this part, which then reads no label (PostgreSQL may count it from
        # the partial index `released_by_marking_index` alone).
        first = _count_plain_lists_marking_part(queryset, hint, limit + 1)
        if first is None:
            marked = access.without_visibility(queryset)
            first = filter_first(queryset if marked is None else marked, hint.marking)[: limit + 1].count()
    if first > limit:
        return first
    if query.distinct or query.group_by is not None:
        # Distinct or grouped rows could fall on both sides of the split: count them whole.
        return queryset[: limit + 1].count()
    rest = ~hint.marking & hint.scan()
    return first + filter_first(queryset, rest)[: limit + 1 - first].count()


def _count_plain_lists_marking_part(queryset: QuerySet, hint: CountHint, at_most: int) -> int | None:
    """The marking part of the count of a list whose only condition is its visibility rule (the
    plain list every member opens first), by one statement over the partial index of released
    CLEAR/GREEN rows (`released_by_marking_index`); None for any other queryset.

    The statement is written once per model: building and compiling it with the ORM for every list
    cost more than the database's work for it (PostgreSQL: about 1,001 index entries, 0.4 ms). On
    SQLite it names the index (`INDEXED BY`): SQLite never takes a partial index for a condition on
    bound parameters, and given the condition as literals its planner prefers the `state` index, so
    the part read about 2,000 table rows (0.47 ms at a million documents) instead of the index's
    first 1,001 entries (0.12 ms; docs/performance.md, change 11). With other filters the index can
    be a poor path: the planner chooses, through the ORM.
    """
    query = queryset.query
    if query.distinct or query.group_by is not None or query.combinator or query.is_sliced:
        return None
    if not _only_the_visibility_rule(query.where):
        return None
    db = connections[queryset.db]
    count_sql = _marking_index_count_sql(db.alias, queryset.model, frozenset(hint.states), frozenset(hint.markings))
    if count_sql is None:
        return None
    with db.cursor() as cursor:
        cursor.execute(count_sql, [at_most])
        return int(cursor.fetchone()[0])


def _only_the_visibility_rule(where: WhereNode) -> bool:
    """Whether a queryset's WHERE clause holds its visibility rule (`access.VisibleRows`) and no
    other condition (empty nodes joined by AND aside)."""
    rules = 0

    def walk(node: WhereNode) -> bool:
        nonlocal rules
        if node.negated or (node.connector != AND and len(node.children) > 1):
            return False
        for child in node.children:
            if isinstance(child, access.VisibleRows):
                rules += 1
                if child.negated:
                    return False
            elif not isinstance(child, WhereNode) or not walk(child):
                return False
        return True

    return walk(where) and rules == 1


@cache
def _marking_index_count_sql(alias: str, model: type, states: frozenset[str], markings: frozenset[str]) -> str | None:
    """The count statement over the model's partial index whose condition is exactly "state in
    `states` and tlp in `markings`", or None when the model has no such index."""
    wanted = {"state__in": states, "tlp__in": markings}
    for index in model._meta.indexes:
        condition = index.condition
        if condition is None or condition.connector != AND or condition.negated:
            continue
        children = dict(child for child in condition.children if isinstance(child, tuple))
        if len(children) != len(condition.children) or {k: frozenset(v) for k, v in children.items()} != wanted:
            continue
        db = connections[alias]
        query = Query(model, alias_cols=False)
        where_sql, params = query.build_where(condition).as_sql(query.get_compiler(connection=db), db)
        # The index's constant values (the states and markings of the code, not user input) written
        # as literals, exactly as the index was created, so SQLite can match its condition.
        literals = tuple(db.SchemaEditorClass(db).quote_value(value) for value in params)
        quote = db.ops.quote_name
        table = quote(model._meta.db_table)
        hint = f" INDEXED BY {quote(index.name)}" if db.vendor == "sqlite" else ""
        where = where_sql % literals
        return f"SELECT COUNT(*) FROM (SELECT 1 FROM {table}{hint} WHERE {where} LIMIT %s) AS marked"  # noqa: S608
    return None


def _excludes_marking(where: WhereNode, table: str | None, hint: CountHint) -> bool:
    """Whether the queryset's own filters rule out every row visible by marking (a list narrowed to
    AMBER, or to drafts): then that part is empty, and counting it would read every row in vain
    (650 ms at a million items on PostgreSQL). Looks only at `tlp` and `state` conditions that every
    row must meet (not under OR or NOT); anything else leaves the part to be counted."""
    allowed = {"tlp": set(hint.markings), "state": set(hint.states)}
    if where.connector != AND or where.negated:
        return False
    for child in where.children:
        if isinstance(child, WhereNode):
            if _excludes_marking(child, table, hint):
                return True
            continue
        if not isinstance(child, (Exact, In)) or not isinstance(child.lhs, Col):
            continue
        name = child.lhs.target.name
        if name not in allowed or child.lhs.alias != table:
            continue
        values = [child.rhs] if isinstance(child, Exact) else child.rhs
        if isinstance(values, (list, tuple, set)) and not allowed[name] & {str(v) for v in values}:
            return True
    return False


def filter_first(queryset: QuerySet, condition: Q) -> QuerySet:
    """`queryset.filter(condition)` with the condition written before the queryset's own filters.

    SQLite tests a WHERE clause's terms in the order written: placed after the visibility filter,
    the cheap column test would come too late, and every row that fails the marking would be
    probed for labels first (the marking part of a heavy member's count took 24 ms at a million
    items that way, against 3 ms with the test first). A row that fails the first terms is not
    tested further, so in the second part the set form (`scan()`) spares the queryset's own per-row
    label test on every row that is not visible. PostgreSQL orders the terms by cost itself.
    """
    clone = queryset.all()
    query = clone.query
    query.where = WhereNode([query.build_where(condition), query.where], connector=AND)
    return clone


class _AnyOf(Func):
    """`value = ANY(array)` (PostgreSQL)."""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def pk_among(ids: QuerySet) -> Q:
    """The rows whose primary key is one of those `ids` selects (a `.values(...)` queryset).

    On PostgreSQL as `id = ANY(ARRAY(...))`: the ids are read once and the rows fetched by key. As a
    semi-join (`id IN (...)`) or a join, PostgreSQL costed the visibility rule's sub-plans as if
    they ran for every probe and scanned every row of the table instead (a topic's practices for a
    summary: 0.7-0.9 s at a million practices against 2 ms; docs/performance.md). Elsewhere a plain
    `IN`, which SQLite reads the same way.
    """
    if connection.vendor == "postgresql":
        return Q(_AnyOf(F("pk"), ArraySubquery(ids)))
    return Q(pk__in=ids)


# `pk_among_read` sends at most this many ids as one parameter; with more it runs its sub-query
# in place (`pk_among`): a long list costs more to send and to hash than the sub-query costs twice.
READ_IDS_MAX = 50_000


def pk_among_read(ids: QuerySet) -> Q:
    """Like `pk_among`, but on PostgreSQL the ids (a `.values_list(..., flat=True)` queryset) are
    read here, once, and sent back as one array constant: PostgreSQL then knows how many there are
    and hashes them, so a page walks the list's ordering index and stops after 25 rows instead of
    fetching every candidate to sort them, and the bounded count and the page do not run the
    sub-query twice (a topic and a country at a million practices: 13,734 ids; docs/performance.md,
    "Practice list by topic and country"). They travel as the text of an array, never as Python
    integers: preparing 13,734 of them one by one for each query took longer than both queries.
    Elsewhere as `pk_among`.
    """
    if connection.vendor != "postgresql":
        return pk_among(ids)
    # The inner SQL is Django's own for the queryset, its values kept apart as parameters.
    inner, params = ids[: READ_IDS_MAX + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), string_agg(id::text, ',') FROM ({inner}) AS ids (id)", params)  # noqa: S608
        found, text = cursor.fetchone()
    if found > READ_IDS_MAX:
        return pk_among(ids)
    if not found:
        return Q(pk__in=[])
    return Q(_AnyOf(F("pk"), RawSQL("%s::bigint[]", ("{" + text + "}",))))


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = 25) -> ListPage:
    try:
        number = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        number = 1
    limit = settings.LIST_COUNT_LIMIT
    count = bounded_count(queryset, limit)
    exact = count <= limit
    count = min(count, limit)
    offset = (number - 1) * per_page
    return ListPage(list(queryset[offset : offset + per_page]), number, per_page, count, exact)
