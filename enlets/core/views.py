"""Dashboard, health check, error pages and the audit browser."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from enlets.core import audit
from enlets.core.forms import AuditFilterForm
from enlets.core.models import AuditEvent

AUDIT_PAGE_SIZE = 50
EXPORT_CHUNK = 2000


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the app answers and the database answers a query; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "unavailable", "database": "down"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _url(name: str, *args: Any) -> str | None:
    """A URL by name, or None while the page does not exist (the dashboard then leaves the link out)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


# --- Dashboard ---------------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """What is new for me: recent documents I may see, my drafts, what waits for my decision."""
    from enlets.documents.actions import can_create
    from enlets.documents.models import Document
    from enlets.network.models import GroupMembership, InterestGroup, User

    user = request.user
    documents = Document.objects.select_related("owner", "owner_organisation", "space_group", "space_country")
    recent = list(
        documents.visible_to(user)
        .filter(state__in=Document.RELEASED_STATES)
        .exclude(owner_id=user.pk)
        .order_by("-updated_at", "-id")[:10]
    )
    own = Document.co_authors.through.objects.filter(user_id=user.pk)  # access: narrows visible_to(user)
    drafts = list(
        documents.filter(state=Document.State.DRAFT)
        .filter(Q(owner_id=user.pk) | Q(pk__in=own.values("document_id")))
        .order_by("-updated_at", "-id")[:10]
    )
    memberships = list(
        GroupMembership.objects.filter(user=user, status=GroupMembership.Status.APPROVED)  # access: own memberships
        .select_related("group", "group__parent")
        .order_by("group__name")
    )
    chaired_ids = [m.group_id for m in memberships if m.role == GroupMembership.Role.CHAIR]
    pending = {
        row["group"]: row["n"]
        for row in GroupMembership.objects.filter(  # access: join requests to groups this person chairs
            group_id__in=chaired_ids, status=GroupMembership.Status.REQUESTED
        )  # access: requests to groups this person chairs
        .values("group")
        .annotate(n=Count("pk"))
    }
    groups = [
        {
            "group": m.group,
            "is_chair": m.role == GroupMembership.Role.CHAIR,
            "pending": pending.get(m.group_id, 0),
            "url": _url("network:group", m.group.slug),
            "documents_url": f"{reverse('documents:list')}?group={m.group.slug}",
        }
        for m in memberships
    ]
    requested = GroupMembership.Status.REQUESTED
    my_requests = list(
        GroupMembership.objects.filter(user=user, status=requested).select_related("group")  # access: own requests
    )

    unvetted = None
    if user.is_ncp and user.organisation_id:
        unvetted = User.objects.filter(  # access: can_manage_people_of checked above
            is_active=True, vetted_at__isnull=True, organisation__country_id=user.organisation.country_id
        ).count()
    elif user.is_secretariat:
        unvetted = User.objects.filter(  # access: the Secretariat manages everyone
            is_active=True, vetted_at__isnull=True
        ).count()  # access: can_manage_people_of checked above

    practices = _dashboard_practices(user)
    return render(
        request,
        "core/dashboard.html",
        {
            **practices,
            "recent": recent,
            "drafts": drafts,
            "groups": groups,
            "pending_total": sum(g["pending"] for g in groups),
            "my_requests": my_requests,
            "unvetted": unvetted,
            "vetting_url": _url("network:vetting"),
            "groups_url": _url("network:groups"),
            "profile_url": _url("network:settings_profile"),
            "can_create": can_create(user),
            "can_audit": user.can_audit,
            "has_groups": InterestGroup.objects.exists(),
            "group_requests_count": len(my_requests),
        },
    )


def _dashboard_practices(user: Any) -> dict[str, Any]:
    """The exchange on the dashboard: submissions waiting for my review, practices recently
    published that I may see, and my practices that are not published yet."""
    from enlets.practices.actions import can_create as can_write_practice
    from enlets.practices.models import Practice

    visible = Practice.objects.visible_to(user).select_related("owner", "owner_organisation")
    reviewed = Practice.topics.through.objects.filter(topic__reviewers=user)  # access: narrows visible_to below
    reviewed = reviewed.values("practice_id")
    to_review = list(
        visible.filter(state__in=(Practice.State.SUBMITTED, Practice.State.IN_REVIEW))
        .filter(pk__in=reviewed)
        .exclude(owner_id=user.pk)  # access: narrows practices already visible_to(user)
        .order_by("submitted_at", "id")[:10]
    )
    published = list(
        visible.filter(state=Practice.State.PUBLISHED).exclude(owner_id=user.pk).order_by("-published_at", "-id")[:5]
    )
    co_authored = Practice.co_authors.through.objects.filter(user_id=user.pk)  # access: narrows visible_to
    co_authored = co_authored.values("practice_id")
    mine = list(
        visible.exclude(state__in=Practice.RELEASED_STATES)
        .filter(Q(owner_id=user.pk) | Q(pk__in=co_authored))  # access: narrows visible_to(user)
        .order_by("-updated_at", "-id")[:10]
    )
    return {
        "practices_to_review": to_review,
        "practices_published": published,
        "practices_mine": mine,
        "can_write_practice": can_write_practice(user),
    }


# --- Audit browser -----------------------------------------------------------------------------


def _require_auditor(request: HttpRequest) -> None:
    if not getattr(request.user, "can_audit", False):
        raise PermissionDenied("Only administrators and the Core Group browse the audit trail.")


def _int_param(request: HttpRequest, name: str) -> int | None:
    try:
        value = int(request.GET.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def _with_details(user: Any, events: list[AuditEvent]) -> list[AuditEvent]:
    """Mark each event with `details_visible`; hidden ones lose their changes and title here, not in a template."""
    allowed = audit.detail_visible_ids(user, events)
    for event in events:
        event.details_visible = event.pk in allowed
        if not event.details_visible:
            event.object_repr = audit.HIDDEN
            event.changes = {}
    return events


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """Newest first, keyset pagination by id (?before=<id> / ?after=<id>): no OFFSET, no COUNT,
    so a filtered page costs the same at the millionth event as at the first."""
    _require_auditor(request)
    form = AuditFilterForm(request.GET)
    queryset: QuerySet[AuditEvent] = form.filter(
        AuditEvent.objects.all()  # access: auditors only; details hidden per item by detail_visible_ids
    )  # access: auditors only; details hidden per item
    before = _int_param(request, "before")
    after = _int_param(request, "after")
    if after is not None and before is None:
        # Going back towards newer events: take the page just above `after`, then show it newest first.
        rows = list(queryset.filter(id__gt=after).order_by("id")[: AUDIT_PAGE_SIZE + 1])
        has_newer = len(rows) > AUDIT_PAGE_SIZE
        events = list(reversed(rows[:AUDIT_PAGE_SIZE]))
        has_older = bool(events) and queryset.filter(id__lt=events[-1].id).exists()
    else:
        queryset_page = queryset.filter(id__lt=before) if before is not None else queryset
        rows = list(queryset_page.order_by("-id")[: AUDIT_PAGE_SIZE + 1])
        has_older = len(rows) > AUDIT_PAGE_SIZE
        events = rows[:AUDIT_PAGE_SIZE]
        has_newer = before is not None and bool(events) and queryset.filter(id__gt=events[0].id).exists()
    _with_details(request.user, events)
    return render(
        request,
        "core/audit_list.html",
        {
            "form": form,
            "events": events,
            "older_id": events[-1].id if events and has_older else None,
            "newer_id": events[0].id if events and has_newer else None,
            "filtered": bool(form.active_filters()),
        },
    )


@login_required
def audit_event(request: HttpRequest, pk: int) -> HttpResponse:
    _require_auditor(request)
    event = get_object_or_404(AuditEvent.objects.select_related("actor"), pk=pk)
    _with_details(request.user, [event])
    changes = []
    if event.details_visible and isinstance(event.changes, dict):
        for field, value in sorted(event.changes.items()):
            if isinstance(value, list | tuple) and len(value) == 2:
                changes.append({"field": field, "old": value[0], "new": value[1], "is_diff": True})
            else:
                changes.append({"field": field, "value": value, "is_diff": False})
    return render(
        request,
        "core/audit_event.html",
        {
            "event": event,
            "changes": changes,
            "object_url": _object_url(event),
            "chain_links": {
                "previous": AuditEvent.objects.filter(id__lt=event.id)  # access: auditors only
                .order_by("-id")
                .values_list("id", flat=True)
                .first(),
                "next": AuditEvent.objects.filter(id__gt=event.id)  # access: auditors only; ids of neighbouring events
                .order_by("id")
                .values_list("id", flat=True)
                .first(),  # access: auditors only
            },
        },
    )


def _object_url(event: AuditEvent) -> str | None:
    """A link to the item an event is about, when it exists (visibility is checked by that page)."""
    if event.object_type == "documents.document" and event.object_id.isdigit():
        return _url("documents:detail", int(event.object_id))
    return None


# Cells starting with these are formulas to a spreadsheet: a title such as "=HYPERLINK(...)" must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


EXPORT_COLUMNS = (
    "id",
    "created_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "tlp",
    "ip_address",
    "request_id",
    "changes",
    "prev_hash",
    "hash",
)


def _export_rows(user: Any, queryset: QuerySet[AuditEvent]) -> Iterator[list[str]]:
    """All matching events, newest first, fetched by keyset in chunks so memory stays flat."""
    yield list(EXPORT_COLUMNS)
    last_id: int | None = None
    while True:
        chunk_qs = queryset if last_id is None else queryset.filter(id__lt=last_id)
        chunk = list(chunk_qs.order_by("-id")[:EXPORT_CHUNK])
        if not chunk:
            return
        _with_details(user, chunk)
        for e in chunk:
            changes = json.dumps(e.changes, sort_keys=True, ensure_ascii=False) if e.details_visible else audit.HIDDEN
            yield [
                str(e.pk),
                e.created_at.astimezone(timezone.get_current_timezone()).isoformat(),
                _cell(e.actor_name),
                _cell(e.action),
                _cell(e.object_type),
                _cell(e.object_id),
                _cell(e.object_repr),
                e.tlp,
                e.ip_address or "",
                _cell(e.request_id),
                _cell(changes),
                e.prev_hash,
                e.hash,
            ]
        last_id = chunk[-1].pk


@login_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """CSV of the filtered events, streamed. The export itself goes on the trail, with its filters."""
    _require_auditor(request)
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "core/audit_list.html", {"form": form, "events": [], "filtered": True}, status=400)
    queryset = form.filter(AuditEvent.objects.all())  # access: auditors only; details hidden per item
    audit.record(
        "audit.export", actor=request.user, object_type="core.auditevent", changes={"filters": form.active_filters()}
    )
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _export_rows(request.user, queryset)), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="enlets-audit-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Error pages -------------------------------------------------------------------------------


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The reason is ours (raised by a view that names it), never user input.
    return render(request, "403.html", {"exception": str(exception or "")}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
