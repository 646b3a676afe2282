"""allauth adapter: the platform is invitation only, so open sign-up is closed."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # People join through an invitation (network.views.accept_invitation), never by sign-up.
        return False
