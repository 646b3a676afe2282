"""`manage.py issue_token USERNAME [--scope read|write] [--name NAME] [--days N]`

Prints the new token's secret, and nothing else, on standard output, so a script can write
`TOKEN=$(manage.py issue_token alice)`. Messages go to standard error. The token is created by
enlets.network.actions.do_create_token with the person as actor, so it is audited like one
created on the settings page.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from enlets.core.errors import ActionError
from enlets.network import actions
from enlets.network.models import ApiToken, User


class Command(BaseCommand):
    help = "Create a personal API token for USERNAME and print it alone on standard output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--scope", default=ApiToken.Scope.READ, help="read (default) or write")
        parser.add_argument("--name", default="issued by issue_token", help="What uses the token.")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Days until the token expires (1 to 366; default ENLETS_API_TOKEN_DEFAULT_DAYS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        scope: str = (options["scope"] or "").strip().lower()
        if scope not in ApiToken.Scope.values:
            raise CommandError(f"Bad scope {options['scope']!r}: use read or write.")
        user = User.objects.filter(username__iexact=username).select_related("organisation").first()
        if user is None:
            raise CommandError(f"Unknown user {username!r}.")
        if not user.is_active:
            raise CommandError(f"The account {user.username!r} is inactive (deactivated); it gets no token.")
        try:
            token, secret = actions.do_create_token(
                user, name=options["name"], scope=scope, expires_days=options["days"]
            )
        except ActionError as error:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.field_errors.items())
            raise CommandError(f"{error.message}{' (' + details + ')' if details else ''}") from error
        # stdout carries the secret alone (a script reads it); the human-readable note goes to stderr.
        self.stderr.write(
            f"Created {token.get_scope_display().lower()} token {token.key_prefix}… for {user.username}, "
            f"expires {token.expires_at:%Y-%m-%d}."
        )
        self.stdout.write(secret)
