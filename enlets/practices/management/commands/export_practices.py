"""`manage.py export_practices OUT.json [--topic slug] [--country NL] [--state published] [--as USERNAME]`

Writes the practices one person may see (with --as), or only what anyone may see (without it:
TLP:CLEAR, released) into a JSON file that `import_practices` on another instance reads. The
export is audited (one event naming every uid). docs/interchange.md describes the format.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from enlets.core.errors import ActionError
from enlets.network.models import Country, User
from enlets.practices import interchange
from enlets.practices.models import Practice, Topic


class Command(BaseCommand):
    help = "Export practices (with revisions and attachments) to a JSON file for another ENLETS Hub instance."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("out", help="The file to write, or - for standard output.")
        parser.add_argument("--topic", default="", help="Only practices of this topic (its slug, e.g. anpr).")
        parser.add_argument("--country", default="", help="Only practices involving this country (code, e.g. NL).")
        parser.add_argument(
            "--state", default="", help=f"Only practices in this state ({', '.join(Practice.State.values)})."
        )
        parser.add_argument(
            "--as",
            dest="as_user",
            default="",
            help="Export what this person may see. Without it, only TLP:CLEAR published practices.",
        )

    def handle(self, *args: Any, out: str, topic: str, country: str, state: str, as_user: str, **options: Any) -> None:
        if topic and not Topic.objects.filter(slug=topic).exists():  # access: topics are public
            raise CommandError(
                f"Unknown topic {topic!r}. Topics: {', '.join(Topic.objects.values_list('slug', flat=True))}."
            )
        if country and not Country.objects.filter(pk=country.upper()).exists():  # access: public
            raise CommandError(f"Unknown country code {country!r}.")
        if state and state not in Practice.State.values:
            raise CommandError(f"Unknown state {state!r}. States: {', '.join(Practice.State.values)}.")
        actor = None
        if as_user:
            actor = User.objects.filter(username=as_user).first()  # access: the operator names who to export as
            if actor is None:
                raise CommandError(f"No person with the username {as_user!r}.")
            if not actor.is_active:
                raise CommandError(f"{as_user} is deactivated and sees nothing.")
        try:
            document = interchange.do_export_practices(actor, topic=topic, country=country, state=state)
        except ActionError as exc:
            raise CommandError(exc.message) from exc
        text = interchange.export_json(document)
        count = len(document["practices"])
        whom = f"as {actor.username}" if actor else "as an anonymous visitor (TLP:CLEAR only)"
        if out == "-":
            sys.stdout.write(text + "\n")
            self.stderr.write(f"Exported {count} practices {whom}.")
            return
        Path(out).write_text(text + "\n", encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Exported {count} practices {whom} to {out}."))
