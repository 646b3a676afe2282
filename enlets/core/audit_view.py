"""What an auditor may read of an audit event, as (object_repr, changes): for the API and the browser.

The rule itself lives in `enlets.core.audit.detail_visible_ids` (one place): an auditor sees that
an item changed (who, what action, when, from where, which object id); the change (`changes`) and
the item's name (`object_repr`, usually its title) of a shared item only when they may see the
item now, by the same `visible_to` query as everywhere else. An event about a shared item that
no longer exists shows its details only to the person who made the event. Events about
anything that is not a shared item (accounts, tokens, groups, countries, organisations,
invitations, sign-ins) show everything.

For a page of events call `audit.detail_visible_ids(user, events)` once and pass the result to
each `visible_changes(...)`, so the page costs a few queries whatever its length.
"""

from __future__ import annotations

from typing import Any

from enlets.core import audit
from enlets.core.models import AuditEvent

HIDDEN = audit.HIDDEN


def visible_changes(
    event: AuditEvent, user: Any, visible_ids: set[int] | None = None
) -> tuple[str, dict[str, Any] | None]:
    """(object_repr, changes) as `user` may read them; (HIDDEN, None) when they may not."""
    if visible_ids is None:
        visible_ids = audit.detail_visible_ids(user, [event])
    if event.pk in visible_ids:
        return event.object_repr, event.changes
    return HIDDEN, None
