"""Per-request facts (request id, client address) that the audit trail records.

Set by RequestContextMiddleware; contextvars keep them right under threads and async.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "enlets_request_context",
    default=RequestContext(),  # noqa: B039 - frozen dataclass, immutable
)


def current() -> RequestContext:
    return _current.get()


def set_current(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


_bulk_load: contextvars.ContextVar[bool] = contextvars.ContextVar("enlets_bulk_load", default=False)


@contextmanager
def bulk_load() -> Iterator[None]:
    """Loading many rows at once (the demo data): in-app notifications are still written, but no
    e-mail is sent and no index task is queued per write, because the caller rebuilds the search
    index afterwards (`manage.py search_rebuild`). The audit trail is written as always."""
    token = _bulk_load.set(True)
    try:
        yield
    finally:
        _bulk_load.reset(token)


def in_bulk_load() -> bool:
    return _bulk_load.get()
