"""The platform's URLs plus /bench/list: the same document list query with and without the visibility
filter, behind the same middleware and session, so the HTTP-level filter cost is measured like for like."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.urls import path

from enlets.core.listing import bounded_count
from enlets.documents.models import Document
from enlets.urls import urlpatterns as platform_urlpatterns


@login_required
def bench_list(request: HttpRequest) -> JsonResponse:
    queryset = Document.objects.all()
    if request.GET.get("filter") != "0":
        queryset = queryset.visible_to(request.user)
    queryset = queryset.order_by("-updated_at", "-id")
    # Counted as every list of the platform counts (enlets.core.listing.paginate, the API's Page).
    limit = settings.LIST_COUNT_LIMIT
    count = bounded_count(queryset, limit)
    rows = [{"id": d.pk, "title": d.title, "tlp": d.tlp, "updated_at": d.updated_at.isoformat()} for d in queryset[:50]]
    return JsonResponse({"count": min(count, limit), "count_is_exact": count <= limit, "results": rows})


urlpatterns = [path("bench/list", bench_list, name="bench_list"), *platform_urlpatterns]
