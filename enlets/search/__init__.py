"""The search module: one interface (`backend()`), two engines (tantivy, PostgreSQL full-text).

Models declare `search_fields` next to their fields; enlets.search.registry finds them; the
actions call `index_later(item)` / `delete_later(item)` (enlets.search.tasks) after commit;
`manage.py search_rebuild` rebuilds everything. docs/search.md has the design.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from enlets.search.base import SearchEngine


def backend() -> SearchEngine:
    """The configured engine (settings.SEARCH_ENGINE: "tantivy" or "postgres")."""
    if settings.SEARCH_ENGINE == "postgres":
        from enlets.search.postgres_engine import PostgresEngine

        return PostgresEngine()
    from enlets.search.tantivy_engine import TantivyEngine

    return TantivyEngine()
