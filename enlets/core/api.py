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

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase
from ninja.security import HttpBearer, SessionAuth

from enlets.core.errors import ActionError, NotAllowed

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from enlets.network.actions import authenticate_token
        from enlets.network.models import ApiToken

        api_token = authenticate_token(token)
        if api_token is None:
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


class ActiveSessionAuth(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        if user.role in settings.MFA_REQUIRED_ROLES and not user.has_second_factor():
            return None
        return user


api = NinjaAPI(
    title="ENLETS Hub API",
    version="1",
    description="The REST API of ENLETS Hub. Same access rules as the web pages. See docs/api.md.",
    urls_namespace="api",
    auth=[TokenAuth(), ActiveSessionAuth()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


class ErrorOut(Schema):
    message: str
    code: str
    errors: dict[str, list[str]] = {}


def error_response(request: HttpRequest, status: int, message: str, code: str,
                   errors: dict[str, list[str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"message": message, "code": code, "errors": errors or {}}, status=status)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = error_response(request, 401, "Authentication required: send a valid personal token as "
                              "'Authorization: Bearer <token>'.", "not_authenticated")
    response["WWW-Authenticate"] = 'Bearer realm="ENLETS Hub"'
    return response


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = [str(part) for part in error.get("loc", []) if part not in ("body", "query", "path", "payload", "form")]
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
    codes = {400: "bad_request", 403: "forbidden", 404: "not_found", 409: "conflict", 422: "invalid"}
    return error_response(request, exc.status_code, str(exc), codes.get(exc.status_code, "error"))


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
        return {"count": count, "count_is_exact": exact, "page": page, "page_size": size,
                "results": list(queryset[offset: offset + size])}


def bounded_count(queryset: QuerySet) -> tuple[int, bool]:
    """Count exactly up to LIST_COUNT_LIMIT; beyond it, say 'at least' (a full count of a million
    visible rows costs more than the page itself)."""
    limit = settings.LIST_COUNT_LIMIT
    if isinstance(queryset, list):
        return len(queryset), True
    count = queryset.order_by()[: limit + 1].count()
    return (limit, False) if count > limit else (count, True)


def apply_ordering(queryset: QuerySet, ordering: str | None, allowed: dict[str, str], default: str) -> QuerySet:
    """?ordering=field or -field, from an allow-list (public name -> model field); else 422."""
    ordering = ordering or default
    descending = ordering.startswith("-")
    name = ordering.lstrip("-")
    if name not in allowed:
        raise HttpError(422, f"Cannot order by {name!r}; use one of: {', '.join(sorted(allowed))} "
                        "(prefix - for descending).")
    field = allowed[name]
    return queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk")
