"""allauth adapter: the platform is invitation only, and a refused locked-out sign-in is audited."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.http import HttpRequest

from enlets.core import audit


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join through an invitation (network.views.accept_invitation), never by sign-up.
        return False

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth refuses a locked-out account before authenticating, so Django's
        # user_login_failed signal never fires: record the refusal here.
        try:
            super().pre_authenticate(request, **credentials)
        except forms.ValidationError:
            attempted = str(credentials.get("username") or credentials.get("email") or "")[:150]
            audit.record(
                "auth.locked_out",
                object_type="network.user",
                object_repr=attempted,
                changes={"attempted": attempted},
            )
            raise
