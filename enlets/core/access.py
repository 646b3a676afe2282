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
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

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


def visibility_q(model: type[SharedItem], user: Any) -> Q:
    """The filter that selects the items of `model` that `user` may see.

    `public` and `community` follow from the marking alone (CLEAR and GREEN), so they are tested on
    the item's own `tlp` column; only the narrow labels (person, organisation, country, groups) go
    to the label table, as one uncorrelated set. This keeps one stable plan on SQLite and PostgreSQL
    at a million items (docs/performance.md); the rule is the same as `item_labels` states.
    """
    from enlets.core.models import TLP

    labels = user_labels(user)
    narrow = [label for label in labels if label not in (PUBLIC, COMMUNITY)]
    nothing = Q(pk__in=[])
    reachable = Q(tlp=TLP.CLEAR) if PUBLIC in labels else nothing
    if COMMUNITY in labels:
        reachable |= Q(tlp=TLP.GREEN)
    if narrow:
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
    people = list(item.audience_people.all())
    if item.tlp == TLP.AMBER:
        countries = list(item.audience_countries.all())
        if countries:
            parts.append(f"people of {_names(countries)}")
        groups = list(item.audience_groups.all())
        if groups:
            parts.append(f"members of {_names(groups)}")
    if item.tlp in (TLP.AMBER, TLP.AMBER_STRICT):
        orgs = list(item.audience_organisations.all())
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
