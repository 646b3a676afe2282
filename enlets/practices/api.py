"""API v1 routes of the best-practice exchange (registered on enlets.core.api.api).

Same rules as the pages: a practice is read only through `Practice.objects.visible_to(user)` or
`get_visible_or_404` (which audits reads of AMBER and stricter), and everything hanging off it
(revisions, reviews, adoptions, comments, attachments) is reached only through a practice the
caller may see, so a hidden practice's sub-resources answer 404 exactly like a missing practice.
Every write goes through enlets.practices.actions. References are given as the documents API
gives them: topic slugs, country codes, organisation ids, user names; one the caller cannot
resolve is a 422 naming the field.
"""

import datetime as dt
from typing import Any, Literal

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.pagination import paginate

# The audience schemas and reference resolution are shared with the documents API, so the two
# APIs name audiences and answer unknown references identically.
from enlets.core import audience_api
from enlets.core.api import (
    DB_INT_MAX,
    ERRORS,
    ErrorOut,
    InputSchema,
    Page,
    api,
    apply_ordering,
    current_user,
    error_response,
    responses,
)
from enlets.core.errors import InvalidInput, NotAllowed
from enlets.core.markdown import render as render_markdown
from enlets.core.models import TLP
from enlets.core.shared import get_visible_or_404, record_read, serve_attachment
from enlets.network.access import may_see_contact_details, organisations_visible_to, people_visible_to
from enlets.network.models import Country, InterestGroup, User
from enlets.practices import actions, workflow
from enlets.practices.filters import FILTER_NAMES, SORTS, PracticeFilters, order
from enlets.practices.models import (
    Adoption,
    Comment,
    CostBand,
    DpiaStatus,
    Practice,
    PracticeAttachment,
    PracticeRevision,
    ProcurementRoute,
    Review,
    ReviewCriterion,
    Topic,
)
from enlets.search.languages import Language

TLPValue = Literal[tuple(TLP.values)]  # type: ignore[valid-type]
CostBandValue = Literal[tuple(CostBand.values)]  # type: ignore[valid-type]
ProcurementValue = Literal[tuple(ProcurementRoute.values)]  # type: ignore[valid-type]
DpiaValue = Literal[tuple(DpiaStatus.values)]  # type: ignore[valid-type]
LanguageValue = Literal[tuple(Language.values)]  # type: ignore[valid-type]
StepValue = Literal[tuple(workflow.TRANSITIONS)]  # type: ignore[valid-type]
AdoptionStatusValue = Literal[tuple(Adoption.Status.values)]  # type: ignore[valid-type]

# The Markdown fields of the template, rendered (sanitised) in the detail answer.
MARKDOWN_FIELDS = (
    "problem",
    "solution",
    "implementation",
    "results",
    "lessons",
    "legal_basis",
    "fundamental_rights",
    "transferability",
)
# Fields that may not be set to null in a PATCH (dates may: null clears them).
NOT_NULL = (*actions.TEXT_FIELDS, *actions.CHOICE_FIELDS, "tlp", "topics", "countries", "organisations", "contacts")


# --- Schemas ----------------------------------------------------------------------------------------


class TopicRef(Schema):
    slug: str
    name: str


class OrganisationRef(Schema):
    id: int
    name: str


class ContactOut(Schema):
    id: int
    username: str
    display_name: str
    email: str | None = Field(None, description="Only for members of the network community.")

    @staticmethod
    def resolve_email(obj: User, context: dict[str, Any]) -> str | None:
        viewer = current_user(context["request"])
        return obj.contact_email if may_see_contact_details(viewer, obj) else None


class PracticeAttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    sha256: str
    created_at: dt.datetime
    url: str = Field(description="Download it here (as an attachment).")

    @staticmethod
    def resolve_name(obj: PracticeAttachment) -> str:
        return obj.original_name

    @staticmethod
    def resolve_url(obj: PracticeAttachment) -> str:
        return reverse("api:practice_attachment_file", kwargs={"practice_id": obj.practice_id, "attachment_id": obj.pk})


class PracticeOut(Schema):
    """A practice: its template, marking, audience, people and state."""

    id: int
    uid: str
    title: str
    summary: str
    language: str = Field(description="The language it is written in (ISO 639-1: en, de, fr...).")
    public_teaser: str = Field(description="A short TLP:CLEAR abstract the authors chose to make public.")
    topics: list[TopicRef]
    countries: list[str] = Field(description="ISO codes of the member states involved.")
    organisations: list[OrganisationRef]
    problem: str = Field(description="Markdown.")
    solution: str = Field(description="Markdown.")
    technology: str
    implementation_start: dt.date | None
    implementation_end: dt.date | None
    cost_band: str
    staffing: str
    procurement_route: str
    implementation: str = Field(description="Markdown.")
    results: str = Field(description="Markdown.")
    lessons: str = Field(description="Markdown.")
    legal_basis: str = Field(description="Markdown.")
    dpia: str = Field(description="Data-protection impact assessment: done, not_done, not_required or ''.")
    fundamental_rights: str = Field(description="Markdown.")
    transferability: str = Field(description="Markdown.")
    contacts: list[ContactOut]
    contact_note: str
    tlp: str
    audience: audience_api.AudienceOut
    audience_in_words: str
    state: str
    owner: str = Field(description="User name.")
    owner_organisation: int
    co_authors: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    published_at: dt.datetime | None
    revision_number: int
    attachments: list[PracticeAttachmentOut]
    url: str = Field(description="The practice's page.")

    @staticmethod
    def resolve_uid(obj: Practice) -> str:
        return str(obj.uid)

    @staticmethod
    def resolve_topics(obj: Practice) -> list[Topic]:
        return list(obj.topics.all())

    @staticmethod
    def resolve_countries(obj: Practice) -> list[str]:
        return sorted(c.pk for c in obj.countries.all())

    @staticmethod
    def resolve_organisations(obj: Practice) -> list[Any]:
        return list(obj.organisations.all())

    @staticmethod
    def resolve_contacts(obj: Practice) -> list[User]:
        return list(obj.contacts.all())

    @staticmethod
    def resolve_audience(obj: Practice) -> dict[str, list[Any]]:
        return {
            "countries": sorted(c.pk for c in obj.audience_countries.all()),
            "organisations": sorted(o.pk for o in obj.audience_organisations.all()),
            "groups": sorted(g.slug for g in obj.audience_groups.all()),
            "people": sorted(p.username for p in obj.audience_people.all()),
        }

    @staticmethod
    def resolve_audience_in_words(obj: Practice) -> str:
        return obj.audience_in_words()

    @staticmethod
    def resolve_owner(obj: Practice) -> str:
        return obj.owner.username

    @staticmethod
    def resolve_owner_organisation(obj: Practice) -> int:
        return obj.owner_organisation_id

    @staticmethod
    def resolve_co_authors(obj: Practice) -> list[str]:
        return sorted(u.username for u in obj.co_authors.all())

    @staticmethod
    def resolve_attachments(obj: Practice) -> list[PracticeAttachment]:
        return list(obj.attachments.all())

    @staticmethod
    def resolve_url(obj: Practice) -> str:
        return obj.get_absolute_url()


class PracticeDetailOut(PracticeOut):
    html: dict[str, str] = Field(description="The Markdown fields rendered and sanitised, by field name.")

    @staticmethod
    def resolve_html(obj: Practice) -> dict[str, str]:
        return {name: render_markdown(getattr(obj, name)) for name in MARKDOWN_FIELDS}


class PracticeIn(InputSchema):
    title: str = Field(description="At most 200 characters.")
    summary: str = ""
    language: LanguageValue = Field("en", description="ISO 639-1 code of an EU language.")  # type: ignore[valid-type]
    public_teaser: str = Field("", description="At most 600 characters; shown publicly (TLP:CLEAR).")
    topics: list[str] = Field(default_factory=list, description="Topic slugs (active topics).")
    countries: list[str] | None = Field(None, description="ISO codes. Default: your own country.")
    organisations: list[int] | None = Field(None, description="Organisation ids. Default: your organisation.")
    problem: str = ""
    solution: str = ""
    technology: str = ""
    implementation_start: dt.date | None = None
    implementation_end: dt.date | None = None
    cost_band: CostBandValue = ""  # type: ignore[valid-type]
    staffing: str = ""
    procurement_route: ProcurementValue = ""  # type: ignore[valid-type]
    implementation: str = ""
    results: str = ""
    lessons: str = ""
    legal_basis: str = ""
    dpia: DpiaValue = ""  # type: ignore[valid-type]
    fundamental_rights: str = ""
    transferability: str = ""
    contacts: list[str] | None = Field(None, description="User names. Default: you.")
    contact_note: str = ""
    tlp: TLPValue = "GREEN"  # type: ignore[valid-type]
    co_authors: list[str] = Field(default_factory=list, description="User names.")
    audience: audience_api.AudienceIn = Field(
        default_factory=audience_api.AudienceIn, description="Used by AMBER, AMBER+STRICT and RED."
    )


class PracticePatch(InputSchema):
    """Only the fields sent are changed; in `audience`, only the lists sent are replaced. A change
    to a published practice is kept as a new revision, described by `note`."""

    title: str | None = None
    summary: str | None = None
    language: LanguageValue | None = None  # type: ignore[valid-type]
    public_teaser: str | None = None
    topics: list[str] | None = None
    countries: list[str] | None = None
    organisations: list[int] | None = None
    problem: str | None = None
    solution: str | None = None
    technology: str | None = None
    implementation_start: dt.date | None = None
    implementation_end: dt.date | None = None
    cost_band: CostBandValue | None = None  # type: ignore[valid-type]
    staffing: str | None = None
    procurement_route: ProcurementValue | None = None  # type: ignore[valid-type]
    implementation: str | None = None
    results: str | None = None
    lessons: str | None = None
    legal_basis: str | None = None
    dpia: DpiaValue | None = None  # type: ignore[valid-type]
    fundamental_rights: str | None = None
    transferability: str | None = None
    contacts: list[str] | None = None
    contact_note: str | None = None
    tlp: TLPValue | None = None  # type: ignore[valid-type]
    co_authors: list[str] | None = None
    audience: audience_api.AudiencePatch | None = None
    note: str = Field("", description="What changed (kept with the revision of a published practice).")


class PracticeListFilters(InputSchema):
    """Parsed by enlets.practices.filters.PracticeFilters, exactly as the list page and exports do;
    a value it does not understand is a 422 naming the filter."""

    q: str | None = Field(None, description="Words in the title, summary or technology.")
    topic: str | None = Field(None, description="Topic slug.")
    country: str | None = Field(None, description="ISO code of a member state involved.")
    organisation: str | None = Field(None, description="Id of an organisation involved.")
    technology: str | None = Field(None, description="Words in the technology used.")
    year: str | None = Field(None, description="Year the implementation started (else: published).")
    tlp: str | None = Field(None, description="CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")
    state: str | None = Field(
        None, description=f"{', '.join(Practice.State.values)}. Default: every state but archived."
    )
    language: str | None = Field(None, description="ISO 639-1 code of the language written in, e.g. de.")
    mine: str | None = Field(None, description="true: only practices you own or co-author.")
    ordering: str | None = Field(
        None,
        description="updated, published, created, title, tlp (least to most restricted); "
        "prefix - for descending. Default: -updated.",
    )


class TransitionOut(Schema):
    step: str
    label: str
    target: str = Field(description="The state the practice goes to.")
    needs_review: bool = Field(description="A checklist and a comment go with this step.")


class CriterionOut(Schema):
    value: str
    label: str


class TransitionsOut(Schema):
    state: str = Field(description="The practice's state now.")
    transitions: list[TransitionOut] = Field(description="The steps you may take now.")
    criteria: list[CriterionOut] = Field(description="The quality criteria of a review's checklist.")


class TransitionIn(InputSchema):
    step: StepValue  # type: ignore[valid-type]
    checklist: dict[str, bool] = Field(
        default_factory=dict, description=f"Quality criteria ticked: {', '.join(ReviewCriterion.values)}."
    )
    comment: str = Field("", description="For the authors; required to request changes or reject.")
    note: str = Field("", description="Kept with the revision made on publication.")


class RevisionListOut(Schema):
    number: int
    created_at: dt.datetime
    author: str | None = Field(None, description="User name.")
    note: str
    tlp: str
    url: str

    @staticmethod
    def resolve_author(obj: PracticeRevision) -> str | None:
        return obj.author.username if obj.author_id else None

    @staticmethod
    def resolve_url(obj: PracticeRevision) -> str:
        return reverse("api:practice_revision", kwargs={"practice_id": obj.practice_id, "number": obj.number})


class RevisionOut(RevisionListOut):
    content: dict[str, Any] = Field(description="Every template field as it was (related rows by name).")


class ReviewOut(Schema):
    id: int
    reviewer: str = Field(description="User name.")
    decision: str
    checklist: dict[str, bool]
    comment: str
    comment_html: str
    created_at: dt.datetime

    @staticmethod
    def resolve_reviewer(obj: Review) -> str:
        return obj.reviewer.username

    @staticmethod
    def resolve_comment_html(obj: Review) -> str:
        return render_markdown(obj.comment)


class ReviewIn(InputSchema):
    checklist: dict[str, bool] = Field(default_factory=dict)
    comment: str


class AdoptionOut(Schema):
    country: str = Field(description="ISO code.")
    country_name: str
    organisation: OrganisationRef | None
    status: str
    note: str
    recorded_by: str = Field(description="User name.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_country(obj: Adoption) -> str:
        return obj.country_id

    @staticmethod
    def resolve_country_name(obj: Adoption) -> str:
        return obj.country.name

    @staticmethod
    def resolve_recorded_by(obj: Adoption) -> str:
        return obj.recorded_by.username


class AdoptionIn(InputSchema):
    status: AdoptionStatusValue  # type: ignore[valid-type]
    note: str = ""


class CommentOut(Schema):
    id: int
    parent: int | None
    author: str = Field(description="User name.")
    author_name: str
    body: str = Field(description="Markdown; empty once removed.")
    body_html: str
    created_at: dt.datetime
    edited_at: dt.datetime | None
    removed: bool

    @staticmethod
    def resolve_parent(obj: Comment) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_author(obj: Comment) -> str:
        return obj.author.username

    @staticmethod
    def resolve_author_name(obj: Comment) -> str:
        return obj.author.display_name

    @staticmethod
    def resolve_body(obj: Comment) -> str:
        return "" if obj.removed_at else obj.body

    @staticmethod
    def resolve_body_html(obj: Comment) -> str:
        return "" if obj.removed_at else render_markdown(obj.body)

    @staticmethod
    def resolve_removed(obj: Comment) -> bool:
        return obj.removed_at is not None


class CommentIn(InputSchema):
    body: str = Field(description="Markdown, at most 10,000 characters.")
    parent: int | None = Field(None, description="Id of the comment this one replies to.")


class CommentPatch(InputSchema):
    body: str


class PersonRef(Schema):
    username: str
    display_name: str


class TopicOut(Schema):
    slug: str
    name: str
    description: str = Field(description="Markdown.")
    description_html: str
    lead_country: str | None = Field(None, description="ISO code.")
    reviewers: list[PersonRef] = Field(description="The reviewers you may see in the directory.")
    state: str
    merged_into: str | None = Field(None, description="Slug of the topic this one was merged into.")
    url: str

    @staticmethod
    def resolve_description_html(obj: Topic) -> str:
        return render_markdown(obj.description)

    @staticmethod
    def resolve_lead_country(obj: Topic) -> str | None:
        return obj.lead_country_id

    @staticmethod
    def resolve_reviewers(obj: Topic) -> list[User]:
        return list(obj.reviewers.all())

    @staticmethod
    def resolve_merged_into(obj: Topic) -> str | None:
        return obj.merged_into.slug if obj.merged_into_id else None

    @staticmethod
    def resolve_url(obj: Topic) -> str:
        return obj.get_absolute_url()


class TopicFilters(InputSchema):
    q: str | None = Field(None, description="Part of the name or description.")
    state: Literal[tuple(Topic.State.values)] | None = None  # type: ignore[valid-type]
    ordering: str | None = Field(None, description="name (default), slug, created; prefix - for descending.")


class TopicIn(InputSchema):
    name: str
    slug: str = Field("", description="Short name in the address; default: from the name. Never changes.")
    description: str = ""
    lead_country: str | None = Field(None, description="ISO code.")
    reviewers: list[str] = Field(default_factory=list, description="User names of vetted community members.")


class TopicPatch(InputSchema):
    name: str | None = None
    description: str | None = None
    lead_country: str | None = Field(None, description="ISO code; null removes the lead country.")
    reviewers: list[str] | None = None


class MergeIn(InputSchema):
    target: str = Field(description="Slug of the topic that takes over this one's practices.")


# --- Helpers ---------------------------------------------------------------------------------------------

_PEOPLE = User.objects.only("id", "username", "first_name", "last_name")
_CONTACTS = User.objects.only("id", "username", "first_name", "last_name", "email", "notification_email")
RELATED = (
    Prefetch("co_authors", queryset=_PEOPLE),
    Prefetch("audience_people", queryset=_PEOPLE),
    Prefetch("contacts", queryset=_CONTACTS),
    Prefetch("topics", queryset=Topic.objects.only("id", "slug", "name")),
    "countries",
    "organisations",
    "audience_countries",
    "audience_organisations",
    Prefetch("audience_groups", queryset=InterestGroup.objects.select_related("parent")),
    "attachments",
)


def with_related(queryset: QuerySet[Practice]) -> QuerySet[Practice]:
    """Everything PracticeOut reads, in a constant number of queries for any page size."""
    return queryset.select_related("owner").prefetch_related(*RELATED)


def _output(practice: Practice) -> Practice:
    # A fresh row: the actions may have changed what the caller's copy holds.
    practice = Practice.objects.select_related("owner").get(pk=practice.pk)
    prefetch_related_objects([practice], *RELATED)
    return practice


def _resolve_topics(given: list[str]) -> list[Topic]:
    # A merged topic's old slug still works: it stands for the topic it was merged into.
    topics = Topic.objects.all()  # access: public reference data
    return [t.final() for t in audience_api.resolve("topics", given, topics, "slug")]


def _resolve_related(user: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Pop the related references out of `data` and turn them into objects (422 naming the field)."""
    related: dict[str, Any] = {}
    if data.get("topics") is not None:
        related["topics"] = _resolve_topics(data.pop("topics"))
    if data.get("countries") is not None:
        countries = Country.objects.all()  # access: countries are public reference data
        related["countries"] = audience_api.resolve(
            "countries", data.pop("countries"), countries, "code", audience_api.upper
        )
    if data.get("organisations") is not None:
        visible = organisations_visible_to(user)
        related["organisations"] = audience_api.resolve("organisations", data.pop("organisations"), visible, "pk")
    if data.get("contacts") is not None:
        related["contacts"] = audience_api.resolve(
            "contacts", data.pop("contacts"), people_visible_to(user), "username"
        )
    for name in ("topics", "countries", "organisations", "contacts"):
        data.pop(name, None)
    return related


def _practice(request: HttpRequest, practice_id: int, *, audit_read: bool = False) -> Practice:
    """The practice if the caller may see it, else 404 (every sub-resource starts here)."""
    return get_visible_or_404(Practice, current_user(request), practice_id, audit_read=audit_read)


def _is_author(user: Any, practice: Practice) -> bool:
    return practice.is_editable_by(user)


def _revisions_visible(user: Any, practice: Practice) -> QuerySet[PracticeRevision]:
    """The practice's revisions the caller may read: a revision marked stricter than the practice
    is now (it was downgraded since) stays with the authors; the others read it at today's marking."""
    revisions = practice.revisions.select_related("author")
    if _is_author(user, practice):
        return revisions
    allowed = [v for v in TLP.values if TLP.strictness(v) <= TLP.strictness(practice.tlp)]
    return revisions.filter(tlp__in=allowed)


def _manager_only(user: Any) -> None:
    if not actions.can_manage_topics(user):
        raise NotAllowed("Only the Core Group and the Secretariat manage topics.")


def _topic(slug: str) -> Topic:
    if "\x00" in slug:  # PostgreSQL refuses NUL even in a comparison: no such topic
        raise Http404("No such topic.")
    topic = Topic.objects.filter(slug=slug).select_related("merged_into").first()  # access: topics are public
    if topic is None:
        raise Http404("No such topic.")
    return topic


def _topic_output(request: HttpRequest, topic: Topic) -> Topic:
    topic = Topic.objects.select_related("merged_into").get(pk=topic.pk)  # access: topics are public
    prefetch_related_objects([topic], _reviewers_prefetch(current_user(request)))
    return topic


def _reviewers_prefetch(user: Any) -> Prefetch:
    # Reviewers are people: name only those the caller may see in the directory.
    return Prefetch("reviewers", queryset=people_visible_to(user).only("id", "username", "first_name", "last_name"))


# --- Practices -------------------------------------------------------------------------------------------

router = Router(tags=["practices"])


@router.get("", response=responses(list[PracticeOut]), summary="Practices you may see")
@paginate(Page)
def list_practices(request: HttpRequest, filters: Query[PracticeListFilters]) -> QuerySet[Practice]:
    user = current_user(request)
    params = {name: getattr(filters, name) for name in FILTER_NAMES if getattr(filters, name) is not None}
    parsed = PracticeFilters.parse(params)
    if parsed.organisation is not None and not 0 < parsed.organisation <= DB_INT_MAX:
        # Beyond a database integer (SQLite raises on it): no organisation has that id.
        parsed.errors["organisation"] = ["Give the id of an organisation."]
    if parsed.errors:
        raise InvalidInput("The request has invalid filters.", field_errors=parsed.errors)
    ordering = filters.ordering or "-updated"
    if ordering.lstrip("-") not in SORTS:
        # The API refuses an unknown ordering (the page falls back to the default): apply_ordering says why.
        apply_ordering(Practice.objects.none(), ordering, SORTS, "-updated")
    qs = parsed.apply(Practice.objects.visible_to(user), user)
    if not parsed.state:
        # As on the list page: archived practices left the collection; they are listed on request.
        qs = qs.exclude(state=Practice.State.ARCHIVED)
    qs, _sort = order(qs, ordering)
    return with_related(qs)


@router.post("", response=responses(PracticeDetailOut, 201), summary="Create a practice (always a draft)")
def create_practice(request: HttpRequest, payload: PracticeIn) -> Status:
    user = current_user(request)
    if not actions.can_create(user):
        raise NotAllowed("Only vetted members of the network community write practices.")
    data = payload.model_dump()
    audience = audience_api.resolve_audience(user, data.pop("audience"))
    co_authors = audience_api.resolve("co_authors", data.pop("co_authors"), people_visible_to(user), "username")
    related = _resolve_related(user, data)
    try:
        practice = actions.do_create_practice(
            user, tlp=data.pop("tlp"), audience=audience, co_authors=co_authors, **related, **data
        )
    except InvalidInput as exc:
        raise audience_api.api_field_errors(exc) from None
    return Status(201, _output(practice))


@router.get("/{practice_id}", response=responses(PracticeDetailOut), summary="One practice")
def get_practice(request: HttpRequest, practice_id: int) -> Practice:
    return _output(_practice(request, practice_id, audit_read=True))


@router.patch("/{practice_id}", response=responses(PracticeDetailOut), summary="Change a practice (owner, co-authors)")
def update_practice(request: HttpRequest, practice_id: int, payload: PracticePatch) -> Practice:
    user = current_user(request)
    practice = _practice(request, practice_id)
    data = payload.model_dump(exclude_unset=True)
    for name in NOT_NULL:
        if name in data and data[name] is None:
            raise InvalidInput(f"{name} cannot be null.", field_errors={name: ["May not be null."]})
    note = data.pop("note", "") or ""
    audience = audience_api.resolve_audience(user, data.pop("audience", None) or {})
    co_authors = data.pop("co_authors", None)
    if co_authors is not None:
        co_authors = audience_api.resolve("co_authors", co_authors, people_visible_to(user), "username")
    related = _resolve_related(user, data)
    try:
        practice = actions.do_update_practice(
            user, practice, audience=audience or None, co_authors=co_authors, note=note, **related, **data
        )
    except InvalidInput as exc:
        raise audience_api.api_field_errors(exc) from None
    return _output(practice)


@router.delete("/{practice_id}", response={204: None, **ERRORS}, summary="Delete a draft (owner)")
def delete_practice(request: HttpRequest, practice_id: int) -> Status:
    user = current_user(request)
    actions.do_delete_practice(user, _practice(request, practice_id))
    return Status(204, None)


# --- The review workflow ---------------------------------------------------------------------------------


@router.get("/{practice_id}/transitions", response=responses(TransitionsOut), summary="The steps you may take now")
def list_transitions(request: HttpRequest, practice_id: int) -> dict[str, Any]:
    practice = _practice(request, practice_id)
    return {
        "state": practice.state,
        "transitions": [
            {"step": t.name, "label": t.label, "target": str(t.target), "needs_review": t.needs_review}
            for t in workflow.allowed(current_user(request), practice)
        ],
        "criteria": [{"value": value, "label": label} for value, label in ReviewCriterion.choices],
    }


@router.post(
    "/{practice_id}/transitions",
    response={200: PracticeDetailOut, 204: None, 409: ErrorOut, **ERRORS},
    summary="Take a step of the review workflow",
    description="Answers the practice; 204 when the step took it out of your sight (a reviewer who "
    "publishes a RED practice that does not name them). Refused steps answer 409 `transition_refused` "
    "with the reason; missing fields, an unticked criterion or a missing comment answer 422 naming the fields.",
)
def take_transition(request: HttpRequest, practice_id: int, payload: TransitionIn) -> Any:
    user = current_user(request)
    practice = _practice(request, practice_id)
    try:
        practice = actions.do_transition(
            user, practice, payload.step, checklist=payload.checklist, comment=payload.comment, note=payload.note
        )
    except NotAllowed as exc:
        if exc.code != "transition_refused":
            raise
        # The step does not fit the practice's state or the caller's role: a conflict, not bad input.
        return error_response(request, 409, exc.message, exc.code, exc.field_errors)
    if not Practice.objects.visible_to(user).filter(pk=practice.pk).exists():
        # Reviewers see a practice only while it is with them: after the step, its marking decides.
        return Status(204, None)
    return _output(practice)


@router.get(
    "/{practice_id}/reviews",
    response=responses(list[ReviewOut]),
    summary="Reviews of a practice (its authors and reviewers)",
)
@paginate(Page)
def list_reviews(request: HttpRequest, practice_id: int) -> QuerySet[Review]:
    user = current_user(request)
    practice = _practice(request, practice_id, audit_read=True)
    if not (_is_author(user, practice) or practice.is_reviewer(user)):
        raise NotAllowed("Only the practice's authors and the reviewers of its topics read its reviews.")
    return practice.reviews.select_related("reviewer").order_by("-created_at", "-id")


@router.post(
    "/{practice_id}/reviews",
    response=responses(ReviewOut, 201),
    summary="Comment on a submission without deciding (reviewers)",
)
def add_review_comment(request: HttpRequest, practice_id: int, payload: ReviewIn) -> Status:
    user = current_user(request)
    practice = _practice(request, practice_id)
    review = actions.do_review_comment(user, practice, checklist=payload.checklist, comment=payload.comment)
    return Status(201, review)


# --- Revisions -----------------------------------------------------------------------------------------------


@router.get(
    "/{practice_id}/revisions", response=responses(list[RevisionListOut]), summary="Published revisions, newest first"
)
@paginate(Page)
def list_revisions(request: HttpRequest, practice_id: int) -> QuerySet[PracticeRevision]:
    practice = _practice(request, practice_id, audit_read=True)
    return _revisions_visible(current_user(request), practice).order_by("-number")


@router.get(
    "/{practice_id}/revisions/{number}",
    url_name="practice_revision",
    response=responses(RevisionOut),
    summary="One revision with its content",
)
def get_revision(request: HttpRequest, practice_id: int, number: int) -> PracticeRevision:
    user = current_user(request)
    practice = _practice(request, practice_id)
    revision = _revisions_visible(user, practice).filter(number=number).first()
    if revision is None:
        raise Http404("No such revision.")
    record_read(user, practice, "revision_read", changes={"revision": revision.number})
    return revision


# --- Adoption ------------------------------------------------------------------------------------------------


@router.get(
    "/{practice_id}/adoption", response=responses(list[AdoptionOut]), summary="Where the practice spread, by country"
)
@paginate(Page)
def list_adoptions(request: HttpRequest, practice_id: int) -> QuerySet[Adoption]:
    practice = _practice(request, practice_id, audit_read=True)
    return practice.adoptions.select_related("country", "organisation", "recorded_by").order_by("country__name", "pk")


@router.put(
    "/{practice_id}/adoption",
    response=responses(AdoptionOut),
    summary="Record your country's statement (interested, piloting, adopted)",
)
def record_adoption(request: HttpRequest, practice_id: int, payload: AdoptionIn) -> Adoption:
    practice = _practice(request, practice_id)
    adoption = actions.do_record_adoption(current_user(request), practice, status=payload.status, note=payload.note)
    return Adoption.objects.select_related("country", "organisation", "recorded_by").get(pk=adoption.pk)


@router.delete("/{practice_id}/adoption", response={204: None, **ERRORS}, summary="Withdraw your country's statement")
def remove_adoption(request: HttpRequest, practice_id: int) -> Status:
    user = current_user(request)
    practice = _practice(request, practice_id)
    adoption = practice.adoptions.filter(country_id=user.country_id).first() if user.country_id else None
    if adoption is None:
        raise Http404("Your country has no statement on this practice.")
    actions.do_remove_adoption(user, adoption)
    return Status(204, None)


# --- Comments ------------------------------------------------------------------------------------------------


def _comment(practice: Practice, comment_id: int) -> Comment:
    comment = practice.comments.select_related("author", "practice").filter(pk=comment_id).first()
    if comment is None:
        raise Http404("No such comment.")
    return comment


@router.get("/{practice_id}/comments", response=responses(list[CommentOut]), summary="The discussion, oldest first")
@paginate(Page)
def list_comments(request: HttpRequest, practice_id: int) -> QuerySet[Comment]:
    practice = _practice(request, practice_id, audit_read=True)
    return practice.comments.select_related("author").order_by("created_at", "id")


@router.post("/{practice_id}/comments", response=responses(CommentOut, 201), summary="Comment or reply")
def add_comment(request: HttpRequest, practice_id: int, payload: CommentIn) -> Status:
    user = current_user(request)
    practice = _practice(request, practice_id)
    parent = None
    if payload.parent is not None:
        parent = practice.comments.filter(pk=payload.parent).first()
        if parent is None:
            raise InvalidInput("Reply to a comment of this practice.", field_errors={"parent": ["Unknown comment."]})
    comment = actions.do_add_comment(user, practice, payload.body, parent=parent)
    return Status(201, _comment(practice, comment.pk))


@router.patch("/{practice_id}/comments/{comment_id}", response=responses(CommentOut), summary="Edit your comment")
def edit_comment(request: HttpRequest, practice_id: int, comment_id: int, payload: CommentPatch) -> Comment:
    practice = _practice(request, practice_id)
    comment = actions.do_edit_comment(current_user(request), _comment(practice, comment_id), payload.body)
    return _comment(practice, comment.pk)


@router.delete(
    "/{practice_id}/comments/{comment_id}",
    response={204: None, **ERRORS},
    summary="Remove a comment (its author, the practice's owner, the Core Group)",
)
def remove_comment(request: HttpRequest, practice_id: int, comment_id: int) -> Status:
    practice = _practice(request, practice_id)
    actions.do_remove_comment(current_user(request), _comment(practice, comment_id))
    return Status(204, None)


# --- Attachments -----------------------------------------------------------------------------------------


@router.get(
    "/{practice_id}/attachments", response=responses(list[PracticeAttachmentOut]), summary="The practice's files"
)
@paginate(Page)
def list_attachments(request: HttpRequest, practice_id: int) -> QuerySet[PracticeAttachment]:
    practice = _practice(request, practice_id, audit_read=True)
    return practice.attachments.order_by("created_at", "pk")


@router.post(
    "/{practice_id}/attachments",
    response=responses(PracticeAttachmentOut, 201),
    summary="Attach a file (multipart form, field 'file')",
)
def add_attachment(request: HttpRequest, practice_id: int, file: File[UploadedFile]) -> Status:
    practice = _practice(request, practice_id)
    return Status(201, actions.do_add_attachment(current_user(request), practice, file))


@router.get(
    "/{practice_id}/attachments/{attachment_id}",
    url_name="practice_attachment_file",
    response={200: None, **ERRORS},
    summary="Download a file (as an attachment)",
)
def download_attachment(request: HttpRequest, practice_id: int, attachment_id: int) -> FileResponse:
    return serve_attachment(current_user(request), _practice(request, practice_id), attachment_id)


@router.delete(
    "/{practice_id}/attachments/{attachment_id}",
    response={204: None, **ERRORS},
    summary="Remove a file (owner, co-authors)",
)
def remove_attachment(request: HttpRequest, practice_id: int, attachment_id: int) -> Status:
    practice = _practice(request, practice_id)
    files = PracticeAttachment.objects.filter(practice=practice)  # access: `practice` is visible
    attachment = files.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such file.")
    actions.do_remove_attachment(current_user(request), attachment)
    return Status(204, None)


# --- Topics -----------------------------------------------------------------------------------------------

topic_router = Router(tags=["topics"])
TOPIC_ORDERING = {"name": "name", "slug": "slug", "created": "created_at"}


@topic_router.get("", response=responses(list[TopicOut]), summary="Topics of the exchange")
@paginate(Page)
def list_topics(request: HttpRequest, filters: Query[TopicFilters]) -> QuerySet[Topic]:
    qs = Topic.objects.all()  # access: topics are public reference data
    if filters.q:
        for word in filters.q.split()[:8]:
            qs = qs.filter(Q(name__icontains=word) | Q(description__icontains=word))
    if filters.state:
        qs = qs.filter(state=filters.state)
    qs = apply_ordering(qs, filters.ordering, TOPIC_ORDERING, "name")
    return qs.select_related("merged_into").prefetch_related(_reviewers_prefetch(current_user(request)))


@topic_router.get(
    "/{slug}",
    response=responses(TopicOut),
    summary="One topic (a merged topic answers the topic it was merged into)",
)
def get_topic(request: HttpRequest, slug: str) -> Topic:
    return _topic_output(request, _topic(slug).final())


def _resolve_topic_refs(user: Any, data: dict[str, Any]) -> None:
    """Turn lead_country and reviewers into objects, in place (422 naming the field)."""
    if data.get("lead_country") is not None:
        countries = Country.objects.all()  # access: countries are public reference data
        data["lead_country"] = audience_api.resolve(
            "lead_country", [data["lead_country"]], countries, "code", audience_api.upper
        )[0]
    if data.get("reviewers") is not None:
        data["reviewers"] = audience_api.resolve("reviewers", data["reviewers"], people_visible_to(user), "username")


@topic_router.post("", response=responses(TopicOut, 201), summary="Create a topic (Core Group, Secretariat)")
def create_topic(request: HttpRequest, payload: TopicIn) -> Status:
    user = current_user(request)
    _manager_only(user)
    data = payload.model_dump()
    _resolve_topic_refs(user, data)
    topic = actions.do_create_topic(user, **data)
    return Status(201, _topic_output(request, topic))


@topic_router.patch(
    "/{slug}", response=responses(TopicOut), summary="Rename or describe a topic (Core Group, Secretariat)"
)
def update_topic(request: HttpRequest, slug: str, payload: TopicPatch) -> Topic:
    user = current_user(request)
    topic = _topic(slug)
    _manager_only(user)
    data = payload.model_dump(exclude_unset=True)
    for name in ("name", "description", "reviewers"):
        if name in data and data[name] is None:
            raise InvalidInput(f"{name} cannot be null.", field_errors={name: ["May not be null."]})
    _resolve_topic_refs(user, data)
    return _topic_output(request, actions.do_update_topic(user, topic, **data))


@topic_router.post(
    "/{slug}/merge",
    response=responses(TopicOut),
    summary="Merge into another topic (Core Group, Secretariat); answers the target",
)
def merge_topic(request: HttpRequest, slug: str, payload: MergeIn) -> Topic:
    user = current_user(request)
    source = _topic(slug)
    _manager_only(user)
    target = Topic.objects.filter(slug=payload.target).first()  # access: topics are public
    if target is None:
        raise InvalidInput(f"Unknown topic {payload.target!r}.", field_errors={"target": ["Unknown topic."]})
    return _topic_output(request, actions.do_merge_topics(user, source, target))


@topic_router.post("/{slug}/retire", response=responses(TopicOut), summary="Retire a topic (Core Group, Secretariat)")
def retire_topic(request: HttpRequest, slug: str) -> Topic:
    user = current_user(request)
    topic = _topic(slug)
    _manager_only(user)
    return _topic_output(request, actions.do_retire_topic(user, topic))


api.add_router("/practices", router)
api.add_router("/topics", topic_router)


# --- Topic summaries --------------------------------------------------------------------------------


class SummaryAdoptionOut(Schema):
    country: str
    status: str


class SummaryRowOut(Schema):
    practice_id: int
    title: str
    url: str
    tlp: str
    countries: list[str]
    organisations: list[str]
    technology: str
    cost_band: str
    results: str
    legal_basis: str
    dpia: str
    adoptions: list[SummaryAdoptionOut]
    published_at: dt.datetime | None
    year: int | None


class SummaryLessonOut(Schema):
    practice_id: int
    title: str
    tlp: str
    countries: list[str]
    text: str


class SummaryContactOut(Schema):
    name: str
    organisation: str
    country: str
    email: str
    practice_ids: list[int]


class SummaryOut(Schema):
    topic: TopicRef
    generated_at: dt.datetime
    most_restrictive_tlp: str = Field(description="The strictest marking among the practices included for you.")
    count: int
    rows: list[SummaryRowOut]
    lessons: list[SummaryLessonOut]
    contacts_shown: bool = Field(description="False for readers who may not see contact people.")
    contacts: list[SummaryContactOut]
    pdf_url: str


@topic_router.get(
    "/{slug}/summary",
    response=responses(SummaryOut),
    summary="The topic summary: only the published practices you may see (as the page and the PDF)",
)
def get_topic_summary(request: HttpRequest, slug: str) -> dict[str, Any]:
    from enlets.practices.summaries import audit_reads
    from enlets.practices.summary import compile_summary

    user = current_user(request)
    topic = _topic(slug).final()
    summary = compile_summary(topic, user)
    # Like the page and the PDF: the AMBER and stricter practices that left in it are audited.
    audit_reads(user, Practice.objects.visible_to(user).filter(pk__in=summary.practice_ids), "summary")
    return {
        "topic": topic,
        "generated_at": summary.generated_at,
        "most_restrictive_tlp": summary.most_restrictive_tlp,
        "count": len(summary.rows),
        "rows": [
            {
                **{k: getattr(row, k) for k in SummaryRowOut.model_fields if k != "adoptions"},
                "adoptions": [{"country": a.country, "status": a.code} for a in row.adoptions],
            }
            for row in summary.rows
        ],
        "lessons": [{k: getattr(lesson, k) for k in SummaryLessonOut.model_fields} for lesson in summary.lessons],
        "contacts_shown": summary.contacts_shown,
        "contacts": [
            {
                "name": c.name,
                "organisation": c.organisation,
                "country": c.country,
                "email": c.email,
                "practice_ids": [p.practice_id for p in c.practices],
            }
            for c in summary.contacts
        ],
        "pdf_url": reverse("practices:summary_pdf", args=[topic.slug]),
    }
