"""The PostgreSQL full-text engine, for deployments with several app servers (one shared index).

The index is the table search_searchentry (enlets/search/models.py): weighted tsvector (GIN) and
the item's permission labels (jsonb, GIN). Every search is one SQL statement family with the same
WHERE: `vector @@ query AND labels ?| user_labels [AND facet filters]`, so the total, the facet
counts and the page all count only what the user may see. The tsquery is built from our own
parse of the user's words (enlets.search.query), with bound parameters: no user syntax reaches
PostgreSQL's parser. Each row is stemmed in its item's language (its `language` regconfig); a
query is stemmed in English and in every other language present in the index, OR-ed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction

from enlets.core import access
from enlets.search import registry
from enlets.search.base import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    Hit,
    SearchEngine,
    SearchResults,
    check_hits,
    highlight,
    item_search_labels,
    pending_index_tasks,
)
from enlets.search.languages import item_language, postgres_config
from enlets.search.models import SearchEntry
from enlets.search.query import parse

CONFIG = "english"
# The languages present in the index, by a skip scan of its language index (one probe each).
LANGUAGES_SQL = """
WITH RECURSIVE present(language) AS (
    (SELECT language FROM search_searchentry ORDER BY language LIMIT 1)
    UNION ALL
    SELECT (SELECT e.language FROM search_searchentry e WHERE e.language > present.language
            ORDER BY e.language LIMIT 1)
    FROM present WHERE present.language IS NOT NULL
)
SELECT language::text FROM present WHERE language IS NOT NULL
"""
# ts_headline marks matches with these; they are stripped from stored text, so they cannot be forged.
START, STOP = "\x01", "\x02"


def fold(text: str) -> str:
    """Accent folding without the unaccent extension: polítie -> politie."""
    decomposed = unicodedata.normalize("NFKD", text.replace(START, "").replace(STOP, ""))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _weight(boost: float) -> str:
    return "a" if boost >= 3 else "b" if boost >= 2 else "c" if boost > 1 else "d"


class PostgresEngine(SearchEngine):
    name = "postgres"

    def __init__(self) -> None:
        if connection.vendor != "postgresql":
            raise ImproperlyConfigured("ENLETS_SEARCH_ENGINE=postgres needs a PostgreSQL database.")

    def exists(self) -> bool:
        return True

    def _entry(self, item: models.Model) -> dict[str, Any]:
        model = type(item)
        texts: dict[str, list[str]] = {"a": [], "b": [], "c": [], "d": []}
        for field in registry.text_fields(model):
            texts[_weight(field.boost)].append(fold(field.value(item)))
        # A list facet is stored as a JSON array (["anpr", "osint"]), a single one as a string.
        facets = {field.name: field.stored(item) for field in registry.facet_fields(model)}
        return {
            "title": str(item)[:300],
            **{f"text_{k}": "\n".join(v) for k, v in texts.items()},
            "facets": facets,
            "labels": item_search_labels(item),
            "language": postgres_config(item_language(item)),
        }

    def index(self, items: Iterable[models.Model]) -> int:
        # One INSERT ... ON CONFLICT DO UPDATE per batch (an upsert on (model, object_id)).
        # Keyed, so an item listed twice is written once (an upsert may not touch a row twice).
        by_key = {
            (registry.model_key(type(item)), item.pk): SearchEntry(
                model=registry.model_key(type(item)), object_id=item.pk, **self._entry(item)
            )
            for item in items
        }
        entries = list(by_key.values())
        if not entries:
            return 0
        with transaction.atomic():
            SearchEntry.objects.bulk_create(
                entries,
                batch_size=500,
                update_conflicts=True,
                unique_fields=["model", "object_id"],
                update_fields=[
                    "title",
                    "text_a",
                    "text_b",
                    "text_c",
                    "text_d",
                    "facets",
                    "labels",
                    "language",
                    "indexed_at",
                ],
            )
        return len(entries)

    def delete(self, model: type[models.Model], pks: Iterable[int]) -> None:
        entries = SearchEntry.objects.filter(model=registry.model_key(model))  # access: index upkeep
        entries.filter(object_id__in=list(pks)).delete()

    def clear(self) -> None:
        SearchEntry.objects.all().delete()  # access: index upkeep, serves no one

    def _tsquery(self, query: str, configs: Iterable[str] = (CONFIG,)) -> tuple[str, list[Any]] | None:
        """The words as a tsquery: every clause (AND), stemmed in each configuration (OR)."""
        clauses = parse(query)
        if not clauses:
            return None
        per_config: list[str] = []
        params: list[Any] = []
        for config in configs:
            parts: list[str] = []
            for clause in clauses:
                words = [fold(w) for w in clause.words]
                # The configuration is a bound parameter too, cast to regconfig.
                if clause.kind == "phrase":
                    parts.append("phraseto_tsquery(%s::regconfig, %s)")
                    params += [config, " ".join(words)]
                elif clause.kind == "prefix":
                    # A quoted lexeme with :* ; the word holds only letters and digits (query.WORD).
                    parts.append("to_tsquery(%s::regconfig, %s)")
                    params += [config, f"'{words[0].lower()}':*"]
                else:
                    parts.append("plainto_tsquery(%s::regconfig, %s)")
                    params += [config, words[0]]
            per_config.append("(" + " && ".join(parts) + ")")
        return " || ".join(per_config), params

    @staticmethod
    def _configs_present(cursor: Any) -> list[str]:
        """English, and each other text search configuration some row of the index uses."""
        cursor.execute(LANGUAGES_SQL)
        return list(dict.fromkeys([CONFIG, *(row[0] for row in cursor.fetchall())]))

    def search(
        self,
        user: Any,
        query: str,
        *,
        models: list[str] | None = None,
        facets: dict[str, str] | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        count_facets: bool = True,
    ) -> SearchResults:
        page = min(max(int(page), 1), MAX_PAGE)
        page_size = min(max(int(page_size), 1), MAX_PAGE_SIZE)
        labels = access.user_labels(user)
        # PostgreSQL cannot even compare a NUL character, and no stored facet holds one: nothing matches.
        if not labels or any("\x00" in str(v) for v in (facets or {}).values()) or "\x00" in str(models or ""):
            return SearchResults(total=0, hits=[], page=page, page_size=page_size)
        where = ["e.labels ?| %s"]
        params: list[Any] = [labels]
        with connection.cursor() as cursor:
            configs = self._configs_present(cursor)
        tsquery = self._tsquery(query, configs)
        query_sql = "NULL::tsquery"
        query_params: list[Any] = []
        if tsquery is not None:
            query_sql, query_params = tsquery
            where.append("e.vector @@ q.query")
        if models:
            where.append("e.model = ANY(%s)")
            params.append(list(models))
        known = registry.all_facets()
        for name, value in (facets or {}).items():
            if name in known and name != registry.TYPE_FACET and value:
                # A single value is stored as a string, a list facet as an array: either matches.
                # Both containments use the GIN (jsonb_path_ops) index on facets.
                where.append(
                    "(e.facets @> jsonb_build_object(%s::text, %s::text)"
                    " OR e.facets @> jsonb_build_object(%s::text, jsonb_build_array(%s::text)))"
                )
                params += [name, str(value), name, str(value)]
        base = f"FROM search_searchentry e, (SELECT {query_sql} AS query) q WHERE {' AND '.join(where)}"
        base_params = query_params + params
        with connection.cursor() as cursor:
            if count_facets:
                total, facet_counts = self._total_and_facets(cursor, base, base_params, known)
            else:
                # `base` is built from fixed fragments only; every value in it is a bound parameter.
                cursor.execute(f"SELECT count(*) {base}", base_params)
                total, facet_counts = cursor.fetchone()[0], {}
            score = "ts_rank(e.vector, q.query)" if tsquery is not None else "0"
            body = "concat_ws(' ', e.text_b, e.text_c, e.text_d)"
            headline = (
                f"ts_headline(e.language, {body}, q.query, "
                f'\'StartSel="{START}", StopSel="{STOP}", MaxWords=35, MinWords=15\')'
                if tsquery is not None
                else f"left({body}, 200)"
            )
            cursor.execute(
                f"SELECT e.model, e.object_id, e.title, {headline}, {score} AS score {base} "
                "ORDER BY score DESC, e.id DESC LIMIT %s OFFSET %s",
                [*base_params, page_size, (page - 1) * page_size],
            )
            rows = cursor.fetchall() if total else []
        hits = [
            Hit(model=m, pk=pk, title=title, snippet_html=self._snippet(snippet or ""), score=float(s))
            for m, pk, title, snippet, s in rows
        ]
        hits, dropped = check_hits(user, hits)
        return SearchResults(
            total=total,
            hits=hits,
            facets=facet_counts,
            page=page,
            page_size=page_size,
            lagging=dropped or pending_index_tasks(),
        )

    @staticmethod
    def _total_and_facets(
        cursor: Any, base: str, base_params: list[Any], known: dict[str, str]
    ) -> tuple[int, dict[str, dict[str, int]]]:
        """The total and every facet's counts in one statement over the matching rows (read once).

        A list facet counts the item once under each of its values (jsonb_array_elements_text);
        a single value is wrapped in an array first, so both shapes go through the same path."""
        names = [name for name in known if name != registry.TYPE_FACET]
        # `base` is built from fixed fragments only; every value in it is a bound parameter.
        cursor.execute(
            f"WITH m AS MATERIALIZED (SELECT e.model, e.facets {base}) "  # noqa: S608
            "SELECT '', '', count(*) FROM m "
            "UNION ALL SELECT %s, m.model, count(*) FROM m GROUP BY m.model "
            "UNION ALL SELECT f.key, v.value, count(*) FROM m, jsonb_each(m.facets) f, "
            "jsonb_array_elements_text(CASE jsonb_typeof(f.value) WHEN 'array' THEN f.value "
            "ELSE jsonb_build_array(f.value) END) v(value) "
            "WHERE f.key = ANY(%s) GROUP BY f.key, v.value",
            [*base_params, registry.TYPE_FACET, names],
        )
        total = 0
        counts: dict[str, dict[str, int]] = {name: {} for name in known}
        for name, value, count in cursor.fetchall():
            if name == "":
                total = count
            elif value:
                counts[name][value] = count
        return (total, counts) if total else (0, {})

    @staticmethod
    def _snippet(text: str) -> str:
        """Escape everything, then turn our markers into <mark>."""
        ranges = []
        plain: list[str] = []
        start = None
        for char in text:
            if char == START:
                start = len(plain)
            elif char == STOP and start is not None:
                ranges.append((start, len(plain)))
                start = None
            else:
                plain.append(char)
        return highlight("".join(plain), ranges)
