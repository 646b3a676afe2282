"""The audience in the API, shared by every shared-item app (documents, practices...): its schemas,
the resolution of references (country codes, organisation ids, group slugs, user names) to objects
the caller may see, and the mapping of the actions' field names to the API's.

A reference the caller cannot resolve (unknown, or not visible to them) is a 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema

from enlets.core.api import InputSchema
from enlets.core.errors import InvalidInput
from enlets.network.access import groups_visible_to, organisations_visible_to, people_visible_to
from enlets.network.models import Country

# The actions name audience fields as the model does; the API as the JSON does.
ACTION_TO_API_FIELD = {
    "audience_countries": "audience.countries",
    "audience_organisations": "audience.organisations",
    "audience_groups": "audience.groups",
    "audience_people": "audience.people",
}


class AudienceIn(InputSchema):
    countries: list[str] = Field(default_factory=list, description="ISO codes, e.g. NL, DE.")
    organisations: list[int] = Field(default_factory=list, description="Organisation ids.")
    groups: list[str] = Field(default_factory=list, description="Interest group slugs.")
    people: list[str] = Field(default_factory=list, description="User names.")


class AudienceOut(Schema):
    countries: list[str]
    organisations: list[int]
    groups: list[str]
    people: list[str]


class AudiencePatch(InputSchema):
    countries: list[str] | None = None
    organisations: list[int] | None = None
    groups: list[str] | None = None
    people: list[str] | None = None


def resolve(field: str, given: Iterable[Any], queryset: QuerySet, key: str, normalise: Any = None) -> list[Any]:
    """The objects named in `given`; a 422 naming `field` and every unknown reference otherwise."""
    wanted = [normalise(v) if normalise else v for v in given]
    if not wanted:
        return []
    found = {getattr(obj, key): obj for obj in queryset.filter(**{f"{key}__in": wanted})}
    unknown = [str(v) for v in wanted if v not in found]
    if unknown:
        raise InvalidInput(
            f"Unknown or not visible to you in {field}: {', '.join(unknown)}.",
            field_errors={field: [f"Unknown: {', '.join(unknown)}."]},
        )
    return [found[v] for v in dict.fromkeys(wanted)]


def upper(value: str) -> str:
    return value.strip().upper()


def resolve_audience(user: Any, audience: dict[str, Any]) -> dict[str, list[Any]]:
    resolved: dict[str, list[Any]] = {}
    if audience.get("countries") is not None:
        resolved["audience_countries"] = resolve(
            "audience.countries",
            audience["countries"],
            Country.objects.all(),  # access: countries are public reference data
            "code",
            upper,  # access: countries are public
        )
    if audience.get("organisations") is not None:
        resolved["audience_organisations"] = resolve(
            "audience.organisations", audience["organisations"], organisations_visible_to(user), "pk"
        )
    if audience.get("groups") is not None:
        resolved["audience_groups"] = resolve("audience.groups", audience["groups"], groups_visible_to(user), "slug")
    if audience.get("people") is not None:
        resolved["audience_people"] = resolve(
            "audience.people", audience["people"], people_visible_to(user), "username"
        )
    return resolved


def api_field_errors(exc: InvalidInput) -> InvalidInput:
    exc.field_errors = {ACTION_TO_API_FIELD.get(k, k): v for k, v in exc.field_errors.items()}
    return exc
