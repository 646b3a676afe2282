"""The authentication backends: Django's and allauth's, loading a signed-in person with what their
access labels need (`User.objects.with_access_facts()`), so a request works them out without
another round trip to the database."""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from enlets.network.models import User


class _LoadsAccessFacts:
    def get_user(self, user_id: Any) -> User | None:
        try:
            user = User.objects.with_access_facts().get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class ModelBackend(_LoadsAccessFacts, DjangoModelBackend):
    """Username and password (the admin, `force_login`, the first login after an invitation)."""


class AuthenticationBackend(_LoadsAccessFacts, AllauthBackend):
    """allauth's sign-in by username or e-mail."""
