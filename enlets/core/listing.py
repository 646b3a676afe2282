"""List pages: sorting from an allow-list, pagination with a bounded count. Every list uses these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest


@dataclass
class ListPage:
    """What a list template needs: {% include "core/_pagination.html" %} reads these names."""

    object_list: list[Any]
    number: int
    per_page: int
    count: int
    count_is_exact: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number * self.per_page < self.count or (not self.count_is_exact and bool(self.object_list))

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    def context(self) -> dict[str, Any]:
        return {
            "page_obj": self,
            "object_list": self.object_list,
            "count": self.count,
            "count_is_exact": self.count_is_exact,
        }


def sort_queryset(
    request: HttpRequest, queryset: QuerySet, allowed: dict[str, str], default: str
) -> tuple[QuerySet, str]:
    """?sort=name or -name, from an allow-list of public name -> field; unknown values fall back."""
    sort = request.GET.get("sort", default)
    name = sort.lstrip("-")
    if name not in allowed:
        sort, name = default, default.lstrip("-")
    field = allowed[name]
    descending = sort.startswith("-")
    return queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk"), sort


def paginate(request: HttpRequest, queryset: QuerySet, per_page: int = 25) -> ListPage:
    try:
        number = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        number = 1
    limit = settings.LIST_COUNT_LIMIT
    count = queryset.order_by()[: limit + 1].count()
    exact = count <= limit
    count = min(count, limit)
    offset = (number - 1) * per_page
    return ListPage(list(queryset[offset : offset + per_page]), number, per_page, count, exact)
