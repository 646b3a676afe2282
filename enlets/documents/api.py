"""API v1 routes of the document library (registered on enlets.core.api.api).

Reads go through `Document.objects.visible_to(user)` / `get_visible_or_404` (which audits reads
of AMBER and stricter); writes through enlets.documents.actions. The audience is given by
country codes, organisation ids, group slugs and user names; a reference the caller cannot
resolve (unknown, or not visible to them) is a 422 naming the field.
"""

import datetime as dt
from typing import Any, Literal

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When, prefetch_related_objects
from django.http import FileResponse, HttpRequest
from django.urls import NoReverseMatch, reverse
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

from enlets.core import access
from enlets.core.api import ERRORS, InputSchema, Page, api, apply_ordering, current_user, responses
from enlets.core.audience_api import (
    AudienceIn,
    AudienceOut,
    AudiencePatch,
    api_field_errors,
    resolve,
    resolve_audience,
    upper,
)
from enlets.core.errors import InvalidInput
from enlets.core.markdown import render as render_markdown
from enlets.core.models import TLP
from enlets.core.shared import get_visible_or_404, serve_attachment
from enlets.documents import actions
from enlets.documents.models import Attachment, Document
from enlets.network.access import groups_visible_to, people_visible_to
from enlets.network.models import Country, InterestGroup, User

TLPValue = Literal[tuple(TLP.values)]  # type: ignore[valid-type]
StateValue = Literal[tuple(Document.State.values)]  # type: ignore[valid-type]
SpaceValue = Literal[tuple(Document.Space.values)]  # type: ignore[valid-type]


# --- Schemas ----------------------------------------------------------------------------------------


class DocumentIn(InputSchema):
    title: str = Field(description="At most 200 characters.")
    summary: str = Field("", description="At most 300 characters.")
    body: str = Field("", description="Markdown.")
    tlp: TLPValue = "GREEN"  # type: ignore[valid-type]
    state: StateValue = "draft"  # type: ignore[valid-type]
    space: SpaceValue = "personal"  # type: ignore[valid-type]
    space_country: str | None = Field(None, description="ISO code, for the country space (your own country).")
    space_group: str | None = Field(None, description="Group slug, for a group space (a group you belong to).")
    co_authors: list[str] = Field(default_factory=list, description="User names.")
    audience: AudienceIn = Field(
        default_factory=AudienceIn,
        description="Used by AMBER, AMBER+STRICT and RED. An AMBER document in a group "
        "or country space without an audience is shared with that space.",
    )


class DocumentPatch(InputSchema):
    """Only the fields sent are changed; in `audience`, only the lists sent are replaced."""

    title: str | None = None
    summary: str | None = None
    body: str | None = None
    tlp: TLPValue | None = None  # type: ignore[valid-type]
    state: StateValue | None = None  # type: ignore[valid-type]
    space: SpaceValue | None = None  # type: ignore[valid-type]
    space_country: str | None = None
    space_group: str | None = None
    co_authors: list[str] | None = None
    audience: AudiencePatch | None = None


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    sha256: str
    created_at: dt.datetime
    url: str

    @staticmethod
    def resolve_name(obj: Attachment) -> str:
        return obj.original_name

    @staticmethod
    def resolve_url(obj: Attachment) -> str:
        return attachment_url(obj)


class DocumentListOut(Schema):
    """A document in a list: everything but the body (rendering 50 Markdown bodies per page would
    double the list's cost; fetch /documents/{id} for the text)."""

    id: int
    title: str
    summary: str
    tlp: str
    state: str
    space: str
    space_country: str | None = Field(None, description="ISO code.")
    space_group: str | None = Field(None, description="Group slug.")
    owner: str = Field(description="User name.")
    owner_organisation: int
    co_authors: list[str]
    audience: AudienceOut
    audience_in_words: str
    attachments: list[AttachmentOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str = Field(description="The document's page.")

    @staticmethod
    def resolve_space_country(obj: Document) -> str | None:
        return obj.space_country_id

    @staticmethod
    def resolve_space_group(obj: Document) -> str | None:
        return obj.space_group.slug if obj.space_group_id else None

    @staticmethod
    def resolve_owner(obj: Document) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_owner_organisation(obj: Document) -> int:
        return obj.owner_organisation_id

    @staticmethod
    def resolve_co_authors(obj: Document) -> list[str]:
        return sorted(u.username for u in access.related(obj, "co_authors"))

    @staticmethod
    def resolve_audience(obj: Document) -> dict[str, list[Any]]:
        return {
            "countries": sorted(c.pk for c in access.related(obj, "audience_countries")),
            "organisations": sorted(o.pk for o in access.related(obj, "audience_organisations")),
            "groups": sorted(g.slug for g in access.related(obj, "audience_groups")),
            "people": sorted(p.username for p in access.related(obj, "audience_people")),
        }

    @staticmethod
    def resolve_audience_in_words(obj: Document) -> str:
        return obj.audience_in_words()

    @staticmethod
    def resolve_attachments(obj: Document) -> list[Attachment]:
        return list(access.related(obj, "attachments"))

    @staticmethod
    def resolve_url(obj: Document) -> str:
        try:
            return obj.get_absolute_url()
        except NoReverseMatch:  # the page is not wired (yet); its address is fixed by the URL contract
            return f"/documents/{obj.pk}/"


class DocumentOut(DocumentListOut):
    body: str
    body_html: str = Field(description="The body rendered from Markdown and sanitised.")

    @staticmethod
    def resolve_body_html(obj: Document) -> str:
        return render_markdown(obj.body)


class DocumentFilters(InputSchema):
    q: str | None = Field(None, description="Words in the title or summary.")
    space: SpaceValue | None = None  # type: ignore[valid-type]
    group: str | None = Field(None, description="Slug of the interest group whose space holds the document.")
    country: str | None = Field(None, description="ISO code of the country whose space holds the document.")
    tlp: TLPValue | None = None  # type: ignore[valid-type]
    state: StateValue | None = None  # type: ignore[valid-type]
    mine: bool | None = Field(None, description="true: only documents you own or co-author.")
    ordering: str | None = Field(
        None,
        description="title, created, updated, tlp (least to most restricted); "
        "prefix - for descending. Default: -updated.",
    )


# --- Helpers ---------------------------------------------------------------------------------------------


def attachment_url(attachment: Attachment) -> str:
    return reverse(
        "api:download_attachment", kwargs={"document_id": attachment.document_id, "attachment_id": attachment.pk}
    )


def with_related(queryset: QuerySet[Document]) -> QuerySet[Document]:
    """Everything DocumentOut reads, fetched in a constant number of queries for any page size."""
    return queryset.select_related("owner", "space_group").prefetch_related(*RELATED)


# People are fetched with only the fields shown (user name, names), not the whole account row.
# Each relation lands in a plain list (`to_attr`, read through `access.related`): Django would
# otherwise build a filtered queryset for every document and relation, 300 of them for a page of
# 50, which cost more than the queries (23 of 30 ms at a million documents; docs/performance.md).
_PEOPLE = User.objects.only("id", "username", "first_name", "last_name")
RELATED = (
    Prefetch("co_authors", queryset=_PEOPLE, to_attr=access.prefetched("co_authors")),
    Prefetch("audience_people", queryset=_PEOPLE, to_attr=access.prefetched("audience_people")),
    Prefetch("audience_countries", to_attr=access.prefetched("audience_countries")),
    Prefetch("audience_organisations", to_attr=access.prefetched("audience_organisations")),
    Prefetch("attachments", to_attr=access.prefetched("attachments")),
    Prefetch(
        "audience_groups",
        queryset=InterestGroup.objects.select_related("parent"),
        to_attr=access.prefetched("audience_groups"),
    ),
)

TLP_RANK = Case(
    *[When(tlp=value, then=Value(rank)) for rank, value in enumerate(TLP.values)],
    default=Value(len(TLP.values)),
    output_field=IntegerField(),
)
ORDERING = {"title": "title", "created": "created_at", "updated": "updated_at", "tlp": "tlp_rank"}


def _resolve_space(user: Any, data: dict[str, Any]) -> None:
    """Turn space_country / space_group references into objects, in place."""
    if data.get("space_country") is not None:
        data["space_country"] = resolve(
            "space_country",
            [data["space_country"]],
            Country.objects.all(),  # access: countries are public reference data
            "code",
            upper,  # access: countries are public
        )[0]
    if data.get("space_group") is not None:
        data["space_group"] = resolve("space_group", [data["space_group"]], groups_visible_to(user), "slug")[0]


def _output(document: Document) -> Document:
    prefetch_related_objects([document], "owner", "space_group", *RELATED)
    return document


# --- Routes --------------------------------------------------------------------------------------------

router = Router(tags=["documents"])


@router.get("", response=responses(list[DocumentListOut]), summary="Documents you may see")
@paginate(Page)
def list_documents(request: HttpRequest, filters: Query[DocumentFilters]) -> QuerySet[Document]:
    user = current_user(request)
    qs = Document.objects.visible_to(user)
    if filters.q:
        for word in filters.q.split()[:8]:
            qs = qs.filter(Q(title__icontains=word) | Q(summary__icontains=word))
    if filters.space:
        qs = qs.filter(space=filters.space)
    if filters.group:
        qs = qs.filter(space_group__slug=filters.group)
    if filters.country:
        qs = qs.filter(space_country_id=filters.country.upper())
    if filters.tlp:
        qs = qs.filter(tlp=filters.tlp)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.mine:
        through = Document.co_authors.through
        qs = qs.filter(
            Q(owner_id=user.pk)
            | Q(pk__in=through.objects.filter(user_id=user.pk).values("document_id"))  # access: narrows visible_to
        )  # access: narrows qs, already visible_to(user)
    if (filters.ordering or "").lstrip("-") == "tlp":
        qs = qs.annotate(tlp_rank=TLP_RANK)
    return with_related(apply_ordering(qs, filters.ordering, ORDERING, "-updated"))


@router.post("", response=responses(DocumentOut, 201), summary="Create a document")
def create_document(request: HttpRequest, payload: DocumentIn) -> Status:
    user = current_user(request)
    data = payload.model_dump()
    audience = resolve_audience(user, data.pop("audience"))
    co_authors = resolve("co_authors", data.pop("co_authors"), people_visible_to(user), "username")
    _resolve_space(user, data)
    try:
        document = actions.do_create_document(
            user, tlp=data.pop("tlp"), state=data.pop("state"), audience=audience, co_authors=co_authors, **data
        )
    except InvalidInput as exc:
        raise api_field_errors(exc) from None
    return Status(201, _output(document))


@router.get("/{document_id}", response=responses(DocumentOut), summary="One document")
def get_document(request: HttpRequest, document_id: int) -> Document:
    return _output(get_visible_or_404(Document, current_user(request), document_id))


@router.patch("/{document_id}", response=responses(DocumentOut), summary="Change a document (owner, co-authors)")
def update_document(request: HttpRequest, document_id: int, payload: DocumentPatch) -> Document:
    user = current_user(request)
    document = get_visible_or_404(Document, user, document_id, audit_read=False)
    data = payload.model_dump(exclude_unset=True)
    for name in ("title", "summary", "body", "tlp", "state", "space"):
        if name in data and data[name] is None:
            raise InvalidInput(f"{name} cannot be null.", field_errors={name: ["May not be null."]})
    audience = resolve_audience(user, data.pop("audience", None) or {})
    co_authors = data.pop("co_authors", None)
    if co_authors is not None:
        co_authors = resolve("co_authors", co_authors, people_visible_to(user), "username")
    _resolve_space(user, data)
    try:
        document = actions.do_update_document(user, document, audience=audience or None, co_authors=co_authors, **data)
    except InvalidInput as exc:
        raise api_field_errors(exc) from None
    return _output(document)


@router.delete("/{document_id}", response={204: None, **ERRORS}, summary="Delete a document (owner)")
def delete_document(request: HttpRequest, document_id: int) -> Status:
    user = current_user(request)
    document = get_visible_or_404(Document, user, document_id, audit_read=False)
    actions.do_delete_document(user, document)
    return Status(204, None)


@router.post(
    "/{document_id}/attachments",
    response=responses(AttachmentOut, 201),
    summary="Attach a file (multipart form, field 'file')",
)
def add_attachment(request: HttpRequest, document_id: int, file: File[UploadedFile]) -> Status:
    user = current_user(request)
    document = get_visible_or_404(Document, user, document_id, audit_read=False)
    return Status(201, actions.do_add_attachment(user, document, file))


@router.get(
    "/{document_id}/attachments/{attachment_id}",
    url_name="download_attachment",
    response={200: None, **ERRORS},
    summary="Download a file (as an attachment)",
)
def download_attachment(request: HttpRequest, document_id: int, attachment_id: int) -> FileResponse:
    user = current_user(request)
    document = get_visible_or_404(Document, user, document_id, audit_read=False)
    return serve_attachment(user, document, attachment_id)


api.add_router("/documents", router)
