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

from django.db import models
from django.db.models import CharField, Exists, Func, OuterRef, Q

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
        if user.organisation_id:
            labels.append(country_label(user.organisation.country_id))
        labels.extend(group_label(pk) for pk in user.approved_group_ids())
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


class _LabelText(Func):
    """`label || ''`: the label's own text, in a form no index on `label` can serve.

    In the per-row test below it makes SQLite find the item's few labels through the (item, label)
    index and compare them with the user's list, instead of one index probe per label the user
    holds (45 for a member of 40 groups) for every row (docs/performance.md).
    """

    template = "(%(expressions)s || '')"
    output_field = CharField()


class _ProbeEachRow(Exists):
    """A correlated EXISTS that the database answers row by row.

    PostgreSQL rewrites a plain correlated EXISTS inside an OR into one hashed set of every item
    carrying any of the user's labels (23,000 rows for a member of 40 groups, 10-20 ms at a million
    documents) before it reads the first row of a page. An OFFSET in the subquery keeps it from
    flattening the EXISTS, so each row the page reads costs one probe of the (item, label) index:
    a page of 50 then takes 1-2 ms (docs/performance.md, change 8). SQLite never builds the set.
    """

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        return self.as_sql(compiler, connection, template="EXISTS(%(subquery)s OFFSET 0)", **extra_context)


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
    """The filter that selects the items of `model` that `user` may see.

    `public` and `community` follow from the marking alone (CLEAR and GREEN), so they are tested on
    the item's own `tlp` column; only the narrow labels (person, organisation, country, groups) go
    to the label table. The form of that look-up depends on what the user holds (same rule either
    way, as `item_labels` states; docs/performance.md has the measurements at a million items):

    - a member of the community with many labels (`PER_ROW_MIN_LABELS`) passes most rows of a
      list on the marking alone, and their labels reach many items, so the rows that fail the
      marking are tested one by one (`per_row`: a correlated EXISTS on the item's labels,
      `_ProbeEachRow`): a page of 50 then reads about 100 rows (1-3 ms), where building the set of
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
    nothing = Q(pk__in=[])
    reachable = Q(tlp=TLP.CLEAR) if PUBLIC in labels else nothing
    if COMMUNITY in labels:
        reachable |= Q(tlp=TLP.GREEN)
    if narrow and per_row:
        labelled = label_model(model).objects.alias(text=_LabelText("label"))
        reachable |= _ProbeEachRow(labelled.filter(item=OuterRef("pk"), text__in=narrow))
    elif narrow:
        reachable |= Q(pk__in=label_model(model).objects.filter(label__in=narrow).values("item_id"))
    released = Q(state__in=model.RELEASED_STATES) & reachable
    if user is None or not getattr(user, "is_authenticated", False):
        return released
    through = model._meta.get_field("co_authors").remote_field.through
    co_authored = through.objects.filter(user_id=user.pk).values(f"{model._meta.model_name}_id")
    q = released | Q(owner_id=user.pk) | Q(pk__in=co_authored)
    extra = getattr(model, "extra_visibility_q", None)
    if extra is not None:
        q |= extra(user)
    return q


def filter_visible(queryset: models.QuerySet, user: Any) -> models.QuerySet:
    if user is not None and getattr(user, "is_authenticated", False) and not user.is_active:
        return queryset.none()
    return queryset.filter(visibility_q(queryset.model, user))


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
