"""E-mail digests: what they hold is decided when they are SENT, for the person they go to.

Assertions are on the e-mail text (django.core.mail.outbox).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from enlets.core.models import AuditEvent
from enlets.practices import actions, tasks
from enlets.practices.models import Practice, Subscription
from tests.factories import OrganisationFactory, UserFactory, country, make_practice, make_topic

pytestmark = pytest.mark.django_db

AMBER_TITLE = "Amber digest practice"
GREEN_TITLE = "Green digest practice"
OTHER_TITLE = "Practice in another topic"


@pytest.fixture
def world():
    reviewer = UserFactory()
    topic = make_topic("Digest ANPR", reviewers=[reviewer])
    other = make_topic("Digest OSINT", reviewers=[reviewer])
    author = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    insider = UserFactory(organisation=OrganisationFactory(country=country("DE")))
    outsider = UserFactory(organisation=OrganisationFactory(country=country("FR")))
    for person in (insider, outsider):
        actions.do_subscribe(person, topic=topic, frequency="daily")
    return {
        "reviewer": reviewer,
        "topic": topic,
        "other": other,
        "author": author,
        "insider": insider,
        "outsider": outsider,
    }


def publish(world, title: str, tlp: str, topic=None, **extra) -> Practice:
    audience = {"audience_countries": [country("DE")]} if tlp == "AMBER" else None
    return make_practice(
        world["author"],
        topics=[topic or world["topic"]],
        state="published",
        reviewer=world["reviewer"],
        tlp=tlp,
        audience=audience,
        title=title,
        **extra,
    )


def mail_to(user) -> list:
    return [m for m in mail.outbox if user.email in m.to]


def later() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=1)


def test_digest_respects_visibility(world):
    publish(world, AMBER_TITLE, "AMBER")
    publish(world, GREEN_TITLE, "GREEN")
    publish(world, OTHER_TITLE, "GREEN", topic=world["other"])
    mail.outbox.clear()
    counts = tasks.run_digests("daily", now=later())
    assert counts == {"sent": 2, "empty": 0, "failed": 0}

    (insider_mail,) = mail_to(world["insider"])
    assert AMBER_TITLE in insider_mail.body and GREEN_TITLE in insider_mail.body
    assert OTHER_TITLE not in insider_mail.body  # not subscribed to that topic
    assert insider_mail.subject.startswith("[TLP:AMBER]") and insider_mail.body.startswith("TLP:AMBER")

    (outsider_mail,) = mail_to(world["outsider"])
    assert GREEN_TITLE in outsider_mail.body
    assert AMBER_TITLE not in outsider_mail.body and "TLP:AMBER" not in outsider_mail.body + outsider_mail.subject
    assert outsider_mail.subject.startswith("[TLP:GREEN]")

    # AMBER text stays behind sign-in; the AMBER e-mail is audited per practice.
    assert AuditEvent.objects.filter(action="practices.practice.digest", actor=world["insider"]).count() == 1
    assert not AuditEvent.objects.filter(action="practices.practice.digest", actor=world["outsider"]).exists()


def test_visibility_is_decided_at_send_time(world):
    # Subscribed while the practice was GREEN; tightened to AMBER (not their country) before the send.
    practice = publish(world, GREEN_TITLE, "GREEN")
    actions.do_update_practice(
        world["author"], practice, tlp="AMBER", audience={"audience_countries": [country("DE")]}, note="Tightened"
    )
    mail.outbox.clear()
    tasks.run_digests("daily", now=later())
    assert mail_to(world["outsider"]) == []  # nothing left for them: no e-mail at all
    (insider_mail,) = mail_to(world["insider"])
    assert GREEN_TITLE in insider_mail.body


def test_digest_window_moves_and_skips_empty(world):
    publish(world, GREEN_TITLE, "GREEN")
    mail.outbox.clear()
    first = later()
    tasks.run_digests("daily", now=first)
    assert len(mail.outbox) == 2
    assert set(Subscription.objects.values_list("last_sent_at", flat=True)) == {first}
    # Nothing new since: no e-mail, the window stays.
    mail.outbox.clear()
    counts = tasks.run_digests("daily", now=first + dt.timedelta(days=1))
    assert mail.outbox == [] and counts["empty"] == 2
    # Weekly subscribers are not in the daily run.
    assert tasks.run_digests("weekly", now=first) == {"sent": 0, "empty": 0, "failed": 0}


def test_first_digest_covers_one_period(world):
    practice = publish(world, GREEN_TITLE, "GREEN")
    Practice.objects.filter(pk=practice.pk).update(published_at=timezone.now() - dt.timedelta(days=3))
    mail.outbox.clear()
    tasks.run_digests("daily", now=later())
    assert mail.outbox == []  # published before the first day's window


def test_deactivated_users_get_nothing(world):
    publish(world, GREEN_TITLE, "GREEN")
    world["outsider"].is_active = False
    world["outsider"].save()
    mail.outbox.clear()
    tasks.run_digests("daily", now=later())
    assert mail_to(world["outsider"]) == []
    assert len(mail_to(world["insider"])) == 1


def test_country_subscription(world):
    polish = UserFactory(organisation=OrganisationFactory(country=country("PL")))
    actions.do_subscribe(polish, country=country("DE"), frequency="weekly")
    publish(world, GREEN_TITLE, "GREEN", topic=world["other"])  # the author is German: DE is involved
    mail.outbox.clear()
    tasks.run_digests("weekly", now=later())
    (polish_mail,) = mail_to(polish)
    assert GREEN_TITLE in polish_mail.body and "weekly" in polish_mail.subject


def test_send_digests_task_runs(world):
    publish(world, GREEN_TITLE, "GREEN")
    mail.outbox.clear()
    result = tasks.send_digests.enqueue(frequency="daily")  # the immediate backend in tests
    assert result.return_value["sent"] == 2
    assert "cannot defer" in result.return_value["next"]


# --- Scheduling ------------------------------------------------------------------------------------


def test_next_run_times():
    monday_5 = dt.datetime(2026, 11, 30, 5, 0, tzinfo=dt.UTC)  # a Monday
    assert tasks.next_run("daily", monday_5) == dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    assert tasks.next_run("daily", monday_5.replace(hour=6)) == dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)
    assert tasks.next_run("weekly", monday_5) == dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.UTC)
    assert tasks.next_run("weekly", monday_5.replace(hour=7)) == dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_schedule_digests_is_idempotent(database_tasks, capsys):
    from django_tasks_db.models import DBTaskResult

    call_command("schedule_digests")
    call_command("schedule_digests")
    waiting = DBTaskResult.objects.filter(task_path="enlets.practices.tasks.send_digests", status="READY")
    assert sorted(r.args_kwargs["kwargs"]["frequency"] for r in waiting) == ["daily", "weekly"]
    assert all(r.run_after > timezone.now() for r in waiting)
    assert "already scheduled" in capsys.readouterr().out


def test_each_run_enqueues_its_successor_once(database_tasks, world):
    from django_tasks_db.models import DBTaskResult

    publish(world, GREEN_TITLE, "GREEN")
    mail.outbox.clear()
    # What the worker does: call the task's function (its own row is RUNNING, not READY).
    outcome = tasks.send_digests.call(frequency="daily")
    assert outcome["sent"] == 2 and outcome["next"].startswith("scheduled for")
    again = tasks.send_digests.call(frequency="daily")
    assert again["sent"] == 0 and again["next"].startswith("already scheduled")
    waiting = DBTaskResult.objects.filter(task_path="enlets.practices.tasks.send_digests", status="READY")
    assert [r.args_kwargs["kwargs"]["frequency"] for r in waiting] == ["daily"]


def test_schedule_digests_refuses_a_backend_that_cannot_wait():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="cannot schedule"):
        call_command("schedule_digests")


def test_schedule_digests_now_adds_one_immediate_run(database_tasks):
    from django_tasks_db.models import DBTaskResult

    call_command("schedule_digests", "--now", "weekly")
    waiting = DBTaskResult.objects.filter(task_path="enlets.practices.tasks.send_digests", status="READY")
    assert sorted(r.args_kwargs["kwargs"]["frequency"] for r in waiting) == ["daily", "weekly", "weekly"]
    assert tasks.schedule_next("weekly").startswith("already")
