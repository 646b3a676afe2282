"""API v1: the audit trail, for auditors (administrators, the Core Group and its Leader).

An auditor sees every event; the change (`changes`) and the item's name (`object_repr`) of a
shared item only when they may see that item (audit.detail_visible_ids via
enlets/core/audit_view.py: the same rule as the audit browser). Events come newest first (by
id, which is also the chain order); `before_id` pages through a million rows by key, not offset.
"""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from enlets.core import audit
from enlets.core.api import Page, api, current_user, responses
from enlets.core.audit_view import HIDDEN, visible_changes
from enlets.core.models import AuditEvent


class AuditEventOut(Schema):
    id: int
    created_at: dt.datetime
    actor: str | None = Field(None, description="User name of the actor; null for the system.")
    actor_name: str
    action: str
    object_type: str
    object_id: str
    object_repr: str = Field(description=f"'{HIDDEN}' when you may not see the item.")
    tlp: str
    ip_address: str | None
    request_id: str
    changes: dict[str, Any] | None = Field(description="The change as {field: [old, new]}; null when hidden.")
    hidden: bool = Field(description="True when the item's name and change are hidden from you.")
    prev_hash: str
    hash: str

    @staticmethod
    def resolve_actor(obj: AuditEvent) -> str | None:
        return obj.actor.username if obj.actor_id else None

    @staticmethod
    def resolve_object_repr(obj: AuditEvent) -> str:
        return obj.shown[0]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_changes(obj: AuditEvent) -> dict[str, Any] | None:
        return obj.shown[1]  # type: ignore[attr-defined]

    @staticmethod
    def resolve_hidden(obj: AuditEvent) -> bool:
        return obj.shown[1] is None  # type: ignore[attr-defined]


class AuditFilters(Schema):
    actor: str | None = Field(None, description="User name of the actor.")
    action: str | None = Field(
        None, description="Exact action, e.g. documents.document.update; or a prefix ending in '.', e.g. documents."
    )
    object_type: str | None = Field(None, description="e.g. documents.document, network.user.")
    object_id: str | None = None
    since: dt.datetime | None = Field(None, description="ISO 8601; events at or after.")
    until: dt.datetime | None = Field(None, description="ISO 8601; events before.")
    before_id: int | None = Field(
        None, description="Only events older than this id (keyset paging: pass the last id of the page you have)."
    )


class AuditPage(Page):
    """Page, plus the hiding rule applied to the whole page with a constant number of queries."""

    def paginate_queryset(self, queryset: QuerySet, pagination: Page.Input, **params: Any) -> dict[str, Any]:
        result = super().paginate_queryset(queryset, pagination, **params)
        user = current_user(params["request"])
        visible_ids = audit.detail_visible_ids(user, result["results"])
        for event in result["results"]:
            event.shown = visible_changes(event, user, visible_ids)
        return result


def _require_auditor(request: HttpRequest) -> Any:
    user = current_user(request)
    if not user.can_audit:
        raise HttpError(403, "Only administrators and the Core Group may read the audit trail.")
    return user


router = Router(tags=["audit"])


@router.get("/events", response=responses(list[AuditEventOut]), summary="Audit events, newest first (auditors)")
@paginate(AuditPage)
def list_events(request: HttpRequest, filters: Query[AuditFilters]) -> QuerySet[AuditEvent]:
    _require_auditor(request)
    qs = AuditEvent.objects.select_related("actor")
    if filters.actor:
        qs = qs.filter(actor__username=filters.actor)
    if filters.action:
        qs = (
            qs.filter(action__startswith=filters.action)
            if filters.action.endswith(".")
            else qs.filter(action=filters.action)
        )
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.since:
        qs = qs.filter(created_at__gte=filters.since)
    if filters.until:
        qs = qs.filter(created_at__lt=filters.until)
    if filters.before_id:
        qs = qs.filter(id__lt=filters.before_id)
    # The id is the chain order: newest first by key, which an index answers at any size.
    return qs.order_by("-id")


@router.get("/events/{event_id}", response=responses(AuditEventOut), summary="One audit event (auditors)")
def get_event(request: HttpRequest, event_id: int) -> AuditEvent:
    user = _require_auditor(request)
    event = get_object_or_404(AuditEvent.objects.select_related("actor"), pk=event_id)
    event.shown = visible_changes(event, user)  # type: ignore[attr-defined]
    return event


api.add_router("/audit", router)
