"""The PostgreSQL engine's index: one row per searchable item (unused by the tantivy engine).

On PostgreSQL the migration adds a generated, weighted `vector tsvector` column with a GIN index,
and a GIN index on `labels` (jsonb), so `vector @@ query AND labels ?| user_labels` is one
indexed query. Text is stored accent-folded (the index needs no unaccent extension).
"""

from __future__ import annotations

from django.db import models


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
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "object_id"], name="search_entry_unique")]

    def __str__(self) -> str:
        return f"{self.model}:{self.object_id}"
