"""`manage.py schedule_digests`: put the next daily and weekly digest runs in the task queue.

Each run enqueues its own successor, so this is needed once per database (and after the queue
was emptied). Running it again changes nothing while a run of each frequency is waiting.
`--now daily|weekly` also enqueues a run right away (for operators and demos).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from enlets.practices.models import Subscription
from enlets.practices.tasks import schedule_next, send_digests


class Command(BaseCommand):
    help = "Schedule the daily and weekly e-mail digests of practice subscriptions (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--now",
            choices=Subscription.Frequency.values,
            help="Also send the digests of this frequency now (through the worker).",
        )

    def handle(self, *args: Any, now: str | None = None, **options: Any) -> None:
        if not send_digests.get_backend().supports_defer:
            raise CommandError("The task backend cannot schedule runs for later; configure the database backend.")
        for frequency in Subscription.Frequency.values:
            outcome = schedule_next(frequency)
            self.stdout.write(f"{frequency} digests: {outcome}")
        if now:
            send_digests.enqueue(frequency=now)
            self.stdout.write(f"{now} digests: enqueued to run now")
