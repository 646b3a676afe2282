"""Configuration from the environment: parsing helpers and the checks settings make at start-up.

A mistyped variable must stop the process with a message naming it, never fall back silently
(ENLETS_HTTPS=ture must not quietly turn HTTPS off).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from enlets import settings as project_settings
from enlets.network.models import Role
from enlets.settings import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "configuration.md"


# --- env_bool ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on", " On "])
def test_env_bool_true_words(monkeypatch, value):
    monkeypatch.setenv("ENLETS_X_FLAG", value)
    assert env_bool("ENLETS_X_FLAG") is True


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "off"])
def test_env_bool_false_words(monkeypatch, value):
    monkeypatch.setenv("ENLETS_X_FLAG", value)
    assert env_bool("ENLETS_X_FLAG", default=True) is False


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_unset_or_empty_gives_the_default(monkeypatch, default):
    monkeypatch.delenv("ENLETS_X_FLAG", raising=False)
    assert env_bool("ENLETS_X_FLAG", default=default) is default
    monkeypatch.setenv("ENLETS_X_FLAG", "  ")
    assert env_bool("ENLETS_X_FLAG", default=default) is default


@pytest.mark.parametrize("value", ["ture", "2", "enabled", "y e s"])
def test_env_bool_bad_value_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("ENLETS_X_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="ENLETS_X_FLAG") as caught:
        env_bool("ENLETS_X_FLAG")
    assert repr(value) in str(caught.value)


# --- env_int -------------------------------------------------------------------------------------------


def test_env_int_reads_a_number(monkeypatch):
    monkeypatch.setenv("ENLETS_X_NUMBER", " 42 ")
    assert env_int("ENLETS_X_NUMBER", 7) == 42


def test_env_int_unset_gives_the_default(monkeypatch):
    monkeypatch.delenv("ENLETS_X_NUMBER", raising=False)
    assert env_int("ENLETS_X_NUMBER", 7) == 7


@pytest.mark.parametrize("value", ["ten", "4.5", "1e3", "30m"])
def test_env_int_bad_value_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("ENLETS_X_NUMBER", value)
    with pytest.raises(ImproperlyConfigured, match="ENLETS_X_NUMBER must be a whole number"):
        env_int("ENLETS_X_NUMBER", 7)


def test_env_int_below_the_minimum_names_the_variable(monkeypatch):
    monkeypatch.setenv("ENLETS_X_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="ENLETS_X_NUMBER must be at least 1"):
        env_int("ENLETS_X_NUMBER", 7, minimum=1)
    monkeypatch.setenv("ENLETS_X_NUMBER", "1")
    assert env_int("ENLETS_X_NUMBER", 7, minimum=1) == 1


# --- env_list ------------------------------------------------------------------------------------------


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("ENLETS_X_LIST", " hub.example.eu, ,intranet.example ,")
    assert env_list("ENLETS_X_LIST") == ["hub.example.eu", "intranet.example"]
    monkeypatch.delenv("ENLETS_X_LIST")
    assert env_list("ENLETS_X_LIST", "a,b") == ["a", "b"]


# --- start-up checks, in a fresh process -------------------------------------------------------------------


def start(tmp_path: Path, code: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    """Import the production settings in a new process with the given variables; `code` prints
    what the test looks at (by default the roles that must use a second factor)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ENLETS_", "DJANGO_")) and k != "DATABASE_URL"}
    base.update(
        ENLETS_SECRET_KEY=secrets.token_urlsafe(64),
        ENLETS_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    base.update(env)
    code = code or "import enlets.settings as s; print(','.join(sorted(s.MFA_REQUIRED_ROLES)))"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)


def test_default_mfa_roles_are_every_role_but_external_partners():
    assert set(project_settings.ALL_ROLES) == set(Role.values)
    assert set(Role.values) - project_settings.MFA_REQUIRED_ROLES == {Role.EXTERNAL_PARTNER.value}


def test_mfa_roles_from_the_environment(tmp_path):
    result = start(tmp_path, ENLETS_MFA_REQUIRED_ROLES="administrator, secretariat,external_partner")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "administrator,external_partner,secretariat"


def test_unknown_mfa_role_stops_the_start(tmp_path):
    result = start(tmp_path, ENLETS_MFA_REQUIRED_ROLES="member,wizard")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "ENLETS_MFA_REQUIRED_ROLES" in result.stderr
    assert "wizard" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ENLETS_HTTPS", "ture", "ENLETS_HTTPS must be one of"),
        ("ENLETS_SESSION_IDLE_SECONDS", "half an hour", "ENLETS_SESSION_IDLE_SECONDS must be a whole number"),
        ("ENLETS_LOGIN_FAILURE_LIMIT", "0", "ENLETS_LOGIN_FAILURE_LIMIT must be at least 1"),
        ("ENLETS_MAX_UPLOAD_MB", "0", "ENLETS_MAX_UPLOAD_MB must be at least 1"),
    ],
)
def test_bad_values_stop_the_start_naming_the_variable(tmp_path, name, value, message):
    result = start(tmp_path, **{name: value})
    assert result.returncode != 0
    assert message in result.stderr


POSTGRES_OPTIONS = (
    "import enlets.settings as s; o = s.DATABASES['default']['OPTIONS'];"
    " print(o.get('server_side_binding'), o.get('prepare_threshold'), s.DATABASE_PREPARED_STATEMENTS)"
)
POSTGRES_URL = "postgres://app@db.internal:5432/enlets"


def test_postgresql_binds_on_the_server_and_prepares_only_chosen_statements(tmp_path):
    result = start(tmp_path, POSTGRES_OPTIONS, DATABASE_URL=POSTGRES_URL)
    assert result.returncode == 0, result.stderr
    # No threshold: Django's default, nothing is prepared behind the code's back.
    assert result.stdout.split() == ["True", "None", "True"]


def test_prepared_statements_can_be_turned_off_for_a_pooler(tmp_path):
    result = start(tmp_path, POSTGRES_OPTIONS, DATABASE_URL=POSTGRES_URL, ENLETS_DB_PREPARED_STATEMENTS="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "None", "False"]


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_only_the_chosen_statements_are_prepared(settings):
    """`run_prepared` statements are prepared on the connection (and reused: still one); a query
    whose plan depends on its values, run as often, is planned each time; the switch turns it off."""
    from django.db.models import Value

    from enlets.core.compiled import run_prepared
    from enlets.network.models import Organisation

    # The alias names this test's statement among those other tests prepared on the connection.
    orm_query = Organisation.objects.filter(name="nobody at all").annotate(orm_query_for_the_test=Value(1))
    for _ in range(10):
        list(orm_query.values_list("pk", "orm_query_for_the_test"))
    assert not [sql for sql in prepared_statements() if "orm_query_for_the_test" in sql]
    for value in (1, 2, 3):
        assert run_prepared("default", "SELECT %s::int + 40 AS answer_for_the_test", [value]) == [(value + 40,)]
    assert len([sql for sql in prepared_statements() if "answer_for_the_test" in sql]) == 1
    settings.DATABASE_PREPARED_STATEMENTS = False
    assert run_prepared("default", "SELECT %s::int + 2 AS unprepared_for_the_test", [40]) == [(42,)]
    assert not [sql for sql in prepared_statements() if "unprepared_for_the_test" in sql]


# --- the documented table matches the code -------------------------------------------------------------

READ_PATTERN = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_bool|env_int|env_list|env_rate)\(\s*["']([A-Z0-9_]+)["']"""
)


def variables_read_by_the_code() -> set[str]:
    """Every variable read by settings.py, and by any other module (a command may read one too)."""
    names: set[str] = set()
    for path in (ROOT / "enlets").rglob("*.py"):
        names |= set(READ_PATTERN.findall(path.read_text()))
    return names


def test_every_variable_is_documented_in_the_configuration_table():
    names = variables_read_by_the_code()
    assert {"ENLETS_SECRET_KEY", "DATABASE_URL", "ENLETS_MFA_REQUIRED_ROLES"} <= names
    documented = set(re.findall(r"^\|\s*`([A-Z0-9_]+)`", DOCS.read_text(), flags=re.MULTILINE))
    assert names - documented == set(), "add these to docs/configuration.md"
    assert documented - names == set(), "docs/configuration.md lists variables that no code reads"
