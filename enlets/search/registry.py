"""Every SharedItem model that declares `search_fields` is indexed; this module finds them."""

from __future__ import annotations

from functools import cache

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from enlets.search.fields import FacetField, SearchField

# The facet every result has: the kind of item (documents.document, practices.practice, ...).
TYPE_FACET = "type"


def model_key(model: type[models.Model]) -> str:
    return model._meta.label_lower


@cache
def searchable_models() -> tuple[type[models.Model], ...]:
    from enlets.core.models import SharedItem

    found = [
        model for model in apps.get_models() if issubclass(model, SharedItem) and getattr(model, "search_fields", None)
    ]
    return tuple(sorted(found, key=model_key))


def get_model(key: str) -> type[models.Model] | None:
    return {model_key(m): m for m in searchable_models()}.get(key)


def text_fields(model: type[models.Model]) -> list[SearchField]:
    return [f for f in model.search_fields if isinstance(f, SearchField)]


def facet_fields(model: type[models.Model]) -> list[FacetField]:
    return [f for f in model.search_fields if isinstance(f, FacetField)]


@cache
def all_text_fields() -> dict[str, float]:
    """Every text field name across the models, with its boost. One name has one boost everywhere,
    because a field is one column of the index shared by every model that declares it."""
    boosts: dict[str, float] = {}
    for model in searchable_models():
        for field in text_fields(model):
            if boosts.setdefault(field.name, field.boost) != field.boost:
                raise ImproperlyConfigured(
                    f"Search field {field.name!r} has different boosts on different models; use one boost per name."
                )
    return boosts


@cache
def list_facets() -> frozenset[str]:
    """The facets some model declares `many=True` (a list of values per item)."""
    return frozenset(field.name for model in searchable_models() for field in facet_fields(model) if field.many)


@cache
def all_facets() -> dict[str, str]:
    """Facet name -> label, across the models, plus the type facet."""
    facets = {TYPE_FACET: "Type"}
    for model in searchable_models():
        for field in facet_fields(model):
            facets.setdefault(field.name, field.label or field.name.replace("_", " ").capitalize())
    return facets


def type_label(key: str) -> str:
    model = get_model(key)
    return str(model._meta.verbose_name).capitalize() if model else key
