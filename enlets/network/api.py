"""API v1 routes of the network app: me, countries, organisations, people, interest groups,
memberships and personal tokens (registered on enlets.core.api.api).

Thin views: the directory rule lives in enlets/network/access.py, the writes in
enlets/network/actions.py; this module only parses, filters, orders and serialises.
"""

import datetime as dt
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from enlets.core.api import ERRORS, InputSchema, Page, api, apply_ordering, current_user, responses
from enlets.network import actions
from enlets.network.access import (
    groups_visible_to,
    may_see_contact_details,
    memberships_visible_to,
    organisations_visible_to,
    people_visible_to,
)
from enlets.network.models import ApiToken, Country, GroupMembership, InterestGroup, Organisation, Role, User


def may_decide(request: HttpRequest, group: InterestGroup) -> bool:
    """Whether the caller decides this group's join requests; asked once per request and group."""
    cache: dict[int, bool] = request.__dict__.setdefault("_enlets_may_decide", {})
    if group.pk not in cache:
        cache[group.pk] = actions.can_decide_membership(current_user(request), group)
    return cache[group.pk]


# --- Schemas ---------------------------------------------------------------------------------------


class MeOut(Schema):
    username: str
    first_name: str
    last_name: str
    display_name: str
    email: str
    role: str
    organisation: int | None = Field(None, description="Organisation id.")
    organisation_name: str | None
    country: str | None = Field(None, description="ISO code of the organisation's country.")
    vetted: bool
    community_member: bool = Field(description="Sees TLP:GREEN: active, vetted and not an external partner.")
    can_audit: bool
    groups: list[str] = Field(description="Slugs of the interest groups the person is an approved member of.")
    has_second_factor: bool


class CountryOut(Schema):
    code: str
    name: str
    is_member_state: bool


class CountryIn(InputSchema):
    code: str = Field(min_length=1, max_length=2, description="ISO 3166-1 alpha-2 (EL for Greece).")
    name: str
    is_member_state: bool = False


class CountryFilters(InputSchema):
    q: str | None = Field(None, description="Part of the name or the code.")
    member_state: bool | None = None
    ordering: str | None = Field(None, description="code, name (prefix - for descending). Default: name.")


class OrganisationOut(Schema):
    id: int
    name: str
    short_name: str
    kind: str
    country: str = Field(alias="country_id")
    website: str
    description: str


class OrganisationFilters(InputSchema):
    q: str | None = Field(None, description="Part of the name or short name.")
    country: str | None = Field(None, description="ISO code.")
    kind: Literal[tuple(Organisation.Kind.values)] | None = None  # type: ignore[valid-type]
    ordering: str | None = Field(None, description="name, country, created (prefix - for descending).")


class PersonOut(Schema):
    username: str
    first_name: str
    last_name: str
    display_name: str
    role: str
    organisation: int | None = Field(None, alias="organisation_id")
    organisation_name: str | None = None
    country: str | None = None
    job_title: str
    expertise: str
    languages: str
    vetted: bool
    is_active: bool
    email: str | None = Field(None, description="Only for members of the network community.")
    phone: str | None = Field(None, description="Only for members of the network community.")

    @staticmethod
    def resolve_organisation_name(obj: User) -> str | None:
        return obj.organisation.name if obj.organisation_id else None

    @staticmethod
    def resolve_country(obj: User) -> str | None:
        return obj.organisation.country_id if obj.organisation_id else None

    @staticmethod
    def resolve_vetted(obj: User) -> bool:
        return obj.is_vetted

    @staticmethod
    def resolve_email(obj: User, context: dict[str, Any]) -> str | None:
        viewer = current_user(context["request"])
        return obj.contact_email if may_see_contact_details(viewer, obj) else None

    @staticmethod
    def resolve_phone(obj: User, context: dict[str, Any]) -> str | None:
        viewer = current_user(context["request"])
        return obj.phone if may_see_contact_details(viewer, obj) else None


class PeopleFilters(InputSchema):
    q: str | None = Field(None, description="Part of the user name, first or last name, job title or expertise.")
    country: str | None = Field(None, description="ISO code of the person's organisation's country.")
    organisation: int | None = Field(None, description="Organisation id.")
    role: Literal[tuple(Role.values)] | None = None  # type: ignore[valid-type]
    ordering: str | None = Field(
        None, description="username, first_name, last_name, organisation, role. Default: last_name."
    )


class GroupOut(Schema):
    id: int
    slug: str
    name: str
    full_name: str
    parent: str | None = Field(None, description="Slug of the parent group, for a subgroup.")
    description: str
    is_open: bool
    archived: bool
    created_at: dt.datetime

    @staticmethod
    def resolve_full_name(obj: InterestGroup) -> str:
        return str(obj)

    @staticmethod
    def resolve_parent(obj: InterestGroup) -> str | None:
        return obj.parent.slug if obj.parent_id else None

    @staticmethod
    def resolve_archived(obj: InterestGroup) -> bool:
        return obj.archived_at is not None


class GroupFilters(InputSchema):
    q: str | None = None
    parent: str | None = Field(None, description="Slug of the parent group; 'none' for top-level groups.")
    archived: bool | None = None
    ordering: str | None = Field(None, description="name, slug, created (prefix - for descending).")


class MembershipOut(Schema):
    id: int
    group: str = Field(description="Group slug.")
    user: str = Field(description="User name.")
    display_name: str
    role: str
    status: str
    message: str | None = Field(None, description="The join request's message: for whoever decides it.")
    created_at: dt.datetime
    decided_at: dt.datetime | None

    @staticmethod
    def resolve_group(obj: GroupMembership) -> str:
        return obj.group.slug

    @staticmethod
    def resolve_user(obj: GroupMembership) -> str:
        return obj.user.username

    @staticmethod
    def resolve_display_name(obj: GroupMembership) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_message(obj: GroupMembership, context: dict[str, Any]) -> str | None:
        request = context["request"]
        if obj.user_id == current_user(request).pk or may_decide(request, obj.group):
            return obj.message
        return None


class MembershipFilters(InputSchema):
    status: Literal[tuple(GroupMembership.Status.values)] | None = None  # type: ignore[valid-type]
    ordering: str | None = Field(None, description="created, user, role (prefix - for descending).")


class JoinIn(InputSchema):
    message: str = Field("", max_length=2000, description="Why you want to join (seen by the chairs).")


class DecisionIn(InputSchema):
    approve: bool


class TokenOut(Schema):
    id: int
    name: str
    key_prefix: str
    scope: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    secret: str = Field(description="Shown this once; only its hash is kept.")


class TokenIn(InputSchema):
    name: str
    scope: Literal["read", "write"] = "read"
    expires_days: int | None = Field(None, description="1 to 366; default from ENLETS_API_TOKEN_DEFAULT_DAYS.")


class TokenFilters(InputSchema):
    status: Literal["active", "expired", "revoked"] | None = None
    ordering: str | None = Field(None, description="created, name, expires (prefix - for descending).")


# --- me ------------------------------------------------------------------------------------------------

me_router = Router(tags=["me"])


@me_router.get("", response=responses(MeOut), summary="The signed-in person")
def me(request: HttpRequest) -> dict[str, Any]:
    user: User = current_user(request)
    org = user.organisation
    own_groups = InterestGroup.objects.filter(pk__in=user.approved_group_ids())  # access: the caller's own groups
    slugs = list(own_groups.order_by("slug").values_list("slug", flat=True))
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": user.display_name,
        "email": user.email,
        "role": user.role,
        "organisation": org.pk if org else None,
        "organisation_name": org.name if org else None,
        "country": org.country_id if org else None,
        "vetted": user.is_vetted,
        "community_member": user.is_community_member,
        "can_audit": user.can_audit,
        "groups": slugs,
        "has_second_factor": user.has_second_factor(),
    }


# --- countries -------------------------------------------------------------------------------------------

countries_router = Router(tags=["countries"])


@countries_router.get("", response=responses(list[CountryOut]), summary="Countries")
@paginate(Page)
def list_countries(request: HttpRequest, filters: Query[CountryFilters]) -> QuerySet[Country]:
    # Country names are not confidential: every signed-in person may list them.
    qs = Country.objects.all()  # access: public reference data
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(code__iexact=filters.q))
    if filters.member_state is not None:
        qs = qs.filter(is_member_state=filters.member_state)
    return apply_ordering(qs, filters.ordering, {"code": "code", "name": "name"}, "name")


@countries_router.post("", response=responses(CountryOut, 201), summary="Add a country (Secretariat, administrators)")
def create_country(request: HttpRequest, payload: CountryIn) -> Status:
    country = actions.do_create_country(
        current_user(request), code=payload.code, name=payload.name, is_member_state=payload.is_member_state
    )
    return Status(201, country)


# --- organisations -----------------------------------------------------------------------------------------

organisations_router = Router(tags=["organisations"])


@organisations_router.get("", response=responses(list[OrganisationOut]), summary="Organisations")
@paginate(Page)
def list_organisations(request: HttpRequest, filters: Query[OrganisationFilters]) -> QuerySet[Organisation]:
    qs = organisations_visible_to(current_user(request))
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(short_name__icontains=filters.q))
    if filters.country:
        qs = qs.filter(country_id=filters.country.upper())
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return apply_ordering(
        qs, filters.ordering, {"name": "name", "country": "country_id", "created": "created_at"}, "name"
    )


@organisations_router.get("/{int:organisation_id}", response=responses(OrganisationOut), summary="One organisation")
def get_organisation(request: HttpRequest, organisation_id: int) -> Organisation:
    return get_object_or_404(organisations_visible_to(current_user(request)), pk=organisation_id)


# --- people ------------------------------------------------------------------------------------------------

people_router = Router(tags=["people"])

PEOPLE_ORDERING = {
    "username": "username",
    "first_name": "first_name",
    "last_name": "last_name",
    "organisation": "organisation__name",
    "role": "role",
}


@people_router.get("", response=responses(list[PersonOut]), summary="The directory")
@paginate(Page)
def list_people(request: HttpRequest, filters: Query[PeopleFilters]) -> QuerySet[User]:
    qs = people_visible_to(current_user(request)).select_related("organisation")
    if filters.q:
        words = filters.q.split()
        for word in words[:5]:
            qs = qs.filter(
                Q(username__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(job_title__icontains=word)
                | Q(expertise__icontains=word)
            )
    if filters.country:
        qs = qs.filter(organisation__country_id=filters.country.upper())
    if filters.organisation:
        qs = qs.filter(organisation_id=filters.organisation)
    if filters.role:
        qs = qs.filter(role=filters.role)
    return apply_ordering(qs, filters.ordering, PEOPLE_ORDERING, "last_name")


@people_router.get("/{username}", response=responses(PersonOut), summary="One person")
def get_person(request: HttpRequest, username: str) -> User:
    people = people_visible_to(current_user(request)).select_related("organisation")
    return get_object_or_404(people, username=username)


# --- interest groups -----------------------------------------------------------------------------------------

groups_router = Router(tags=["interest groups"])


def _visible_group(request: HttpRequest, slug: str) -> InterestGroup:
    return get_object_or_404(groups_visible_to(current_user(request)).select_related("parent"), slug=slug)


@groups_router.get("", response=responses(list[GroupOut]), summary="Interest groups")
@paginate(Page)
def list_groups(request: HttpRequest, filters: Query[GroupFilters]) -> QuerySet[InterestGroup]:
    qs = groups_visible_to(current_user(request)).select_related("parent")
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(description__icontains=filters.q))
    if filters.parent:
        qs = qs.filter(parent=None) if filters.parent == "none" else qs.filter(parent__slug=filters.parent)
    if filters.archived is not None:
        qs = qs.filter(archived_at__isnull=not filters.archived)
    return apply_ordering(qs, filters.ordering, {"name": "name", "slug": "slug", "created": "created_at"}, "name")


@groups_router.get("/{slug}", response=responses(GroupOut), summary="One interest group")
def get_group(request: HttpRequest, slug: str) -> InterestGroup:
    return _visible_group(request, slug)


@groups_router.get(
    "/{slug}/memberships",
    response=responses(list[MembershipOut]),
    summary="Members and (for whoever decides them) join requests",
)
@paginate(Page)
def list_memberships(request: HttpRequest, slug: str, filters: Query[MembershipFilters]) -> QuerySet[GroupMembership]:
    user = current_user(request)
    group = _visible_group(request, slug)
    qs = memberships_visible_to(user, group, may_decide=may_decide(request, group))
    qs = qs.select_related("group", "user")
    if filters.status:
        qs = qs.filter(status=filters.status)
    return apply_ordering(
        qs, filters.ordering, {"created": "created_at", "user": "user__username", "role": "role"}, "created"
    )


@groups_router.post("/{slug}/join", response=responses(MembershipOut, 201), summary="Ask to join")
def join_group(request: HttpRequest, slug: str, payload: JoinIn) -> Status:
    group = _visible_group(request, slug)
    return Status(201, actions.do_request_join(current_user(request), group, message=payload.message))


@groups_router.post(
    "/{slug}/requests/{int:membership_id}",
    response=responses(MembershipOut),
    summary="Approve or decline a join request (chairs)",
)
def decide_request(request: HttpRequest, slug: str, membership_id: int, payload: DecisionIn) -> GroupMembership:
    group = _visible_group(request, slug)
    membership = get_object_or_404(group.memberships.select_related("group", "user"), pk=membership_id)
    return actions.do_decide_membership(current_user(request), membership, approve=payload.approve)


# --- personal tokens ----------------------------------------------------------------------------------------

tokens_router = Router(tags=["tokens"])


@tokens_router.get("", response=responses(list[TokenOut]), summary="Your tokens (never their secrets)")
@paginate(Page)
def list_tokens(request: HttpRequest, filters: Query[TokenFilters]) -> QuerySet[ApiToken]:
    qs = ApiToken.objects.filter(user=current_user(request))  # access: the caller's own tokens
    now = timezone.now()
    if filters.status == "revoked":
        qs = qs.exclude(revoked_at=None)
    elif filters.status == "expired":
        qs = qs.filter(revoked_at=None, expires_at__lte=now)
    elif filters.status == "active":
        qs = qs.filter(Q(expires_at=None) | Q(expires_at__gt=now), revoked_at=None)
    return apply_ordering(
        qs, filters.ordering, {"created": "created_at", "name": "name", "expires": "expires_at"}, "-created"
    )


@tokens_router.post("", response=responses(TokenCreatedOut, 201), summary="Create a token (the secret is shown once)")
def create_token(request: HttpRequest, payload: TokenIn) -> Status:
    token, secret = actions.do_create_token(
        current_user(request), name=payload.name, scope=payload.scope, expires_days=payload.expires_days
    )
    data = TokenOut.from_orm(token).model_dump()
    data["secret"] = secret
    return Status(201, data)


@tokens_router.delete("/{int:token_id}", response={204: None, **ERRORS}, summary="Revoke a token")
def revoke_token(request: HttpRequest, token_id: int) -> Status:
    user = current_user(request)
    # Someone else's token answers 404, as one that does not exist.
    token = ApiToken.objects.filter(user=user, pk=token_id).first()  # access: own tokens only
    if token is None:
        raise Http404
    if token.revoked_at is not None:
        raise HttpError(409, "This token is already revoked.")
    actions.do_revoke_token(user, token)
    return Status(204, None)


api.add_router("/me", me_router)
api.add_router("/countries", countries_router)
api.add_router("/organisations", organisations_router)
api.add_router("/people", people_router)
api.add_router("/groups", groups_router)
api.add_router("/tokens", tokens_router)
