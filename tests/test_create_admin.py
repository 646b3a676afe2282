import pytest
from django.core.management import CommandError, call_command

from enlets.core.models import AuditEvent
from enlets.network.models import Role, User


@pytest.mark.django_db
def test_create_admin_makes_a_vetted_administrator_and_audits_it(monkeypatch, capsys):
    monkeypatch.setenv("ENLETS_ADMIN_PASSWORD", "a long and unusual passphrase 9")
    call_command("create_admin", "chief", "--email", "Chief@Example.eu")
    user = User.objects.get(username="chief")
    assert user.role == Role.ADMINISTRATOR
    assert user.is_vetted
    assert user.email == "chief@example.eu"
    assert user.check_password("a long and unusual passphrase 9")
    assert AuditEvent.objects.filter(action="user.bootstrap_administrator", object_id=str(user.pk)).exists()
    assert "created" in capsys.readouterr().out


@pytest.mark.django_db
def test_create_admin_refuses_a_weak_password_and_creates_nothing(monkeypatch):
    monkeypatch.setenv("ENLETS_ADMIN_PASSWORD", "short")
    with pytest.raises(CommandError, match="password"):
        call_command("create_admin", "chief", "--email", "chief@example.eu")
    assert not User.objects.filter(username="chief").exists()


@pytest.mark.django_db
def test_create_admin_refuses_a_taken_name(monkeypatch):
    monkeypatch.setenv("ENLETS_ADMIN_PASSWORD", "a long and unusual passphrase 9")
    call_command("create_admin", "chief", "--email", "chief@example.eu")
    with pytest.raises(CommandError, match="taken"):
        call_command("create_admin", "Chief", "--email", "other@example.eu")
