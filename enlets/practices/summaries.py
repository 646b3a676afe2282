"""Topic summaries (page and PDF) and the CSV/JSON exports of practice lists.

Everything here reads practices through `Practice.objects.visible_to(request.user)` (the summary
through `summary.compile_summary`, which does the same), so anonymous visitors get CLEAR content
only and a signed-in person exactly what they may see. Reads of AMBER, AMBER+STRICT and RED
practices are audited one event per practice (`audit_reads`), like a read of the practice page.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from enlets.core.models import TLP
from enlets.core.shared import record_read
from enlets.practices import filters as practice_filters
from enlets.practices.models import CostBand, Practice, Topic
from enlets.practices.summary import compile_summary, pdf_filename, summary_pdf_bytes

EXPORT_FORMATS = ("csv", "json")
CSV_HEADER = [
    "id",
    "title",
    "state",
    "tlp",
    "topics",
    "countries",
    "organisations",
    "technology",
    "cost band",
    "year",
    "published_at",
    "url",
]


def audit_reads(user: Any, practices: QuerySet[Practice], action: str, changes: dict[str, Any] | None = None) -> int:
    """One audit event per AMBER, AMBER+STRICT or RED practice in `practices` (already `visible_to(user)`).

    Why one per practice rather than one event listing the ids: the audit trail is asked "who had
    practice X?", and an export or a PDF is exactly how a practice leaves the platform; a per-item
    event answers that from the practice's own history, the same way a page read does. CLEAR and
    GREEN reads are not audited (as everywhere).
    """
    sensitive = list(
        practices.filter(tlp__in=TLP.sensitive()).prefetch_related(None).only("pk", "tlp", "title").order_by("pk")
    )
    with transaction.atomic():
        for practice in sensitive:
            record_read(user, practice, action=action, changes=changes)
    return len(sensitive)


def _topic_or_redirect(slug: str, name: str) -> Topic | HttpResponse:
    """The topic by slug; a merged topic's links lead to the topic it lives on as."""
    topic = get_object_or_404(Topic, slug=slug)  # access: topics are public reference data
    final = topic.final()
    if final.pk != topic.pk:
        return redirect(name, slug=final.slug)
    return topic


# Public: anonymous visitors get the CLEAR practices (the EDBP product "where allowed the public").
@require_GET
def topic_summary(request: HttpRequest, slug: str) -> HttpResponse:
    topic = _topic_or_redirect(slug, "practices:summary")
    if isinstance(topic, HttpResponse):
        return topic
    summary = compile_summary(topic, request.user)
    audit_reads(request.user, Practice.objects.filter(pk__in=summary.practice_ids), "summary", {"topic": topic.slug})
    return render(
        request,
        "practices/summary.html",
        {
            "topic": topic,
            "summary": summary,
            "tlp_counts": [(tlp, n) for tlp, n in summary.tlp_counts.items() if n],
            "export_query": f"topic={topic.slug}&state=published",
        },
    )


@require_GET
def topic_summary_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    topic = _topic_or_redirect(slug, "practices:summary_pdf")
    if isinstance(topic, HttpResponse):
        return topic
    summary = compile_summary(topic, request.user)
    pdf = summary_pdf_bytes(summary)
    audit_reads(
        request.user, Practice.objects.filter(pk__in=summary.practice_ids), "summary_pdf", {"topic": topic.slug}
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(summary)}"'
    if summary.most_restrictive_tlp != TLP.CLEAR:
        # Anything beyond CLEAR was compiled for this reader alone: no shared cache may keep it.
        response["Cache-Control"] = "private, no-store"
    return response


# --- Exports of practice lists -------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a streamed response."""

    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> str:
    # A cell starting with =, +, - or @ would run as a formula in a spreadsheet (CSV injection).
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _export_row(practice: Practice, base: str) -> dict[str, Any]:
    return {
        "id": practice.pk,
        "title": practice.title,
        "state": practice.state,
        "tlp": practice.tlp,
        "topics": [t.slug for t in practice.topics.all()],
        "countries": [c.pk for c in practice.countries.all()],
        "organisations": [str(o) for o in practice.organisations.all()],
        "technology": practice.technology,
        "cost_band": practice.cost_band,
        "cost_band_label": CostBand(practice.cost_band).label,
        "year": practice.year,
        "published_at": practice.published_at.isoformat() if practice.published_at else None,
        "url": base + practice.get_absolute_url(),
    }


def _csv_lines(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for row in rows:
        yield writer.writerow(
            [
                _cell(row["id"]),
                _cell(row["title"]),
                _cell(row["state"]),
                _cell(row["tlp"]),
                _cell(" ".join(row["topics"])),
                _cell(" ".join(row["countries"])),
                _cell("; ".join(row["organisations"])),
                _cell(row["technology"]),
                _cell(row["cost_band_label"] if row["cost_band"] else ""),
                _cell(row["year"]),
                _cell(row["published_at"]),
                _cell(row["url"]),
            ]
        )


def _json_chunks(count: int, rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield f'{{"count": {int(count)}, "results": ['
    first = True
    for row in rows:
        yield ("" if first else ",") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "]}"


# Public like the list page: anonymous visitors export the CLEAR practices.
@require_GET
def practice_export(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt not in EXPORT_FORMATS:
        raise Http404("Unknown export format")
    filters = practice_filters.PracticeFilters.parse(request.GET)
    if filters.errors:
        reason = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in filters.errors.items())
        if fmt == "json":
            return JsonResponse(
                {"message": f"Invalid filter values. {reason}", "code": "invalid", "errors": filters.errors},
                status=400,
            )
        return HttpResponse(f"Invalid filter values. {reason}\n", status=400, content_type="text/plain; charset=utf-8")
    queryset = filters.apply(Practice.objects.visible_to(request.user), request.user)
    if not filters.state:
        # As on the list page and in the API: archived practices left the collection; on request only.
        queryset = queryset.exclude(state=Practice.State.ARCHIVED)
    queryset, _sort = practice_filters.order(queryset, request.GET.get("sort"))
    queryset = queryset.select_related(None).prefetch_related("topics", "countries", "organisations")
    # Audit before the first byte leaves: an interrupted download was still a read.
    audit_reads(request.user, queryset, "export", {"format": fmt})
    base = request.build_absolute_uri("/").rstrip("/")
    rows = (_export_row(p, base) for p in queryset.iterator(chunk_size=500))
    stamp = timezone.now().strftime("%Y-%m-%d")
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv; charset=utf-8")
    else:
        count = queryset.count()
        response = StreamingHttpResponse(_json_chunks(count, rows), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="enlets-practices-{stamp}.{fmt}"'
    if request.user.is_authenticated:
        response["Cache-Control"] = "private, no-store"
    return response
