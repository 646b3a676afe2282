"""The best-practice exchange (EDBP): topics, practices, their revisions, reviews, adoptions,
comments, and the subscriptions and feed tokens that disseminate them.

A practice is a shared item (core.SharedItem): its marking, audience and labels decide who sees it
once it is published; before that only its authors and the reviewers of its topics do
(`Practice.extra_visibility_q`). Everything hanging off a practice (revisions, reviews, adoptions,
comments, attachments) is reached only through a practice the reader may see, so it is never more
visible than the practice. Every write is in enlets/practices/actions.py.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from enlets.core import access
from enlets.core.models import (
    AccessLabel,
    SharedItem,
    SharedItemQuerySet,
    StoredAttachment,
    marking_rank,
    released_by_marking_index,
)
from enlets.search.fields import FacetField, SearchField
from enlets.search.languages import Language

if TYPE_CHECKING:
    from enlets.network.models import User


class Topic(models.Model):
    """A theme of the exchange (ANPR, OSINT, ...). Topics are public reference data: their names
    and descriptions are no secret; what is secret is in the practices."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField("description (Markdown)", blank=True)
    lead_country = models.ForeignKey(
        "network.Country", null=True, blank=True, on_delete=models.PROTECT, related_name="led_topics"
    )
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="reviewed_topics")
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    # Set when the topic was merged into another: its links lead there, its practices moved there.
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("practices:topic", args=[self.slug])

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE

    def final(self) -> Topic:
        """The topic this one lives on as (itself, or the end of its merge chain)."""
        topic, seen = self, {self.pk}
        while topic.merged_into_id and topic.merged_into_id not in seen:
            seen.add(topic.merged_into_id)
            topic = topic.merged_into
        return topic


class CostBand(models.TextChoices):
    UNKNOWN = "", "Not stated"
    UNDER_50K = "under_50k", "Under EUR 50,000"
    FROM_50K = "50k_250k", "EUR 50,000 to 250,000"
    FROM_250K = "250k_1m", "EUR 250,000 to 1 million"
    FROM_1M = "1m_5m", "EUR 1 to 5 million"
    OVER_5M = "over_5m", "Over EUR 5 million"


class ProcurementRoute(models.TextChoices):
    UNKNOWN = "", "Not stated"
    OPEN_TENDER = "open_tender", "Open tender"
    RESTRICTED = "restricted", "Restricted procedure"
    NEGOTIATED = "negotiated", "Negotiated procedure"
    FRAMEWORK = "framework", "Framework contract"
    PRE_COMMERCIAL = "pre_commercial", "Pre-commercial procurement"
    JOINT = "joint", "Joint procurement with other states"
    IN_HOUSE = "in_house", "Developed in-house"
    EU_FUNDED = "eu_funded", "EU-funded project"
    OTHER = "other", "Other"


class DpiaStatus(models.TextChoices):
    UNKNOWN = "", "Not stated"
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not done"
    NOT_REQUIRED = "not_required", "Not required"


class PracticeQuerySet(SharedItemQuerySet):
    def published(self) -> PracticeQuerySet:
        return self.filter(state=Practice.State.PUBLISHED)


class _ReviewedBy(access.ItemCondition):
    """`<practice> IN (the practices of the topics <user> reviews)`, written as SQL text: the
    subquery queryset (a join of topics and reviewers) that Django built and compiled for every
    practice list and every re-check of search hits cost about a fifth of that re-check
    (docs/performance.md, search, session 12)."""

    def __init__(self, user_pk: int) -> None:
        super().__init__()
        self.user_pk = user_pk

    def condition(self, item_sql: str, connection: Any) -> tuple[str, tuple[Any, ...]]:
        quote = connection.ops.quote_name
        topics, reviewers = Practice._meta.get_field("topics"), Topic._meta.get_field("reviewers")
        sql = (
            f"{item_sql} IN (SELECT pt.{quote(topics.m2m_column_name())} FROM {quote(topics.m2m_db_table())} pt "  # noqa: S608
            f"WHERE pt.{quote(topics.m2m_reverse_name())} IN (SELECT tr.{quote(reviewers.m2m_column_name())} "
            f"FROM {quote(reviewers.m2m_db_table())} tr WHERE tr.{quote(reviewers.m2m_reverse_name())} = %s))"
        )
        return sql, (self.user_pk,)


class Practice(SharedItem):
    """One practice, in the structured template of DOMAIN.md (EUCPN-style good practice)."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"
        ARCHIVED = "archived", "Archived"

    RELEASED_STATES: ClassVar[tuple[str, ...]] = ("published", "archived")
    # The reviewers of a practice's topics see it while it is with them (DESIGN.md: "reviewers see
    # what is submitted to them"), and when they sent it back, so they can follow the revision.
    REVIEW_STATES: ClassVar[tuple[str, ...]] = ("submitted", "in_review", "changes_requested")

    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    # The practice's identity across instances: export and import match on it (idempotent import).
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    summary = models.TextField(max_length=1000, blank=True)
    # The language the practice is written in: search stems its words in that language too.
    language = models.CharField(max_length=2, choices=Language.choices, default="en", db_default="en")
    topics = models.ManyToManyField(Topic, blank=True, related_name="practices")
    countries = models.ManyToManyField("network.Country", blank=True, related_name="practices")
    organisations = models.ManyToManyField("network.Organisation", blank=True, related_name="practices")
    problem = models.TextField("operational problem (Markdown)", blank=True)
    solution = models.TextField("solution (Markdown)", blank=True)
    technology = models.CharField("technology used", max_length=300, blank=True)
    implementation_start = models.DateField(null=True, blank=True)
    implementation_end = models.DateField(null=True, blank=True)
    cost_band = models.CharField(max_length=12, choices=CostBand.choices, blank=True, default="")
    staffing = models.CharField(max_length=300, blank=True)
    procurement_route = models.CharField(max_length=20, choices=ProcurementRoute.choices, blank=True, default="")
    implementation = models.TextField("implementation (Markdown)", blank=True)
    results = models.TextField("results and evidence (Markdown)", blank=True)
    lessons = models.TextField("lessons learned (Markdown)", blank=True)
    legal_basis = models.TextField("legal basis (Markdown)", blank=True)
    dpia = models.CharField(
        "data-protection impact assessment", max_length=12, choices=DpiaStatus.choices, blank=True, default=""
    )
    fundamental_rights = models.TextField("fundamental-rights considerations (Markdown)", blank=True)
    transferability = models.TextField("transferability (Markdown)", blank=True)
    contacts = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    contact_note = models.CharField("other contact details", max_length=300, blank=True)
    # A short TLP:CLEAR abstract the authors choose to make public while the details keep the
    # practice's own marking. Empty: nothing is public unless the practice itself is CLEAR.
    public_teaser = models.TextField(max_length=600, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    revision_number = models.PositiveIntegerField(default=0)

    objects = PracticeQuerySet.as_manager()

    search_language = "language"
    search_fields: ClassVar[list[Any]] = [
        SearchField("title", boost=3),
        SearchField("summary", boost=2),
        SearchField("technology", boost=2),
        SearchField("problem", markdown=True),
        SearchField("solution", markdown=True),
        SearchField("results", markdown=True),
        SearchField("lessons", markdown=True),
        SearchField("transferability", markdown=True),
        FacetField("tlp", "Marking"),
        FacetField("state", "State"),
        FacetField("topic", "Topic", source=lambda p: [t.slug for t in p.topics.all()], many=True),
        FacetField("country", "Country", source=lambda p: [c.pk for c in p.countries.all()], many=True),
        FacetField("owner_country", "Owner's country", source=lambda p: p.owner_organisation.country_id),
    ]

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="practice_updated"),
            models.Index(fields=["state", "-published_at"], name="practice_state_published"),
            models.Index(fields=["owner", "-updated_at"], name="practice_owner_updated"),
            released_by_marking_index("practice_released_marking"),
            # The list's other sorts (enlets.practices.filters.SORTS), each in the query's own order,
            # so a page walks its index and stops instead of sorting every visible practice (550-820
            # ms at a million practices; docs/performance.md, "Practice list sorts"). The publication
            # date's index is migration 0006's own SQL: SQLite takes no NULLS LAST in an index.
            models.Index(F("title"), F("id"), name="practice_title"),
            models.Index(marking_rank(), F("id"), name="practice_marking_rank"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("practices:detail", args=[self.pk])

    @classmethod
    def extra_visibility_q(cls, user: User) -> Q:
        """Reviewers of any of a practice's topics see it while it is in review."""
        return Q(state__in=cls.REVIEW_STATES) & Q(_ReviewedBy(user.pk))

    def search_extra_labels(self) -> list[str]:
        if self.state not in self.REVIEW_STATES:
            return []
        reviewers = reviewer_ids_of(self)
        return [access.person_label(pk) for pk in reviewers]

    def reviewer_ids(self) -> set[int]:
        return set(reviewer_ids_of(self))

    def is_reviewer(self, user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False)) and user.pk in self.reviewer_ids()

    @property
    def year(self) -> int | None:
        when = self.implementation_start or (self.published_at.date() if self.published_at else None)
        return when.year if when else None

    @property
    def is_released(self) -> bool:
        return self.state in self.RELEASED_STATES


def reviewer_ids_of(practice: Practice) -> list[int]:
    """The ids of the active reviewers of the practice's topics."""
    return list(
        Topic.reviewers.through.objects.filter(topic__practices=practice, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


class PracticeAccessLabel(AccessLabel):
    item = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="access_labels")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "label"], name="practice_label_unique")]
        indexes = [models.Index(fields=["label", "item"], name="practice_label_item")]


class PracticeAttachment(StoredAttachment):
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="attachments")

    class Meta(StoredAttachment.Meta):
        pass

    def get_absolute_url(self) -> str:
        return reverse("practices:attachment", args=[self.practice_id, self.pk])


class PracticeRevision(models.Model):
    """A kept version of a practice: one each time it is published and each time a published
    practice is changed. `content` holds every template field as it was (names for the related
    rows), so a diff between two revisions needs nothing else."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField("what changed", max_length=300, blank=True)
    tlp = models.CharField(max_length=16)
    content = models.JSONField(default=dict)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["practice", "number"], name="practice_revision_unique")]

    def __str__(self) -> str:
        return f"{self.practice_id} r{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("practices:revision", args=[self.practice_id, self.number])


class ReviewCriterion(models.TextChoices):
    """The quality criteria a reviewer checks before publishing (docs/exchange.md explains each)."""

    EVIDENCE = "evidence", "Evidence given: results are measured, not only claimed"
    LEGAL_BASIS = "legal_basis", "Legal basis stated"
    TRANSFERABILITY = "transferability", "Transferability described: what another state needs"
    CONTACT = "contact", "A contact person is named and reachable"
    MARKING = "marking", "The TLP marking and audience are appropriate"


class Review(models.Model):
    """One reviewer's verdict on one submission: the checklist, a comment and a decision."""

    class Decision(models.TextChoices):
        COMMENT = "comment", "Comment only"
        CHANGES_REQUESTED = "changes_requested", "Request changes"
        PUBLISH = "publish", "Publish"
        REJECT = "reject", "Reject"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    checklist = models.JSONField(default=dict)  # {criterion: true/false}
    comment = models.TextField("comment (Markdown)", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} on {self.practice_id}"

    def criteria(self) -> list[tuple[str, bool]]:
        return [(label, bool(self.checklist.get(value))) for value, label in ReviewCriterion.choices]


class Adoption(models.Model):
    """Where a practice spread: one row per country, its latest status."""

    class Status(models.TextChoices):
        INTERESTED = "interested", "Interested"
        PILOTING = "piloting", "Piloting"
        ADOPTED = "adopted", "Adopted"

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="adoptions")
    country = models.ForeignKey("network.Country", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "network.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices)
    note = models.TextField(max_length=2000, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["country__name"]
        constraints = [models.UniqueConstraint(fields=["practice", "country"], name="adoption_one_per_country")]

    def __str__(self) -> str:
        return f"{self.country_id}: {self.get_status_display()}"


class Comment(models.Model):
    """A comment in a practice's thread; seen by exactly who sees the practice."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField("comment (Markdown)", max_length=10000)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Removed comments keep their place in the thread (replies stay readable) without their text.
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.practice_id}"


class Subscription(models.Model):
    """A person follows a topic or a country and gets a digest of new practices."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_subscriptions")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions")
    country = models.ForeignKey("network.Country", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    created_at = models.DateTimeField(default=timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(topic__isnull=False) | Q(country__isnull=False), name="subscription_has_subject"
            ),
            models.UniqueConstraint(fields=["user", "topic", "country"], name="subscription_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.topic or self.country}"


class FeedToken(models.Model):
    """The secret in a personal feed URL. Only a SHA-256 of it is stored; it opens feeds and
    nothing else (not the API), and its owner revokes it at any time."""

    PREFIX = "feed_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_tokens")
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"feed token {self.pk} of {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
