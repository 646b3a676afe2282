"""The API's rate limit: per person (or address), a 429 with Retry-After above it, nothing below."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.cache import caches

from tests.factories import UserFactory
from tests.test_api_helpers import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit_of_three(settings, monkeypatch):
    settings.API_RATE_LIMIT = (3, 60)
    # The windows are fixed minutes of the clock: a test whose requests straddled the turn of a
    # minute would start a new window halfway (it happened in CI). The limiter's clock stands still
    # in the middle of a window instead.
    monkeypatch.setattr("enlets.core.api.time", SimpleNamespace(time=lambda: 1_800_000_030.0))
    caches["throttle"].clear()
    yield
    caches["throttle"].clear()


def test_a_person_above_the_limit_gets_429_with_retry_after(limit_of_three):
    api = as_user(UserFactory())
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    refused = api.get("/me")
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and "at most 3" in body["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60


def test_the_limit_is_per_person(limit_of_three):
    first, second = as_user(UserFactory()), as_user(UserFactory())
    for _ in range(3):
        first.get("/me")
    assert first.get("/me").status_code == 429
    assert second.get("/me").status_code == 200


def test_a_refused_write_changes_nothing(limit_of_three):
    from enlets.documents.models import Document

    api = as_user(UserFactory())
    for _ in range(3):
        api.get("/me")
    response = api.post("/documents", {"title": "Over the limit"})
    assert response.status_code == 429
    assert not Document.objects.filter(title="Over the limit").exists()


def test_off_means_no_limit(settings):
    settings.API_RATE_LIMIT = None
    api = as_user(UserFactory())
    assert {api.get("/me").status_code for _ in range(20)} == {200}


@pytest.mark.parametrize(
    ("value", "expected"), [("600/m", (600, 60)), ("10/s", (10, 1)), ("off", None), ("5/hour", (5, 3600))]
)
def test_the_setting_is_parsed(monkeypatch, value, expected):
    from enlets.settings import env_rate

    monkeypatch.setenv("ENLETS_TEST_RATE", value)
    assert env_rate("ENLETS_TEST_RATE", "off") == expected


@pytest.mark.parametrize("value", ["600", "x/m", "10/week", "-1/m"])
def test_a_bad_setting_names_the_variable(monkeypatch, value):
    from django.core.exceptions import ImproperlyConfigured

    from enlets.settings import env_rate

    monkeypatch.setenv("ENLETS_TEST_RATE", value)
    with pytest.raises(ImproperlyConfigured, match="ENLETS_TEST_RATE"):
        env_rate("ENLETS_TEST_RATE", "off")
