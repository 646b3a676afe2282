"""The PostgreSQL engine's index: one row per searchable item (unused by the tantivy engine).

On PostgreSQL the migrations add a generated, weighted `vector tsvector` column with a GIN index,
stemmed with the row's own text search configuration (`language`: english, german...), and a GIN
index on `labels` (jsonb), so `vector @@ query AND labels ?| user_labels` is one indexed query.
Text is stored accent-folded (the index needs no unaccent extension).
"""

from __future__ import annotations

from typing import Any

from django.db import models


class TextSearchConfigField(models.CharField):
    """A PostgreSQL `regconfig` (a text search configuration's name), so the generated vector can
    stem each row in its own language: to_tsvector(regconfig, text) is immutable, a cast from text
    is not. Plain text on other databases, where the table is unused."""

    def db_type(self, connection: Any) -> str | None:
        return "regconfig" if connection.vendor == "postgresql" else super().db_type(connection)


class SearchEntry(models.Model):
    model = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    title = models.CharField(max_length=300)
    # Text by weight class: A (boost >= 3), B (>= 2), C (> 1), D (the rest).
    text_a = models.TextField(blank=True)
    text_b = models.TextField(blank=True)
    text_c = models.TextField(blank=True)
    text_d = models.TextField(blank=True)
    facets = models.JSONField(default=dict)
    labels = models.JSONField(default=list)
    # The text search configuration the row's text is stemmed with (languages.postgres_config).
    language = TextSearchConfigField(max_length=20, default="english", db_default="english")
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "object_id"], name="search_entry_unique")]

    def __str__(self) -> str:
        return f"{self.model}:{self.object_id}"
