"""The API v1 base: authentication, error format, pagination and ordering shared by every router.

Conventions (docs/api.md):
- Authorization: Bearer <personal token>; a missing, malformed, expired or revoked token is 401.
  A read-scope token may only GET. A signed-in browser session also works (with CSRF), so the
  interactive docs at /api/v1/docs can be tried.
- Errors are JSON: {"message": "...", "code": "...", "errors": {"field": ["..."]}}.
- Lists are paginated: ?page=1&page_size=50 -> {"count", "count_is_exact", "page", "page_size", "results"}.
- What the caller may not see is 404, exactly as what does not exist.
"""

from __future__ import annotations

import functools
import inspect
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import BaseThrottle
from pydantic import BaseModel, field_validator

from enlets.core.errors import ActionError, InvalidInput, NotAllowed

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from enlets.network.actions import authenticate_token
        from enlets.network.models import ApiToken

        api_token = authenticate_token(token)
        if api_token is None:
            # Say why, so a script's operator knows whether to renew or replace the token.
            request._token_error = token_failure_reason(token)  # type: ignore[attr-defined]
            return None
        if request.method not in SAFE_METHODS and api_token.scope != ApiToken.Scope.WRITE:
            raise HttpError(403, "This token has read scope; create a read-write token to change data.")
        request.user = api_token.user
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization")
        if header is not None and not header.startswith("Bearer "):
            return None
        return super().__call__(request)


def token_failure_reason(secret: str) -> tuple[str, str]:
    """(code, message) for a token that did not authenticate. The caller holds the secret, so
    telling revoked from expired reveals nothing to them."""
    from enlets.network.models import ApiToken, hash_secret

    token = ApiToken.objects.select_related("user").filter(key_hash=hash_secret(secret or "")).first()
    if token is None:
        return "token_invalid", "This token is not valid: check that it was copied whole, or create a new one."
    if token.revoked_at is not None:
        return "token_revoked", "This token was revoked; create a new one."
    if not token.is_active:
        return "token_expired", "This token has expired; create a new one."
    return "account_inactive", "The account of this token is deactivated."


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        if user.role in settings.MFA_REQUIRED_ROLES and not user.has_second_factor():
            return None
        return user


class PersonRateThrottle(BaseThrottle):
    """At most settings.API_RATE_LIMIT requests per person (per address before authentication) in
    each fixed window; the one above answers 429 with Retry-After. Counted with add/incr in the
    process-local "throttle" cache: cheap, and exact within one app-server process."""

    def allow_request(self, request: HttpRequest) -> bool:
        rate = settings.API_RATE_LIMIT
        if rate is None:
            return True
        limit, period = rate
        person = getattr(request, "auth", None)
        ident = f"person:{person.pk}" if getattr(person, "pk", None) else f"address:{self.get_ident(request)}"
        key = f"api-rate:{ident}:{int(time.time() // period)}"
        counters = caches["throttle"]
        counters.add(key, 0, timeout=period + 1)
        try:
            return counters.incr(key) <= limit
        except ValueError:  # the window's counter expired between add and incr: a new window
            return True

    def wait(self) -> float | None:
        rate = settings.API_RATE_LIMIT
        return None if rate is None else rate[1] - time.time() % rate[1]


class EnletsAPI(NinjaAPI):
    """NinjaAPI whose unknown paths answer the JSON error shape too, not the site's HTML 404 page."""

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        # ninja's own root view ("api-root") answers an HTML 404; this one answers JSON, for the
        # root and (being last) for every path no route matched.
        urls = [_json_not_allowed(u) for u in super()._get_urls() if getattr(u, "name", None) != "api-root"]
        urls.append(re_path(r"", unknown_path, name="api-root"))
        return urls


def _json_not_allowed(pattern: URLResolver | URLPattern) -> URLResolver | URLPattern:
    """ninja answers a method a path does not have with a plain-text 405; give it the JSON shape."""
    view = getattr(pattern, "callback", None)
    if not isinstance(pattern, URLPattern) or view is None or inspect.iscoroutinefunction(view):
        return pattern

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(request, 405, f"Method not allowed here; use {allowed}.", "method_not_allowed")
            response["Allow"] = allowed
        return response

    return URLPattern(pattern.pattern, wrapper, pattern.default_args, pattern.name)


def unknown_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return error_response(request, 404, "No such API endpoint; see /api/v1/docs.", "not_found")


api = EnletsAPI(
    title="ENLETS Hub API",
    version="1",
    description="The REST API of ENLETS Hub. Same access rules as the web pages. See docs/api.md.",
    urls_namespace="api",
    auth=[TokenAuth(), ActiveSessionAuth()],
    throttle=[PersonRateThrottle()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


DB_INT_MAX = 2**63 - 1


def _unstorable(value: Any) -> str | None:
    """Why `value` (or something inside it) can never reach the database, or None."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, str) and "\x00" in value:
        return "May not contain NUL characters."
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > DB_INT_MAX:
        return "No such id: too large."
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple):
        return next((reason for v in value if (reason := _unstorable(v))), None)
    return None


class InputSchema(Schema):
    """Input that refuses what the database cannot take: PostgreSQL cannot store or even compare a
    NUL character, SQLite an integer beyond 64 bits. Either would surface as a server error
    instead of a 422 naming the field."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        reason = _unstorable(value)
        if reason:
            raise ValueError(reason)
        return value


class ErrorOut(Schema):
    message: str
    code: str
    errors: dict[str, list[str]] = {}


def error_response(
    request: HttpRequest, status: int, message: str, code: str, errors: dict[str, list[str]] | None = None
) -> HttpResponse:
    return api.create_response(request, {"message": message, "code": code, "errors": errors or {}}, status=status)


# The error responses every operation may give, for the OpenAPI document.
ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}


def responses(ok: Any, status: int = 200) -> dict[int, Any]:
    """`response=` for an operation: its success schema plus the shared error schemas."""
    return {status: ok, **ERRORS}


def current_user(request: HttpRequest) -> Any:
    """The authenticated person (both auth methods return the user)."""
    return request.auth  # type: ignore[attr-defined]


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    code, message = getattr(request, "_token_error", ("not_authenticated", ""))
    message = message or "Authentication required: send a valid personal token as 'Authorization: Bearer <token>'."
    response = error_response(request, 401, message, code)
    response["WWW-Authenticate"] = 'Bearer realm="ENLETS Hub"'
    return response


VALIDATION_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}
# The names the routers give their schema-typed parameters (`payload: DocumentIn`, `filters: Query[...]`).
SCHEMA_PARAMETERS = {"payload", "filters"}


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        # ninja's loc is (source, [schema parameter,] field...): name only the field, e.g. "audience.groups".
        loc = [str(part) for part in error.get("loc", [])]
        if loc and loc[0] in VALIDATION_SOURCES:
            loc = loc[1:]
        if len(loc) > 1 and loc[0] in SCHEMA_PARAMETERS:
            loc = loc[1:]
        errors.setdefault(".".join(loc) or "__all__", []).append(str(error.get("msg", "Invalid value.")))
    return error_response(request, 422, "The request has invalid fields.", "invalid", errors)


@api.exception_handler(ActionError)
def on_action_error(request: HttpRequest, exc: ActionError) -> HttpResponse:
    status = 403 if isinstance(exc, NotAllowed) else 422
    return error_response(request, status, exc.message, exc.code, exc.field_errors)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 404, "Not found.", "not_found")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    codes = {
        400: "bad_request",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        422: "invalid",
        429: "rate_limited",
    }
    message = str(exc)
    if exc.status_code == 429 and settings.API_RATE_LIMIT is not None:
        limit, period = settings.API_RATE_LIMIT
        message = f"Too many requests: at most {limit} every {period} seconds. Retry after the time in Retry-After."
    return error_response(request, exc.status_code, message, codes.get(exc.status_code, "error"))


class Page(PaginationBase):
    """?page=&page_size= with an exact count up to LIST_COUNT_LIMIT, then a lower bound."""

    class Input(Schema):
        page: int = 1
        page_size: int = 50

    class Output(Schema):
        count: int
        count_is_exact: bool
        page: int
        page_size: int
        results: list[Any]

    items_attribute = "results"
    MAX_PAGE_SIZE = 200

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, **params: Any) -> dict[str, Any]:
        page = max(pagination.page, 1)
        size = min(max(pagination.page_size, 1), self.MAX_PAGE_SIZE)
        offset = (page - 1) * size
        count, exact = bounded_count(queryset)
        return {
            "count": count,
            "count_is_exact": exact,
            "page": page,
            "page_size": size,
            "results": list(queryset[offset : offset + size]),
        }


def bounded_count(queryset: QuerySet) -> tuple[int, bool]:
    """Count exactly up to LIST_COUNT_LIMIT; beyond it, say 'at least' (a full count of a million
    visible rows costs more than the page itself)."""
    from enlets.core.listing import bounded_count as count_at_most

    limit = settings.LIST_COUNT_LIMIT
    if isinstance(queryset, list):
        return len(queryset), True
    count = count_at_most(queryset, limit)
    return (limit, False) if count > limit else (count, True)


def apply_ordering(queryset: QuerySet, ordering: str | None, allowed: dict[str, str], default: str) -> QuerySet:
    """?ordering=field or -field, from an allow-list (public name -> model field); else 422."""
    ordering = ordering or default
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    if name not in allowed:
        choices = f"use one of: {', '.join(sorted(allowed))} (prefix - for descending)"
        raise InvalidInput(f"Cannot order by {name!r}; {choices}.", field_errors={"ordering": [f"Unknown; {choices}."]})
    field = allowed[name]
    return queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk")
