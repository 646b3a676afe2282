"""E-mail digests of subscriptions (daily and weekly), as background tasks (django-tasks, database
backend: scheduled runs are rows in the database, so they survive restarts).

`send_digests(frequency)` sends each subscriber one e-mail listing the practices published in the
topics and countries they follow since their last digest (or, the first time, within the period),
AND visible to them when the digest is sent (`Practice.objects.visible_to(user)`): a practice whose
marking was tightened after they subscribed is not sent; a deactivated account gets nothing. An
e-mail with nothing new is not sent. Each run then enqueues its successor (`schedule_next`), once:
if a run of that frequency is already waiting (READY), nothing more is enqueued. `manage.py
schedule_digests` starts the chain (and is harmless to run again). docs/dissemination.md explains.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from enlets.core.models import TLP
from enlets.core.shared import record_read
from enlets.practices.models import Practice, Subscription, Topic

logger = logging.getLogger(__name__)

PERIODS = {
    Subscription.Frequency.DAILY.value: dt.timedelta(days=1),
    Subscription.Frequency.WEEKLY.value: dt.timedelta(days=7),
}
# Digests go out at this hour (UTC); weekly ones on this weekday (0 = Monday).
DIGEST_HOUR = int(getattr(settings, "ENLETS_DIGEST_HOUR", 6))
DIGEST_WEEKDAY = int(getattr(settings, "ENLETS_DIGEST_WEEKDAY", 0))
MAX_ITEMS = 100  # per e-mail; the rest is one link away


@dataclass
class Digest:
    user: Any
    subscriptions: list[Subscription]
    practices: list[Practice] = field(default_factory=list)

    @property
    def strictest(self) -> str:
        return max((p.tlp for p in self.practices), key=TLP.strictness, default=TLP.CLEAR.value)


def _subject_q(subscription: Subscription) -> Q:
    """The practices a subscription is about: its topic (where the topic lives on after a merge),
    its country, or both together."""
    q = Q()
    if subscription.topic_id:
        topic: Topic = subscription.topic.final()
        q &= Q(pk__in=Practice.topics.through.objects.filter(topic_id=topic.pk).values("practice_id"))
    if subscription.country_id:
        q &= Q(
            pk__in=Practice.countries.through.objects.filter(country_id=subscription.country_id).values("practice_id")
        )
    return q


def collect_digest(user: Any, subscriptions: Iterable[Subscription], now: dt.datetime, frequency: str) -> Digest:
    """What `user` gets now: new published practices of their subscriptions that they may see now."""
    subs = list(subscriptions)
    digest = Digest(user=user, subscriptions=subs)
    if not subs or not user.is_active:
        return digest
    window = Q(pk__in=[])
    for sub in subs:
        since = sub.last_sent_at or (now - PERIODS[frequency])
        window |= _subject_q(sub) & Q(published_at__gt=since, published_at__lte=now)
    digest.practices = list(
        Practice.objects.visible_to(user)  # visibility at send time, not at subscription time
        .published()
        .filter(window)
        .select_related("owner_organisation__country")
        .prefetch_related("topics", "countries")
        .order_by("-published_at", "-pk")[:MAX_ITEMS]
    )
    return digest


def _subject_names(subscriptions: list[Subscription]) -> str:
    names = []
    for sub in subscriptions:
        parts = [str(sub.topic.final()) if sub.topic_id else "", str(sub.country) if sub.country_id else ""]
        names.append(" in ".join(p for p in parts if p))
    return ", ".join(names)


def render_digest(digest: Digest, frequency: str) -> tuple[str, str]:
    """Subject and plain-text body. The marking leads both (TLP 2.0: marked where it is read).

    Practices above GREEN show only their title, marking and link: their text stays behind sign-in.
    """
    base = settings.ENLETS_BASE_URL.rstrip("/")
    label = f"TLP:{digest.strictest}"
    count = len(digest.practices)
    subject = f"[{label}] ENLETS Hub {frequency} digest: {count} new practice{'s' if count != 1 else ''}"
    lines = [
        label,
        "",
        f"New practices in what you follow ({_subject_names(digest.subscriptions)}):",
        "",
    ]
    for practice in digest.practices:
        countries = ", ".join(c.name for c in practice.countries.all())
        topics = ", ".join(t.name for t in practice.topics.all())
        lines.append(f"* {practice.title} [TLP:{practice.tlp}]")
        lines.append(f"  {' · '.join(x for x in (countries, topics) if x)}")
        if practice.tlp in (TLP.CLEAR, TLP.GREEN) and practice.summary:
            lines.append(f"  {practice.summary[:300]}")
        lines.append(f"  {base}{practice.get_absolute_url()}")
        lines.append("")
    lines += [
        f"This e-mail carries {label} content: share it only as that marking allows.",
        f"Change or stop your digests: {base}{reverse('practices:subscriptions')}",
    ]
    return subject, "\n".join(lines)


def run_digests(frequency: str, now: dt.datetime | None = None) -> dict[str, int]:
    """Send the `frequency` digests due now. Returns counts (sent, skipped empty, failed)."""
    if frequency not in PERIODS:
        raise ValueError(f"Unknown digest frequency: {frequency!r}")
    now = now or timezone.now()
    by_user: dict[int, list[Subscription]] = defaultdict(list)
    users: dict[int, Any] = {}
    subscriptions = (
        Subscription.objects.filter(frequency=frequency, user__is_active=True)
        .exclude(user__email="")
        .select_related("user__organisation", "topic__merged_into", "country")
        .order_by("user_id", "pk")
    )
    for sub in subscriptions:
        by_user[sub.user_id].append(sub)
        users[sub.user_id] = sub.user
    counts = {"sent": 0, "empty": 0, "failed": 0}
    for user_id, subs in by_user.items():
        user = users[user_id]
        digest = collect_digest(user, subs, now, frequency)
        if not digest.practices:
            counts["empty"] += 1
            continue
        subject, body = render_digest(digest, frequency)
        try:
            with transaction.atomic():
                # Audit the AMBER+ practices that leave the platform by e-mail, one event each
                # (like an export), and move the window, together with the send.
                for practice in digest.practices:
                    record_read(user, practice, action="digest", changes={"frequency": frequency})
                Subscription.objects.filter(pk__in=[s.pk for s in subs]).update(last_sent_at=now)
                EmailMessage(subject, body, None, [user.email]).send(fail_silently=False)
        except Exception:  # one bad address must not stop everyone else's digest
            logger.exception("Digest to user %s failed", user_id)
            counts["failed"] += 1
            continue
        counts["sent"] += 1
    return counts


# --- Scheduling ------------------------------------------------------------------------------------


def next_run(frequency: str, after: dt.datetime) -> dt.datetime:
    """The next digest time strictly after `after`: DIGEST_HOUR UTC daily; on DIGEST_WEEKDAY weekly."""
    after = after.astimezone(dt.UTC)
    candidate = after.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if candidate <= after:
        candidate += dt.timedelta(days=1)
    if frequency == Subscription.Frequency.WEEKLY:
        candidate += dt.timedelta(days=(DIGEST_WEEKDAY - candidate.weekday()) % 7)
    return candidate


def pending_run(frequency: str) -> Any:
    """The waiting (READY) digest run of `frequency` in the database queue, if there is one."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return (
        DBTaskResult.objects.filter(
            status=TaskResultStatus.READY,
            task_path=send_digests.module_path,
            backend_name=send_digests.backend,
            args_kwargs__kwargs__frequency=frequency,
        )
        .order_by("run_after")
        .first()
    )


def schedule_next(frequency: str, now: dt.datetime | None = None) -> str:
    """Enqueue the next `frequency` run unless one is already waiting. Returns what it did."""
    backend = send_digests.get_backend()
    if not backend.supports_defer:
        # The immediate backend (tests) cannot wait; running now would loop for ever.
        return "not scheduled: the task backend cannot defer"
    with transaction.atomic():
        waiting = pending_run(frequency)
        if waiting is not None:
            if waiting.run_after.year >= 9999:  # the database backend's "as soon as possible"
                return "already waiting to run now"
            return f"already scheduled for {waiting.run_after:%Y-%m-%d %H:%M} UTC"
        when = next_run(frequency, now or timezone.now())
        send_digests.using(run_after=when).enqueue(frequency=frequency)
    return f"scheduled for {when:%Y-%m-%d %H:%M} UTC"


@task()
def send_digests(frequency: str) -> dict[str, Any]:
    """Send the digests of one frequency, then schedule the next run (even if this one failed)."""
    try:
        counts: dict[str, Any] = run_digests(frequency)
    finally:
        outcome = schedule_next(frequency)
    return {**counts, "next": outcome}
