"""`manage.py issue_token`: the secret alone on stdout, errors that name the problem, an audited token."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from enlets.core.models import AuditEvent
from enlets.network.actions import authenticate_token
from enlets.network.models import ApiToken, hash_secret
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def issue(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_only_the_token_and_it_authenticates(settings):
    user = UserFactory(username="operator")
    out, err = issue("operator")
    secret = out[:-1]
    assert out == secret + "\n" and "\n" not in secret and " " not in secret
    assert secret.startswith(ApiToken.PREFIX)
    assert "operator" in err and secret not in err  # the note goes to stderr, without the secret
    token = authenticate_token(secret)
    assert token is not None and token.user == user and token.scope == ApiToken.Scope.READ
    assert token.key_hash == hash_secret(secret)
    days = (token.expires_at - token.created_at).days
    assert settings.API_TOKEN_DEFAULT_DAYS - 1 <= days <= settings.API_TOKEN_DEFAULT_DAYS
    event = AuditEvent.objects.get(action="token.create", object_id=str(token.pk))
    assert event.actor == user


def test_scope_name_and_days():
    UserFactory(username="writer")
    out, _ = issue("writer", "--scope", "write", "--name", "nightly import", "--days", "7")
    token = authenticate_token(out.strip())
    assert token.scope == ApiToken.Scope.WRITE and token.name == "nightly import"
    assert 6 <= (token.expires_at - token.created_at).days <= 7


@pytest.mark.parametrize(
    "args,words",
    [
        (("nobody",), "Unknown user"),
        (("someone", "--scope", "admin"), "Bad scope"),
        (("someone", "--days", "0"), "between 1 and 366"),
    ],
)
def test_errors_name_the_problem(args, words):
    UserFactory(username="someone")
    with pytest.raises(CommandError, match=words):
        issue(*args)
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token():
    UserFactory(username="gone", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        issue("gone")
    assert not ApiToken.objects.exists()
