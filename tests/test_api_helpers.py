"""Helpers for the API tests: a test client that sends a personal token on every request."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from enlets.network.actions import do_create_token
from enlets.network.models import User

API = "/api/v1"


class TokenClient:
    """Calls the API as `user` with a fresh token of `scope`; JSON bodies in, responses out."""

    def __init__(self, user: User, scope: str = "write") -> None:
        self.user = user
        self.token, self.secret = do_create_token(user, name="test", scope=scope)
        self.client = Client()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(API + path, params or {}, headers=self._headers())

    def post(self, path: str, data: Any = None) -> Any:
        return self.client.post(
            API + path, json.dumps(data or {}), content_type="application/json", headers=self._headers()
        )

    def patch(self, path: str, data: Any) -> Any:
        return self.client.patch(API + path, json.dumps(data), content_type="application/json", headers=self._headers())

    def delete(self, path: str) -> Any:
        return self.client.delete(API + path, headers=self._headers())

    def upload(self, path: str, files: dict[str, Any]) -> Any:
        return self.client.post(API + path, files, headers=self._headers())


def as_user(user: User, scope: str = "write") -> TokenClient:
    return TokenClient(user, scope)
