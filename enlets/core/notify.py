"""In-app notifications and their e-mails, for every app.

`notify()` is called inside an action's transaction. It writes one Notification per recipient who
may see the item at that moment (the visibility rule decides, as everywhere), and sends the e-mail
through the task worker after commit, so a rolled-back action notifies nobody.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models

from enlets.core import access
from enlets.core.context import in_bulk_load
from enlets.core.models import Notification
from enlets.core.tasks import send_email_after_commit


def notify(
    recipients: Iterable[Any],
    *,
    verb: str,
    text: str,
    item: models.Model | None = None,
    url: str = "",
    actor: Any = None,
    email: bool = True,
) -> list[Notification]:
    """Notify each active recipient (never the actor) who may see `item`; return what was written."""
    made: list[Notification] = []
    seen: set[int] = set()
    for person in recipients:
        if person is None or person.pk in seen or not person.is_active:
            continue
        seen.add(person.pk)
        if actor is not None and person.pk == getattr(actor, "pk", None):
            continue
        if item is not None and hasattr(type(item).objects, "visible_to") and not access.can_see(person, item):
            continue
        link = url or (item.get_absolute_url() if item is not None and hasattr(item, "get_absolute_url") else "")
        made.append(
            Notification(
                recipient=person,
                verb=verb,
                text=text[:300],
                url=link[:300],
                object_type=item._meta.label_lower if item is not None else "",
                object_id=str(item.pk) if item is not None else "",
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                emailed=bool(email and person.email) and not in_bulk_load(),
            )
        )
    Notification.objects.bulk_create(made)
    for note in made:
        if note.emailed:
            base = settings.ENLETS_BASE_URL.rstrip("/")
            body = f"{note.text}\n\n{base}{note.url}\n\nYou get this because of your role in ENLETS Hub."
            send_email_after_commit(f"[ENLETS Hub] {note.text[:120]}", body, [note.recipient.email])
    return made
