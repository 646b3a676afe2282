"""The document library: the first shared item, and the model every later app copies."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from enlets.core.models import AccessLabel, SharedItem
from enlets.core.models import SharedItemQuerySet as DocumentQuerySet
from enlets.search.fields import FacetField, SearchField


class Document(SharedItem):
    class Space(models.TextChoices):
        PERSONAL = "personal", "Personal"
        COUNTRY = "country", "Country"
        GROUP = "group", "Interest group"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        ARCHIVED = "archived", "Archived"

    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField("text (Markdown)", blank=True)
    space = models.CharField(max_length=10, choices=Space.choices, default=Space.PERSONAL)
    space_country = models.ForeignKey(
        "network.Country", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    space_group = models.ForeignKey(
        "network.InterestGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )

    objects = DocumentQuerySet.as_manager()

    # What search indexes (enlets/search, docs/search.md); not a database field.
    search_fields = [
        SearchField("title", boost=3),
        SearchField("summary", boost=2),
        SearchField("body", markdown=True),
        FacetField("tlp", "Marking"),
        FacetField("state", "State"),
        FacetField("space", "Space"),
        FacetField("owner_country", "Owner's country", source=lambda d: d.owner_organisation.country_id),
    ]

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            # The list order: a page reads this index newest-first and stops after 50 visible rows.
            models.Index(fields=["-updated_at", "-id"], name="document_updated"),
            models.Index(fields=["state", "-updated_at"], name="document_state_updated"),
            models.Index(fields=["owner", "-updated_at"], name="document_owner_updated"),
            models.Index(fields=["space_group", "-updated_at"], name="document_group_updated"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", args=[self.pk])

    @property
    def space_name(self) -> str:
        if self.space == self.Space.COUNTRY and self.space_country_id:
            return str(self.space_country)
        if self.space == self.Space.GROUP and self.space_group_id:
            return str(self.space_group)
        return "Personal"


class DocumentAccessLabel(AccessLabel):
    item = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="access_labels")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "label"], name="document_label_unique")]
        # (label, item) lets the visibility EXISTS probe answer from the index alone.
        indexes = [models.Index(fields=["label", "item"], name="document_label_item")]


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name: the original name is kept in the row, never used on disk.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("documents:attachment", args=[self.document_id, self.pk])
