"""`manage.py create_admin USERNAME --email E`: the first administrator of a new deployment.

The password comes from ENLETS_ADMIN_PASSWORD or is asked for on the terminal (never an argument,
which would end up in the shell history). The administrator sets up a second factor at first sign-in.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from enlets.core.errors import InvalidInput
from enlets.network.actions import do_bootstrap_administrator
from enlets.network.models import Organisation


class Command(BaseCommand):
    help = "Create an administrator account (for a new deployment)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--organisation", type=int, help="Id of the administrator's organisation (optional).")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = None
        if options["organisation"] is not None:
            organisation = Organisation.objects.filter(pk=options["organisation"]).first()
            if organisation is None:
                raise CommandError(f"No organisation with id {options['organisation']}.")
        password = os.environ.get("ENLETS_ADMIN_PASSWORD", "")
        if not password:
            if not os.isatty(0):
                raise CommandError("Set ENLETS_ADMIN_PASSWORD or run this command in a terminal to type the password.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        try:
            user = do_bootstrap_administrator(
                username=options["username"], email=options["email"], password=password, organisation=organisation
            )
        except InvalidInput as exc:
            problems = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.field_errors.items())
            raise CommandError(f"{exc.message} {problems}") from exc
        self.stdout.write(f"Administrator {user.username} created. They set up a second factor at first sign-in.")
