"""Request-wide middleware: request id and client address, inactive accounts, second factor."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from enlets.core import context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    # Behind a proxy the platform trusts X-Forwarded-For only when told to (ENLETS_BEHIND_PROXY),
    # and then only the entry the proxy itself appended (the last one): earlier entries come from
    # the client and can be forged.
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Give every request an id (or keep a well-formed incoming X-Request-ID) for logs and audit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else context.new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = context.set_current(context.RequestContext(request_id=request_id, ip_address=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class NoStoreForSignedInMiddleware:
    """Pages for a signed-in person may hold AMBER or RED content: never keep them in a cache
    (a shared police workstation's browser, or a proxy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store, private"
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = context.current().request_id or "-"
        return True


class ActiveAccountMiddleware:
    """A session of an account deactivated meanwhile ends at its next request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_active:
            logout(request)
        return self.get_response(request)


class RequireSecondFactorMiddleware:
    """People whose role requires a second factor can only set one up until they have it."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.role in settings.MFA_REQUIRED_ROLES
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not user.has_second_factor()
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)
