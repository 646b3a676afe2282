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
    items = [
        ("Dashboard", reverse("dashboard")),
        ("Documents", reverse("documents:list")),
        ("People", reverse("network:people")),
    ]
    for label, name in (("Organisations", "network:organisations"), ("Interest groups", "network:groups"),
                        ("Invitations", "network:invitations")):
        try:
            items.append((label, reverse(name)))
        except Exception:  # noqa: S112 - a page that does not exist yet is simply not shown
            continue
    if getattr(user, "can_audit", False):
        items.append(("Audit trail", reverse("core:audit")))
    path = request.path
    return [
        {"label": label, "url": url, "active": path == url or (url != "/" and path.startswith(url))}
        for label, url in items
    ]


def platform(request: HttpRequest) -> dict[str, Any]:
    return {
        "PLATFORM_NAME": settings.PLATFORM_NAME,
        "DEMO_MODE": settings.DEMO_MODE,
        "NAVIGATION": navigation(request),
    }
