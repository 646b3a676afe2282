"""The base every shared item stands on, and the audit trail.

A shared item (document, practice, requirement, ...) inherits `SharedItem`; its visibility is
decided only by `SharedItemQuerySet.visible_to(user)` (see enlets/core/access.py for the rules)
and its writes go through the owning app's actions module, which records an `AuditEvent`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from enlets.core import access

if TYPE_CHECKING:
    from enlets.network.models import User


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 markings, least to most restricted."""

    CLEAR = "CLEAR", "TLP:CLEAR"
    GREEN = "GREEN", "TLP:GREEN"
    AMBER = "AMBER", "TLP:AMBER"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    RED = "RED", "TLP:RED"

    @classmethod
    def strictness(cls, value: str) -> int:
        return [c.value for c in cls].index(value)

    @classmethod
    def sensitive(cls) -> set[str]:
        """Markings whose every read is audited."""
        return {cls.AMBER.value, cls.AMBER_STRICT.value, cls.RED.value}


# The markings every member of the community may read, whatever the audience (DESIGN.md).
COMMUNITY_MARKINGS: tuple[str, ...] = (TLP.CLEAR.value, TLP.GREEN.value)


def marking_rank() -> models.Case:
    """A marking's strictness as a number, CLEAR 0 up to RED, to sort the lists by (documents and
    practices). One expression for the queries and the practices' index (`practice_marking_rank`):
    PostgreSQL walks an expression index only for the very same expression."""
    return models.Case(
        *[models.When(tlp=value, then=models.Value(rank)) for rank, value in enumerate(TLP.values)],
        default=models.Value(0),
    )


def released_by_marking_index(name: str, states: tuple[str, ...] = ("published", "archived")) -> models.Index:
    """A partial index of the rows a community member sees by their marking alone (released, CLEAR
    or GREEN). The first part of a heavy member's bounded count (`access.CountHint`) then reads
    1,001 entries of this index instead of about 2,000 rows of the table: 0.3 ms against 2.6 ms at a
    million documents on PostgreSQL (docs/performance.md, change 8), which proves the hint's condition
    implies the index's. SQLite keeps the index but does not use it: it never takes a partial index
    for a condition on bound parameters, and it counts that part well enough by `state`."""
    return models.Index(
        fields=["-updated_at"], name=name, condition=models.Q(state__in=states, tlp__in=COMMUNITY_MARKINGS)
    )


class SharedItemQuerySet(models.QuerySet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set by visible_to for enlets.core.listing.bounded_count (see access.CountHint). It holds
        # only while every row of the queryset is visible to that user: filters keep it (they only
        # narrow), combining with another queryset by | or ^ drops it.
        self.count_hint: access.CountHint | None = None

    def _clone(self) -> SharedItemQuerySet:
        clone = super()._clone()
        clone.count_hint = self.count_hint
        return clone

    def __or__(self, other: Any) -> SharedItemQuerySet:
        combined = super().__or__(other)._chain()
        combined.count_hint = None
        return combined

    def __xor__(self, other: Any) -> SharedItemQuerySet:
        combined = super().__xor__(other)._chain()
        combined.count_hint = None
        return combined

    def visible_to(self, user: Any, *, few_rows: bool = False) -> SharedItemQuerySet:
        """The one place that decides which items `user` may see. See access.visibility_q.

        `few_rows`: the queryset is narrowed to a few known rows (a page of search hits), so the
        user's labels are tested on each of them rather than gathered into a set first."""
        queryset = access.filter_visible(self, user, per_row=True if few_rows else None)
        queryset.count_hint = access.count_hint(self.model, user)
        return queryset


class SharedItem(models.Model):
    """Abstract base of everything people share: owner, marking, audience and state.

    A concrete subclass must also declare its access-label table:

        class DocumentAccessLabel(AccessLabel):
            item = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="access_labels")

    The labels are derived from marking and audience by `access.item_labels()` and rewritten by
    `access.sync_labels()` inside every action that changes them.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    # States in which the marking and audience apply; in any other state only the owner and
    # the co-authors see the item (subclasses with a review workflow add reviewers).
    RELEASED_STATES: ClassVar[tuple[str, ...]] = ("published", "archived")

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    owner_organisation = models.ForeignKey("network.Organisation", on_delete=models.PROTECT, related_name="+")
    co_authors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    tlp = models.CharField("TLP marking", max_length=16, choices=TLP.choices, default=TLP.GREEN)
    audience_countries = models.ManyToManyField("network.Country", blank=True, related_name="+")
    audience_organisations = models.ManyToManyField("network.Organisation", blank=True, related_name="+")
    audience_groups = models.ManyToManyField("network.InterestGroup", blank=True, related_name="+")
    audience_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    state = models.CharField(max_length=20, default="draft", db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SharedItemQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_sensitive(self) -> bool:
        return self.tlp in TLP.sensitive()

    def audience_in_words(self) -> str:
        return access.audience_in_words(self)

    def is_editable_by(self, user: User) -> bool:
        return (
            user.is_authenticated
            and user.is_active
            and (self.owner_id == user.pk or self.co_authors.filter(pk=user.pk).exists())
        )


class AccessLabel(models.Model):
    """One permission label of one item: public, community, country:NL, org:12, group:7, person:42.

    The same labels go into the search index, so the database and the search engine apply
    the same rule.
    """

    label = models.CharField(max_length=40)

    class Meta:
        abstract = True


class AuditEvent(models.Model):
    """An append-only, hash-chained record. Never updated or deleted (PostgreSQL refuses it).

    `hash` = sha256 over `prev_hash` and this event's canonical fields (enlets/core/audit.py).
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    tlp = models.CharField(max_length=16, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
            models.Index(fields=["action", "-id"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id} by {self.actor_name or 'system'}"


class AuditChainHead(models.Model):
    """A single row locked while an event is appended, so two writers never fork the chain."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head {self.last_hash[:12]}"


def attachment_path(instance: models.Model, filename: str) -> str:
    # A random name: the original name is kept in the row, never used on disk.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class StoredAttachment(models.Model):
    """A file attached to a shared item; checked by core.uploads.check_upload before it is stored.

    A concrete subclass adds the foreign key to its item; the file is served only through the
    item's visibility check (enlets.core.shared.serve_attachment).
    """

    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class Notification(models.Model):
    """A message in a person's in-app inbox (and, when `emailed`, also sent by e-mail).

    Made only for people who may see the item it is about, at the moment it is made
    (core.notify.notify checks it), so an inbox never names an item its reader may not see.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField(max_length=60)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.text}"
