"""The audit trail: append-only, hash-chained events.

Every action that changes shared content calls `record()` inside its own transaction, so the
event and the change commit together or not at all. Each event's hash covers the previous
event's hash, so a changed, removed or reordered row breaks the chain; `verify_chain()` (and
`manage.py audit_verify`) names the first broken event. On PostgreSQL a trigger also refuses
UPDATE and DELETE on the table (migration core 0002).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from enlets.core import context
from enlets.core.models import AuditChainHead, AuditEvent

GENESIS = "0" * 64


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _normalise_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


def compute_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + "\n" + payload).encode()).hexdigest()


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    created = event.created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return {
        "created_at": created,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "tlp": event.tlp,
        "ip_address": event.ip_address,
        "request_id": event.request_id,
        "changes": event.changes,
    }


def _next_timestamp() -> dt.datetime:
    """Now, but never before the newest event (call under the chain lock).

    So time order and id order of the trail agree even if the clock steps back, which lets the audit
    browser turn a date filter into an id range (enlets.core.forms.AuditFilterForm).
    """
    now = timezone.now().astimezone(dt.UTC)
    newest = AuditEvent.objects.order_by("-id").values_list("created_at", flat=True).first()
    return max(now, newest) if newest is not None else now


def object_type_of(obj: models.Model) -> str:
    return obj._meta.label_lower


def record(
    action: str,
    *,
    actor: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    tlp: str = "",
) -> AuditEvent:
    """Append one event to the chain. Call inside the transaction of the change it records."""
    ctx = context.current()
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)[:200]
        tlp = tlp or getattr(obj, "tlp", "")
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            created_at=_next_timestamp(),
            actor=actor if authenticated else None,
            actor_name=(actor.get_username() if authenticated else "")[:150],
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            object_repr=object_repr[:200],
            tlp=tlp,
            ip_address=_normalise_ip(ctx.ip_address),
            request_id=ctx.request_id[:64],
            changes=_jsonable(changes or {}),
            prev_hash=head.last_hash,
        )
        event.hash = compute_hash(event.prev_hash, hashed_fields(event))
        event.save(force_insert=True)
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
    return event


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """A JSON-ready picture of `fields` of `instance`; many-to-many fields as sorted id lists."""
    picture: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            picture[name] = sorted(getattr(instance, name).values_list("pk", flat=True)) if instance.pk else []
        elif field.is_relation:
            picture[name] = getattr(instance, field.attname)
        else:
            picture[name] = getattr(instance, name)
    return _jsonable(picture)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value changed."""
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


@dataclass
class ChainReport:
    checked: int
    broken_event_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None and not self.reason


def iter_events(chunk_size: int = 5000) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:chunk_size])
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id


def verify_chain(progress: Callable[[int], None] | None = None, every: int = 100_000) -> ChainReport:
    """Walk the chain in order; report the first event whose link or content does not hold.

    `progress`, when given, is called with the number of events checked so far every `every` events.
    """
    expected_prev = GENESIS
    checked = 0
    for event in iter_events():
        if progress is not None and checked and checked % every == 0:
            progress(checked)
        if event.prev_hash != expected_prev:
            return ChainReport(
                checked,
                event.id,
                "its link to the event before it does not match "
                "(an event before it was removed, inserted or reordered)",
            )
        if compute_hash(event.prev_hash, hashed_fields(event)) != event.hash:
            return ChainReport(checked, event.id, "its content does not match its hash (it was changed)")
        expected_prev = event.hash
        checked += 1
    head = AuditChainHead.objects.filter(id=1).first()
    head_hash = head.last_hash if head else GENESIS
    if head_hash != expected_prev:
        return ChainReport(checked, None, "the newest events are missing (the chain ends before its recorded head)")
    return ChainReport(checked)


HIDDEN = "hidden: you may not see this item"


def _shared_model(object_type: str) -> type[models.Model] | None:
    """The shared-item model an event's object_type names, or None when it names no shared item."""
    from django.apps import apps

    from enlets.core.models import SharedItem

    if not object_type or "." not in object_type:
        return None
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return None
    return model if issubclass(model, SharedItem) else None


def detail_visible_ids(user: Any, events: Iterable[AuditEvent]) -> set[int]:
    """Ids of the events whose `changes` and `object_repr` `user` may read.

    An auditor sees that a shared item changed, but what changed (and its title) only if they may
    see the item now. An event about a shared item that no longer exists shows its details only
    to the person who made the event. Events about anything else (people, groups, tokens) show
    everything. A few queries per page, whatever its length.
    """
    events = list(events)
    by_model: dict[type[models.Model], dict[str, list[AuditEvent]]] = {}
    visible: set[int] = set()
    for event in events:
        model = _shared_model(event.object_type)
        if model is None:
            visible.add(event.pk)
        else:
            by_model.setdefault(model, {}).setdefault(event.object_id, []).append(event)
    for model, grouped in by_model.items():
        pks: list[Any] = []
        for raw in grouped:
            try:
                pks.append(model._meta.pk.to_python(raw))
            except Exception:  # noqa: S112 - an id that cannot be a key names no existing item
                continue
        existing = {str(pk) for pk in model.objects.filter(pk__in=pks).values_list("pk", flat=True)}
        seen = {str(pk) for pk in model.objects.filter(pk__in=pks).visible_to(user).values_list("pk", flat=True)}
        user_pk = getattr(user, "pk", None)
        for object_id, object_events in grouped.items():
            for event in object_events:
                if object_id in seen or (
                    object_id not in existing and user_pk is not None and event.actor_id == user_pk
                ):
                    visible.add(event.pk)
    return visible
