"""`manage.py audit_verify`: walk the hash chain of the audit trail and name the first broken link.

Exit status 0 when the chain is intact, 1 when it is not (for cron jobs and monitoring).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from enlets.core.audit import verify_chain
from enlets.core.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 naming the first broken event if it was tampered with."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--progress", action="store_true", help="Print progress to standard error every 100,000 events."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def progress(checked: int) -> None:
            self.stderr.write(f"… {checked:,} events checked")

        report = verify_chain(progress=progress if options["progress"] else None)
        if report.ok:
            self.stdout.write(f"Audit chain intact: {report.checked} events checked.")
            return
        if report.broken_event_id is not None:
            where = f"at event #{report.broken_event_id}"
        else:
            # The rows that are left hold together, but the recorded head says there were more.
            last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
            where = f"after event #{last}" if last is not None else "at its start"
        self.stderr.write(f"Audit chain broken {where}: {report.reason}")
        # Not CommandError: its "CommandError:" prefix would hide the message scripts grep for.
        sys.exit(1)
