"""The global search page. Thin: the engine applies the access labels; this renders."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from enlets.core.listing import ListPage
from enlets.search import backend, registry
from enlets.search.base import DEFAULT_PAGE_SIZE, SearchResults

logger = logging.getLogger(__name__)

# URL parameter -> facet name. `type` picks the kind of item.
FILTER_PARAMETERS = ("type", "tlp", "state", "space", "owner_country", "topic", "country")


def run_search(
    user: Any, query: str, filters: dict[str, str], page: int, page_size: int, *, count_facets: bool = True
) -> SearchResults:
    """Search, and if the engine fails answer an empty result flagged `missing`: search being down
    must not take a page (or the platform) down with it."""
    models = [filters["type"]] if filters.get("type") else None
    facets = {k: v for k, v in filters.items() if k != "type" and v}
    try:
        return backend().search(
            user, query, models=models, facets=facets, page=page, page_size=page_size, count_facets=count_facets
        )
    except Exception:
        logger.exception("search failed; answering an empty result")
        return SearchResults(total=0, hits=[], page=page, page_size=page_size, missing=True)


def _page_number(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


# Public like the document list: anonymous visitors find CLEAR items (their only label is `public`).
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    known = registry.all_facets()
    filters = {name: request.GET.get(name, "").strip() for name in FILTER_PARAMETERS if name in known}
    filters = {k: v for k, v in filters.items() if v}
    page = _page_number(request)
    results = None
    if query or filters:
        results = run_search(request.user, query, filters, page, DEFAULT_PAGE_SIZE)
    context: dict[str, Any] = {"query": query, "filters": filters, "results": results}
    if results is not None:
        for hit in results.hits:
            # Built by `highlight` from escaped text and our own <mark> tags only.
            hit.snippet_html = mark_safe(hit.snippet_html)  # noqa: S308
        context.update(
            ListPage(results.hits, results.page, results.page_size, results.total, True).context(),
        )
        topics = _topic_names(list(results.facets.get("topic", {})))
        context["facet_groups"] = [
            {
                "name": name,
                "label": label,
                "active": filters.get(name, ""),
                "values": [
                    {"value": value, "label": _facet_label(name, value, topics), "count": count}
                    for value, count in sorted(results.facets.get(name, {}).items(), key=lambda kv: (-kv[1], kv[0]))
                ],
            }
            for name, label in known.items()
            if results.facets.get(name) or filters.get(name)
        ]
    return render(request, "search/search.html", context)


def _facet_label(name: str, value: str, topics: dict[str, str]) -> str:
    if name == registry.TYPE_FACET:
        return registry.type_label(value)
    if name == "tlp":
        return f"TLP:{value}"
    if name == "topic":
        return topics.get(value, value)
    return value.replace("_", " ").capitalize() if name in ("state", "space") else value


def _topic_names(slugs: list[str]) -> dict[str, str]:
    """Names of the topics in the facet counts (slugs the user's results already hold), one query."""
    if not slugs:
        return {}
    from enlets.practices.models import Topic

    return dict(Topic.objects.filter(slug__in=slugs).values_list("slug", "name"))  # access: topics are public
