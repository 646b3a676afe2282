from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def navigation(request: HttpRequest) -> list[dict[str, Any]]:
    """The main navigation: only what exists and what this person may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    from enlets.network.actions import can_manage_people_of, can_send_invitations

    items = [
        ("Dashboard", reverse("dashboard")),
        ("Practices", reverse("practices:list")),
        ("Topics", reverse("practices:topics")),
        ("Documents", reverse("documents:list")),
        ("Search", reverse("search:search")),
        ("People", reverse("network:people")),
        ("Organisations", reverse("network:organisations")),
        ("Interest groups", reverse("network:groups")),
    ]
    if can_send_invitations(user):
        items.append(("Invitations", reverse("network:invitations")))
    if can_manage_people_of(user, getattr(user, "country_id", None)):
        items.append(("Vetting", reverse("network:vetting")))
    if getattr(user, "can_audit", False):
        items.append(("Audit trail", reverse("core:audit")))
    path = request.path
    # The deepest matching entry is the current one (/practices/topics/ is Topics, not Practices).
    matches = [url for _label, url in items if path == url or (url != "/" and path.startswith(url))]
    current = max(matches, key=len) if matches else None
    return [{"label": label, "url": url, "active": url == current} for label, url in items]


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "DEMO_MODE": settings.DEMO_MODE,
        "NAVIGATION": navigation(request),
    }
