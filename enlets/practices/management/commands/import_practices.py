"""`manage.py import_practices IN.json --as USERNAME [--dry-run]`

Reads a file written by `export_practices` (on this or another instance). The whole file is
checked first; any problem refuses it with a message naming the practice and the field, and
nothing changes. Practices are matched on their uid, so importing a file twice changes nothing the
second time. Only the Core Group and the Secretariat import. docs/interchange.md has the rules.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from enlets.network.models import User
from enlets.practices import interchange


class Command(BaseCommand):
    help = "Import practices from an export_practices JSON file (idempotent; all or nothing)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", help="The file to read, or - for standard input.")
        parser.add_argument(
            "--as", dest="as_user", required=True, help="The importing person (Core Group or Secretariat)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and say what would change; change nothing."
        )

    def handle(self, *args: Any, source: str, as_user: str, dry_run: bool, **options: Any) -> None:
        actor = User.objects.filter(username=as_user).first()
        if actor is None:
            raise CommandError(f"No person with the username {as_user!r}.")
        if not interchange.can_import(actor):
            raise CommandError(
                f"{as_user} may not import practices: only active members of the Core Group and the Secretariat do."
            )
        try:
            raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {source}: {exc.strerror}.") from exc
        try:
            plan = interchange.parse_file(raw)
            result = interchange.preview(actor, plan) if dry_run else interchange.do_import_practices(actor, plan)
        except interchange.InterchangeError as exc:
            raise CommandError(str(exc)) from exc
        for note in result.notes:
            self.stdout.write(note)
        if dry_run:
            self.stdout.write(f"Dry run, nothing changed. Would have: {result.summary()}.")
        else:
            self.stdout.write(self.style.SUCCESS(result.summary()))
