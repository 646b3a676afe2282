"""The document library: the first shared item, and the model every later app copies."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from enlets.core.models import AccessLabel, SharedItem, StoredAttachment, released_by_marking_index
from enlets.core.models import SharedItemQuerySet as DocumentQuerySet
from enlets.core.models import attachment_path as attachment_path  # migration 0001 refers to it here
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
            released_by_marking_index("document_released_marking"),
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


class Attachment(StoredAttachment):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")

    class Meta(StoredAttachment.Meta):
        pass

    def get_absolute_url(self) -> str:
        return reverse("documents:attachment", args=[self.document_id, self.pk])
