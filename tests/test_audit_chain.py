"""The audit trail's hash chain: `manage.py audit_verify` finds every kind of tampering.

On SQLite nothing stops a direct UPDATE or DELETE, so the chain must reveal it; on PostgreSQL the
database refuses both (migration core 0003), which the last tests check.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from enlets.core import audit
from enlets.core.models import AuditEvent
from tests.factories import UserFactory

sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="PostgreSQL refuses the tampering itself")
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the trigger exists on PostgreSQL")


def make_events(n: int = 5) -> list[AuditEvent]:
    actor = UserFactory()
    return [
        audit.record(
            "test.event",
            actor=actor,
            object_type="test.thing",
            object_id=i,
            object_repr=f"thing {i}",
            changes={"n": [i, i + 1]},
        )
        for i in range(n)
    ]


def verify() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_intact_chain_verifies():
    make_events(5)
    total = AuditEvent.objects.count()
    code, out, err = verify()
    assert code == 0
    assert out.strip() == f"Audit chain intact: {total} events checked."
    assert err == ""
    assert audit.verify_chain().ok


@pytest.mark.django_db
def test_empty_chain_verifies():
    assert not AuditEvent.objects.exists()
    code, out, _ = verify()
    assert code == 0 and "Audit chain intact" in out


@pytest.mark.django_db
def test_progress_is_reported_to_stderr():
    make_events(4)
    calls: list[int] = []
    report = audit.verify_chain(progress=calls.append, every=2)
    assert report.ok
    assert calls and all(n % 2 == 0 for n in calls)


@pytest.mark.django_db
def test_each_event_links_to_the_one_before():
    events = make_events(3)
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash


@sqlite_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value",
    [
        ("changes", {"n": [0, 999]}),
        ("action", "test.innocent"),
        ("object_repr", "something else"),
        ("actor_name", "nobody"),
    ],
)
def test_a_changed_row_is_named(field, value):
    events = make_events(5)
    target = events[2]
    AuditEvent.objects.filter(pk=target.pk).update(**{field: value})
    code, out, err = verify()
    assert code == 1
    assert out == ""
    assert f"Audit chain broken at event #{target.pk}:" in err
    assert "changed" in err


@sqlite_only
@pytest.mark.django_db
def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link():
    events = make_events(5)
    target = events[1]
    target.changes = {"n": [1, 1000]}
    target.hash = audit.compute_hash(target.prev_hash, audit.hashed_fields(target))
    AuditEvent.objects.filter(pk=target.pk).update(changes=target.changes, hash=target.hash)
    code, _, err = verify()
    assert code == 1
    assert f"Audit chain broken at event #{events[2].pk}:" in err


@sqlite_only
@pytest.mark.django_db
def test_a_removed_middle_row_is_named():
    events = make_events(5)
    AuditEvent.objects.filter(pk=events[2].pk).delete()
    code, _, err = verify()
    assert code == 1
    # The first event that no longer holds is the one after the gap.
    assert f"Audit chain broken at event #{events[3].pk}:" in err
    assert "removed" in err


@sqlite_only
@pytest.mark.django_db
def test_a_removed_first_row_is_named():
    events = make_events(3)
    AuditEvent.objects.filter(pk=events[0].pk).delete()
    code, _, err = verify()
    assert code == 1 and f"at event #{events[1].pk}:" in err


@sqlite_only
@pytest.mark.django_db
def test_a_removed_last_row_is_noticed():
    events = make_events(5)
    AuditEvent.objects.filter(pk=events[-1].pk).delete()
    code, _, err = verify()
    assert code == 1
    assert f"Audit chain broken after event #{events[-2].pk}:" in err
    assert "newest events are missing" in err


@sqlite_only
@pytest.mark.django_db
def test_two_swapped_rows_are_named():
    events = make_events(5)
    a, b = events[1], events[3]
    fields = [f.attname for f in AuditEvent._meta.concrete_fields if f.attname != "id"]
    values_a = {f: getattr(a, f) for f in fields}
    values_b = {f: getattr(b, f) for f in fields}
    # hash is unique: park one row's hash while swapping.
    AuditEvent.objects.filter(pk=a.pk).update(hash="x" * 64)
    AuditEvent.objects.filter(pk=b.pk).update(**values_a)
    AuditEvent.objects.filter(pk=a.pk).update(**values_b)
    code, _, err = verify()
    assert code == 1
    assert f"Audit chain broken at event #{a.pk}:" in err


@sqlite_only
@pytest.mark.django_db
def test_an_inserted_row_is_named():
    events = make_events(3)
    forged = AuditEvent(action="test.forged", prev_hash=events[-1].hash, created_at=events[-1].created_at)
    forged.hash = audit.compute_hash(forged.prev_hash, audit.hashed_fields(forged))
    forged.save(force_insert=True)
    code, _, err = verify()
    # Its link looks right, but the chain head still names the real last event.
    assert code == 1 and "newest events are missing" in err


@postgres_only
@pytest.mark.django_db
def test_postgresql_refuses_update_and_delete():
    events = make_events(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).update(action="test.innocent")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=events[0].pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET changes = '{}' WHERE id = %s", [events[1].pk])
    assert AuditEvent.objects.get(pk=events[0].pk).action == "test.event"
    code, _, _ = verify()
    assert code == 0


@pytest.mark.django_db
def test_time_never_runs_backwards_along_the_chain(monkeypatch):
    import datetime as dt

    from django.utils import timezone

    first = audit.record("test.event")
    # The clock steps back an hour (NTP correction): the next event keeps the newest time instead.
    earlier = first.created_at - dt.timedelta(hours=1)
    monkeypatch.setattr(timezone, "now", lambda: earlier)
    second = audit.record("test.event")
    assert second.created_at == first.created_at
    assert audit.verify_chain().ok
