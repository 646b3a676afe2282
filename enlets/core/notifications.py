"""The in-app notification inbox: the list (unread first, then newest), opening one (marks it read
and follows its link) and "mark all read"; plus the context processor with the unread count.

Only the signed-in person's own notifications are ever read or changed here: another person's
notification is 404, exactly as if it did not exist.

URL patterns for the lead to add (e.g. in enlets/urls.py, before the catch-alls), ready to paste:

    from enlets.core import notifications

    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification_open"),
    path("notifications/read-all/", notifications.notification_read_all, name="notifications_read_all"),

and in settings TEMPLATES OPTIONS context_processors:

    "enlets.core.notifications.unread_notifications",
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from enlets.core.listing import paginate
from enlets.core.models import Notification


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """Context processor: {"unread_notification_count": n} for the nav link (0 when signed out)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notification_count": 0}
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()  # access: the person's own inbox
    return {"unread_notification_count": count}


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    inbox = (
        Notification.objects.filter(recipient=request.user)  # access: the person's own inbox
        .select_related("actor")
        .annotate(unread=Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("unread", "-created_at", "-id")
    )
    page = paginate(request, inbox)
    mine = Notification.objects.filter(recipient=request.user)  # access: the person's own inbox
    unread = mine.filter(read_at__isnull=True).count()
    return render(request, "core/notifications.html", {**page.context(), "unread_count": unread})


def _safe_target(request: HttpRequest, url: str) -> str | None:
    """Notification links are paths inside the platform; anything else is not followed."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return url
    return None


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of my notifications read and go where it points (the item's page)."""
    note = get_object_or_404(Notification, pk=pk, recipient=request.user)
    if note.read_at is None:
        # Only one's own row, only the read time: harmless on GET, so a plain link works.
        unread = Notification.objects.filter(pk=note.pk, read_at__isnull=True)  # access: their own, fetched above
        unread.update(read_at=timezone.now())
    return redirect(_safe_target(request, note.url) or "notifications")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    unread = Notification.objects.filter(recipient=request.user, read_at__isnull=True)  # access: own inbox
    changed = unread.update(read_at=timezone.now())
    messages.success(request, f"Marked {changed} notification{'s' if changed != 1 else ''} as read.")
    return redirect("notifications")
