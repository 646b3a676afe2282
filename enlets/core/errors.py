"""Errors raised by actions; views turn them into form errors or JSON, the CLI into a message."""

from __future__ import annotations


class ActionError(Exception):
    """A write was refused. `code` is machine-readable, the message is for people."""

    code = "refused"

    def __init__(self, message: str, *, code: str | None = None, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field_errors = field_errors or {}


class NotAllowed(ActionError):
    """The actor may not do this (shown as 403, or 404 where the item must stay hidden)."""

    code = "not_allowed"


class InvalidInput(ActionError):
    code = "invalid"
