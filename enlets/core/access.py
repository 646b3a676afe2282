"""The access model: who may see a shared item. The one place that decides it.

Rules (docs/access-model.md has the table with examples):

- A released item (published or archived) carries permission labels derived from its TLP
  marking and audience:
    CLEAR         -> public
    GREEN         -> community
    AMBER         -> country:<code>, org:<id>, group:<id>, person:<id> of its audience
    AMBER+STRICT  -> org:<id>, person:<id> of its audience
    RED           -> person:<id> of its audience
- A person holds labels too (`user_labels`): everyone holds `public`; an active, vetted
  member of the network community holds `community`, `country:<their country>`,
  `org:<their organisation>` and `group:<id>` for each interest group they belong to;
  a vetted external partner holds only `org:<their organisation>`; an unvetted account holds
  no organisation label; everyone signed in holds `person:<id>`.
- A person sees a released item when the two label sets meet; the owner and co-authors always
  see their item; an inactive account sees nothing. Administrators get no bypass.

The same labels are indexed with each item in the search engine, so search applies the very
same rule inside the engine query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import BooleanField, Expression, F, Q
from django.db.models.expressions import Col
from django.db.models.sql.where import AND, WhereNode

if TYPE_CHECKING:
    from enlets.core.models import SharedItem

PUBLIC = "public"
COMMUNITY = "community"


def country_label(code: str) -> str:
    return f"country:{code.upper()}"


def org_label(pk: int) -> str:
    return f"org:{pk}"


def group_label(pk: int) -> str:
    return f"group:{pk}"


def person_label(pk: int) -> str:
    return f"person:{pk}"


def user_labels(user: Any) -> list[str]:
    """The permission labels `user` holds; cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return [PUBLIC]
    if not user.is_active:
        return []
    cached = getattr(user, "_access_labels", None)
    if cached is not None:
        return cached
    labels = [PUBLIC, person_label(user.pk)]
    # The organisation label needs vetting too: until an NCP has confirmed who the account
    # belongs to, its organisation must not open AMBER or AMBER+STRICT items (it does not
    # even see GREEN). Named people (person:<id>) still reach it.
    if user.organisation_id and user.is_vetted:
        labels.append(org_label(user.organisation_id))
    if user.is_community_member:
        labels.append(COMMUNITY)
        country, group_ids = user.country_and_group_ids()
        if country:
            labels.append(country_label(country))
        labels.extend(group_label(pk) for pk in group_ids)
    user._access_labels = labels
    return labels


def item_labels(item: SharedItem) -> list[str]:
    """The permission labels of an item, from its marking and audience (item must be saved)."""
    from enlets.core.models import TLP

    if item.tlp == TLP.CLEAR:
        return [PUBLIC]
    if item.tlp == TLP.GREEN:
        return [COMMUNITY]
    labels = [person_label(pk) for pk in item.audience_people.values_list("pk", flat=True)]
    if item.tlp in (TLP.AMBER, TLP.AMBER_STRICT):
        labels += [org_label(pk) for pk in item.audience_organisations.values_list("pk", flat=True)]
    if item.tlp == TLP.AMBER:
        labels += [country_label(code) for code in item.audience_countries.values_list("pk", flat=True)]
        labels += [group_label(pk) for pk in item.audience_groups.values_list("pk", flat=True)]
    return sorted(set(labels))


def label_model(model: type[models.Model]) -> type[models.Model]:
    return model._meta.get_field("access_labels").related_model


def sync_labels(item: SharedItem) -> list[str]:
    """Rewrite the stored labels of `item`. Called by the actions that change marking or audience."""
    labels = item_labels(item)
    labels_model = label_model(type(item))
    labels_model.objects.filter(item=item).delete()
    labels_model.objects.bulk_create([labels_model(item=item, label=label) for label in labels])
    return labels


@dataclass(frozen=True)
class CountHint:
    """How `enlets.core.listing.bounded_count` counts a `visible_to` queryset of a member with many
    labels (`PER_ROW_MIN_LABELS`); other users' querysets carry none.

    `marking` (released in `states`, marked one of `markings`): rows the member sees by marking
    alone, a subset of `visibility_q` found without the label table; at a million items the
    member's first 1,001 visible rows are nearly all found this way, at about the cost of the
    unfiltered count. `scan()`: the same rule as `visibility_q` with the narrow labels as one set,
    for counting the other rows when the first part stays within the limit: a count may read
    thousands of rows, and one set beats a probe for each (docs/performance.md). Built only then.
    """

    states: tuple[str, ...]
    markings: tuple[str, ...]
    model: type[SharedItem]
    user: Any

    @property
    def marking(self) -> Q:
        return Q(state__in=self.states, tlp__in=self.markings)

    def scan(self) -> Q:
        return visibility_q(self.model, self.user, per_row=False)


def count_hint(model: type[SharedItem], user: Any) -> CountHint | None:
    from enlets.core.models import COMMUNITY_MARKINGS

    labels = user_labels(user)
    if not _many_labels(labels) or user is None or not getattr(user, "is_authenticated", False):
        # A small set of labelled items: one plain count reads the rows once, cheaply.
        return None
    # Such users are members of the community; `released_by_marking_index` serves this part.
    return CountHint(tuple(model.RELEASED_STATES), COMMUNITY_MARKINGS, model, user)


class ItemCondition(Expression):
    """A test of an item written as SQL text (`condition`), with the item's key column as its one
    source expression, so Django resolves the table's alias (joins, subqueries). For the access
    rule's parts whose querysets Django built and compiled on every list and search for more than
    the database's own work (docs/performance.md, changes 10 and 11). Names in the text come from
    the models' meta, values are bound parameters."""

    output_field = BooleanField()

    def __init__(self) -> None:
        super().__init__()  # the class's output_field: a new field per condition cost 15 us
        self.outer: Any = F("pk")

    def of_item(self, pk: Col) -> ItemCondition:
        """This test of the item whose key column is `pk` (already resolved)."""
        condition = self.copy()
        condition.outer = pk
        return condition

    def get_source_expressions(self) -> list[Any]:
        return [self.outer]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        (self.outer,) = exprs

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple[Any, ...]]:
        outer_sql, outer_params = compiler.compile(self.outer)
        sql, params = self.condition(outer_sql, connection)
        return sql, (*outer_params, *params)

    def condition(self, item_sql: str, connection: Any) -> tuple[str, tuple[Any, ...]]:
        """The SQL text testing the item whose key is `item_sql` (written first), and its values."""
        raise NotImplementedError


class _RowsOf(ItemCondition):
    """`<item> IN (SELECT item FROM table WHERE column IN values)`, or with `per_row` the same test
    as a correlated EXISTS: whether the item has a row in one of its own link tables (its access
    labels, its co-authors) whose `column` holds one of `values`.

    Written as SQL text rather than a subquery queryset: Django composed and compiled a heavy
    member's label subquery (45 labels) for every list page and again for its count, which cost more
    than the database's own work for the page (docs/performance.md, change 10). The table and column
    names come from the models, the values are bound parameters.

    With `per_row` the database answers row by row:
    - `column || ''` is the column's text in a form no index on it can serve: SQLite then finds the
      item's few labels through the (item, label) index and compares them with the list, instead of
      one index probe per label (45 for a member of 40 groups) for every row;
    - `OFFSET 0` keeps PostgreSQL from rewriting the EXISTS inside an OR into one hashed set of every
      item carrying any of the labels (23,000 rows for a member of 40 groups, 10-20 ms at a million
      documents) before it reads the first row of a page; each row then costs one probe of the
      (item, label) index, and a page of 50 takes 1-2 ms (docs/performance.md, change 8).
    """

    def __init__(
        self, model: type[models.Model], item: str, column: str, values: Iterable[Any], *, per_row: bool
    ) -> None:
        super().__init__()
        self.table = model._meta.db_table
        self.item_column = model._meta.get_field(item).column
        self.column = model._meta.get_field(column).column
        self.values = list(values)
        self.per_row = per_row

    def condition(self, item_sql: str, connection: Any) -> tuple[str, tuple[Any, ...]]:
        quote = connection.ops.quote_name
        alias = quote("access_rows")
        table, item, column = quote(self.table), quote(self.item_column), quote(self.column)
        placeholders = ", ".join(["%s"] * len(self.values))
        if self.per_row:
            offset = " OFFSET 0" if connection.vendor == "postgresql" else ""
            sql = (
                f"EXISTS(SELECT 1 FROM {table} {alias} WHERE {alias}.{item} = {item_sql} "  # noqa: S608
                f"AND ({alias}.{column} || '') IN ({placeholders}){offset})"
            )
            return sql, tuple(self.values)
        sql = f"{item_sql} IN (SELECT {alias}.{item} FROM {table} {alias} WHERE {alias}.{column} IN ({placeholders}))"  # noqa: S608
        return sql, tuple(self.values)


class _VisibleRule(Expression):
    """`visibility_q`'s rule as one SQL condition:

        (state IN <released> AND (tlp IN <markings> OR <the item carries a narrow label>))
        OR owner = <user> OR <user is a co-author>

    One expression instead of a Q of seven lookups and two subqueries: Django built and compiled
    that tree for every list page and its count, about 1 ms a page, more than the database's own
    work for it (docs/performance.md, change 10). The SQL is the same as the tree's; its columns are
    resolved by Django (so table aliases stay right inside joins and subqueries) and every value is
    a bound parameter.
    """

    output_field = BooleanField()

    def __init__(
        self, model: type[SharedItem], markings: list[str], narrow: list[str], user_pk: int | None, *, per_row: bool
    ) -> None:
        super().__init__()  # the class's output_field: a new field per rule cost 15 us
        self.states = list(model.RELEASED_STATES)
        self.markings = markings
        self.user_pk = user_pk
        labels = _RowsOf(label_model(model), "item", "label", narrow, per_row=per_row) if narrow else None
        co_authors = None
        if user_pk is not None:
            through = model._meta.get_field("co_authors").remote_field.through
            co_authors = _RowsOf(through, model._meta.model_name, "user", [user_pk], per_row=False)
        self.model = model
        self.parts: list[Any] = [F("state"), F("tlp"), F("owner_id"), labels, co_authors]

    def resolve_expression(
        self,
        query: Any = None,
        allow_joins: bool = True,
        reuse: Any = None,
        summarize: bool = False,
        for_save: bool = False,
    ) -> Any:
        # Every column the rule reads is on the item's own table: its alias is looked up once
        # (resolving five F() took a third of the time to build the rule for a list).
        pk = F("pk").resolve_expression(query, allow_joins, reuse, summarize, for_save)
        if not isinstance(pk, Col) or pk.target.model is not self.model:
            return super().resolve_expression(query, allow_joins, reuse, summarize, for_save)
        rule = self.copy()
        fields = (self.model._meta.get_field(name) for name in ("state", "tlp", "owner"))
        columns = [field.get_col(pk.alias) for field in fields]
        rows = [None if part is None else part.of_item(pk) for part in self.parts[3:]]
        rule.parts = [*columns, *rows]
        return rule

    def get_source_expressions(self) -> list[Any]:
        return self.parts

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.parts = list(exprs)

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, tuple[Any, ...]]:
        state, tlp, owner, labels, co_authors = self.parts
        params: list[Any] = []

        def sql_of(expression: Any) -> str:
            sql, expression_params = compiler.compile(expression)
            params.extend(expression_params)
            return sql

        def one_of(values: list[Any]) -> str:
            params.extend(values)
            return ", ".join(["%s"] * len(values))

        # Fragments are written in the order of the SQL text, which is the order of the parameters.
        alternatives: list[str] = []
        if self.markings or labels is not None:
            released = f"{sql_of(state)} IN ({one_of(self.states)})"
            reachable = [f"{sql_of(tlp)} IN ({one_of(self.markings)})"] if self.markings else []
            if labels is not None:
                reachable.append(sql_of(labels))
            alternatives.append(f"({released} AND ({' OR '.join(reachable)}))")
        if self.user_pk is not None:
            alternatives.append(f"{sql_of(owner)} = {one_of([self.user_pk])}")
            alternatives.append(sql_of(co_authors))
        if not alternatives:
            raise EmptyResultSet
        return f"({' OR '.join(alternatives)})", tuple(params)


# From this many narrow labels on, a community member's set of labelled items is large (a member of
# 40 groups, 43 narrow labels, reaches 23,000 of a million documents): their counts are split
# (`CountHint`) and, on SQLite, their labels are tested row by row (see visibility_q). Below it the
# set is small (a typical member holds 5-7 labels: 881 items of 100,000 practices) and one set is
# cheaper in every plan. Measured in docs/performance.md.
PER_ROW_MIN_LABELS = 10


def _many_labels(labels: list[str]) -> bool:
    narrow = [label for label in labels if label not in (PUBLIC, COMMUNITY)]
    return COMMUNITY in labels and len(narrow) >= PER_ROW_MIN_LABELS


def visibility_q(model: type[SharedItem], user: Any, *, per_row: bool | None = None) -> Q:
    """The filter that selects the items of `model` that `user` may see (as one SQL condition,
    `_VisibleRule`, plus the model's `extra_visibility_q`).

    `public` and `community` follow from the marking alone (CLEAR and GREEN), so they are tested on
    the item's own `tlp` column; only the narrow labels (person, organisation, country, groups) go
    to the label table. The form of that look-up depends on what the user holds (same rule either
    way, as `item_labels` states; docs/performance.md has the measurements at a million items):

    - a member of the community with many labels (`PER_ROW_MIN_LABELS`) passes most rows of a
      list on the marking alone, and their labels reach many items, so the rows that fail the
      marking are tested one by one (`per_row`: a correlated EXISTS on the item's labels,
      `_RowsOf`): a page of 50 then reads about 100 rows (1-3 ms), where building the set of
      every item carrying any of a heavy member's 45 labels took 10-20 ms;
    - anyone else (a typical member, an external partner, an unvetted account) holds few narrow
      labels, which reach few items: one uncorrelated set of those items is cheaper than a probe for
      every row, whatever the plan. Counts of the per-row form use it too (`CountHint`).
    """
    from enlets.core.models import TLP

    labels = user_labels(user)
    narrow = [label for label in labels if label not in (PUBLIC, COMMUNITY)]
    if per_row is None:
        per_row = _many_labels(labels)
    markings = [TLP.CLEAR.value] if PUBLIC in labels else []
    if COMMUNITY in labels:
        markings.append(TLP.GREEN.value)
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    q = Q(_VisibleRule(model, markings, narrow, user.pk if signed_in else None, per_row=per_row))
    if not signed_in:
        return q
    extra = getattr(model, "extra_visibility_q", None)
    if extra is not None:
        q |= extra(user)
    return q


def visibility_key(user: Any) -> tuple[Any, ...]:
    """Everything `visibility_q` and `filter_visible` read of `user` (a model's `extra_visibility_q`
    reads only the key `user.pk`): users with the same key get the same SQL condition. For
    statements compiled once and run again with other values (`enlets.search.base`)."""
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    return (tuple(user_labels(user)), user.pk if signed_in else None, bool(signed_in and not user.is_active))


class VisibleRows(WhereNode):
    """The visibility condition `filter_visible` adds to a queryset's WHERE clause, marked so that
    the first part of a bounded count can leave it out (`without_visibility`)."""


def filter_visible(queryset: models.QuerySet, user: Any, *, per_row: bool | None = None) -> models.QuerySet:
    if user is not None and getattr(user, "is_authenticated", False) and not user.is_active:
        return queryset.none()
    if queryset.query.is_sliced:
        raise TypeError("Cannot filter a query once a slice has been taken.")
    clone = queryset.all()
    query = clone.query
    condition = query.build_where(visibility_q(queryset.model, user, per_row=per_row))
    query.where = WhereNode([query.where, VisibleRows([condition])], connector=AND)
    return clone


def without_visibility(queryset: models.QuerySet) -> models.QuerySet | None:
    """`queryset` with its visibility condition left out, for counting rows that `CountHint.marking`
    already proves visible (a test of the visibility rule there only repeats what the marking says,
    and keeps the database from counting them from the marking index alone).

    None unless the queryset holds exactly one such condition, joined by AND to the rest: then every
    row of the result that meets the marking is a row of `queryset`.
    """
    clone = queryset.all()
    conjuncts: list[tuple[WhereNode, int]] = []
    total = 0

    def walk(node: WhereNode, only_and: bool) -> None:
        nonlocal total
        only_and = only_and and node.connector == AND and not node.negated
        for index, child in enumerate(node.children):
            if isinstance(child, VisibleRows):
                total += 1
                if only_and and not child.negated:
                    conjuncts.append((node, index))
            elif isinstance(child, WhereNode):
                walk(child, only_and)

    walk(clone.query.where, True)
    if total != 1 or len(conjuncts) != 1:
        return None
    parent, index = conjuncts[0]
    parent.children[index] = WhereNode()  # an empty condition: every row
    return clone


def can_see(user: Any, item: SharedItem) -> bool:
    return type(item).objects.filter(pk=item.pk).visible_to(user).exists()


def prefetched(relation: str) -> str:
    """The attribute a `Prefetch(relation, to_attr=...)` fills with the related objects' list."""
    return f"prefetched_{relation}"


def related(item: Any, relation: str) -> list[Any]:
    """The objects of a many-to-many or reverse relation: the prefetched list when there is one
    (`prefetched`), else read now."""
    found = getattr(item, prefetched(relation), None)
    return list(getattr(item, relation).all()) if found is None else found


def _names(items: Iterable[Any]) -> str:
    return ", ".join(str(i) for i in items)


def audience_in_words(item: SharedItem) -> str:
    """The audience of an item, in the words shown beside its TLP badge."""
    from enlets.core.models import TLP

    if item.tlp == TLP.CLEAR:
        return "Everyone, including the public."
    if item.tlp == TLP.GREEN:
        return "Every signed-in member of the ENLETS community (not external partners)."
    parts: list[str] = []
    people = related(item, "audience_people")
    if item.tlp == TLP.AMBER:
        countries = related(item, "audience_countries")
        if countries:
            parts.append(f"people of {_names(countries)}")
        groups = related(item, "audience_groups")
        if groups:
            parts.append(f"members of {_names(groups)}")
    if item.tlp in (TLP.AMBER, TLP.AMBER_STRICT):
        orgs = related(item, "audience_organisations")
        if orgs:
            parts.append(f"people of {_names(orgs)}")
    if people:
        parts.append(f"named: {_names(p.display_name for p in people)}")
    parts.append("the owner and co-authors")
    prefix = {
        TLP.AMBER: "Need to know:",
        TLP.AMBER_STRICT: "Only within the organisations:",
        TLP.RED: "Only the named people:",
    }[TLP(item.tlp)]
    return f"{prefix} {'; '.join(parts)}."
