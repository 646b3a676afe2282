"""API v1: authentication, scopes, the error format and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from enlets.network.actions import do_create_token, do_deactivate, do_revoke_token
from enlets.network.models import ApiToken, Role
from tests.factories import UserFactory
from tests.test_api_helpers import API, as_user

pytestmark = pytest.mark.django_db


def _assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "code", "errors"}
    assert body["code"] == code
    assert body["message"]
    return body


def test_missing_token_is_401_json(client):
    response = client.get(f"{API}/me")
    _assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer enl_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer"])
def test_malformed_or_unknown_token_is_401(client, header):
    response = client.get(f"{API}/documents", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["code"] in {"not_authenticated", "token_invalid"}


def test_revoked_token_is_401(client, user):
    token, secret = do_create_token(user, name="script", scope="write")
    assert client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    do_revoke_token(user, token)
    _assert_error(client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}), 401, "token_revoked")


def test_expired_token_is_401(client, user):
    token, secret = do_create_token(user, name="script", scope="read", expires_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _assert_error(client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}), 401, "token_expired")


def test_token_of_deactivated_person_is_401(client, user):
    _token, secret = do_create_token(user, name="script")
    ncp = UserFactory(role=Role.NCP, organisation__country=user.organisation.country)
    do_deactivate(ncp, user)  # revokes the person's tokens too
    _assert_error(client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}), 401, "token_revoked")


def test_token_of_inactive_person_is_401_even_if_not_revoked(client, user):
    _token, secret = do_create_token(user, name="script")
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    _assert_error(client.get(f"{API}/me", headers={"Authorization": f"Bearer {secret}"}), 401, "account_inactive")


def test_read_scope_token_cannot_write(user):
    api = as_user(user, scope="read")
    assert api.get("/documents").status_code == 200
    response = api.post("/documents", {"title": "Not allowed"})
    _assert_error(response, 403, "forbidden")
    assert "read scope" in response.json()["message"]
    assert api.post("/tokens", {"name": "x"}).status_code == 403


def test_write_scope_token_writes(user):
    response = as_user(user).post("/documents", {"title": "Allowed"})
    assert response.status_code == 201, response.content


def test_session_works_for_active_person_with_second_factor(client, user):
    client.force_login(user)
    response = client.get(f"{API}/me")
    assert response.status_code == 200
    assert response.json()["username"] == user.username


def test_session_without_required_second_factor_is_401(client):
    person = UserFactory(second_factor=False)
    client.force_login(person)
    assert client.get(f"{API}/me").status_code == 401


def test_session_of_inactive_person_is_401(client, user):
    client.force_login(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(f"{API}/me").status_code == 401


def test_me(user):
    body = as_user(user).get("/me").json()
    assert body["username"] == user.username
    assert body["first_name"] == user.first_name and body["last_name"] == user.last_name
    assert body["role"] == "member"
    assert body["organisation"] == user.organisation_id
    assert body["country"] == "NL"
    assert body["vetted"] is True
    assert body["has_second_factor"] is True
    assert body["groups"] == []


def test_unknown_ordering_is_422_naming_the_field(user):
    response = as_user(user).get("/documents", {"ordering": "password"})
    body = _assert_error(response, 422, "invalid")
    assert "ordering" in body["errors"]


def test_openapi_document_builds_with_every_path(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = json.loads(response.content)
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in [
        "/me",
        "/countries",
        "/organisations",
        "/organisations/{organisation_id}",
        "/people",
        "/people/{username}",
        "/groups",
        "/groups/{slug}",
        "/groups/{slug}/memberships",
        "/groups/{slug}/join",
        "/groups/{slug}/requests/{membership_id}",
        "/documents",
        "/documents/{document_id}",
        "/documents/{document_id}/attachments",
        "/documents/{document_id}/attachments/{attachment_id}",
        "/tokens",
        "/tokens/{token_id}",
        "/audit/events",
        "/audit/events/{event_id}",
    ]:
        assert f"{API}{path}" in paths, path
    assert set(paths[f"{API}/documents/{{document_id}}"]) == {"get", "patch", "delete"}
    # Paginated lists document the page envelope.
    schemas = spec["components"]["schemas"]
    assert {"count", "count_is_exact", "page", "page_size", "results"} <= set(
        schemas["PagedDocumentListOut"]["properties"]
    )
    assert spec["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}


def test_docs_page_uses_no_outside_host(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    # The assets the page loads are served by the platform itself.
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("path", ["/", "/nothing-here", "/documents/1/nope", "/me/"])
def test_unknown_api_paths_answer_json_404(client, path):
    response = client.get(f"{API}{path}")
    _assert_error(response, 404, "not_found")


def test_session_writes_need_the_csrf_token(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(f"{API}/documents", json.dumps({"title": "x"}), content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    client.get(f"{API}/docs")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"{API}/documents", json.dumps({"title": "x"}), content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201, response.content


def test_a_method_an_endpoint_lacks_is_json_405(user):
    api = as_user(user)
    response = api.client.put(f"{API}/documents/1", "{}", content_type="application/json", headers=api._headers())
    _assert_error(response, 405, "method_not_allowed")
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH", "DELETE"}
