"""Sign-ins, sign-outs and failed sign-ins go on the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from enlets.core import audit


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record("auth.login", actor=user, obj=user)


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record("auth.logout", actor=user, obj=user)


@receiver(user_login_failed)
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The attempted name is kept (it may be a typo of a real one); the password never is.
    attempted = str(credentials.get("username") or credentials.get("email") or "")[:150]
    audit.record(
        "auth.login_failed", object_type="network.user", object_repr=attempted, changes={"attempted": attempted}
    )
