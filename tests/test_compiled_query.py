"""enlets.core.compiled: a queryset compiled once gives what the ORM gives, and is not compiled again."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db.models import Count
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from enlets.core.compiled import CompiledQuery
from enlets.network.actions import authenticate_token, do_create_token, do_revoke_token
from enlets.network.models import ApiToken, User, hash_secret
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in type(obj)._meta.concrete_fields}


def _token_query() -> CompiledQuery[ApiToken]:
    return CompiledQuery(
        ApiToken,
        lambda key_hash: ApiToken.objects.select_related("user", "user__organisation").filter(key_hash=key_hash),
        marker="-",
    )


def test_rows_become_the_instances_the_orm_gives(django_assert_num_queries) -> None:
    """Every field of the token, its user and the user's organisation as the ORM reads them (dates
    converted and time-zone aware on both databases), the related objects loaded; nothing found for
    an unknown value; a user without organisation has none."""
    person = UserFactory(organisation=OrganisationFactory())
    token, secret = do_create_token(person, name="compiled", scope="read")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    query = _token_query()
    with django_assert_num_queries(1):
        (found,) = query.fetch(hash_secret(secret))
        # select_related: the user and the organisation come with the token, no further query.
        assert found.user.organisation.name == person.organisation.name
    expected = ApiToken.objects.select_related("user", "user__organisation").get(pk=token.pk)
    assert _fields(found) == _fields(expected)
    assert _fields(found.user) == _fields(expected.user)
    assert _fields(found.user.organisation) == _fields(expected.user.organisation)
    assert timezone.is_aware(found.created_at) and timezone.is_aware(found.last_used_at)
    assert query.fetch(hash_secret("enl_nobody")) == []
    loner = UserFactory(organisation=None)
    _, loner_secret = do_create_token(loner, name="no organisation", scope="read")
    (loner_token,) = query.fetch(hash_secret(loner_secret))
    assert loner_token.user == loner and loner_token.user.organisation is None


def test_compiled_once_then_only_run() -> None:
    person = UserFactory()
    _, secret = do_create_token(person, name="once", scope="read")
    query = _token_query()
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as as_sql:
        for _ in range(3):
            assert query.fetch(hash_secret(secret))[0].user == person
    assert as_sql.call_count == 1


def test_annotations_are_set_like_the_orm_sets_them() -> None:
    person = UserFactory()
    do_create_token(person, name="a", scope="read")
    do_create_token(person, name="b", scope="read")
    query = CompiledQuery(User, lambda pk: User.objects.filter(pk=pk).annotate(tokens=Count("api_tokens")), marker=-1)
    assert query.fetch(person.pk)[0].tokens == 2


def test_a_marker_that_is_not_exactly_one_parameter_is_refused() -> None:
    query = CompiledQuery(ApiToken, lambda value: ApiToken.objects.filter(name=value, key_hash=value), marker="x")
    with pytest.raises(ValueError, match="exactly one"):
        query.fetch("y")


def test_the_api_token_look_up_still_refuses_revoked_and_inactive() -> None:
    person = UserFactory()
    token, secret = do_create_token(person, name="t", scope="read")
    assert authenticate_token(secret).pk == token.pk
    do_revoke_token(person, token)
    assert authenticate_token(secret) is None
    other = UserFactory()
    _, other_secret = do_create_token(other, name="t", scope="read")
    User.objects.filter(pk=other.pk).update(is_active=False)
    assert authenticate_token(other_secret) is None
