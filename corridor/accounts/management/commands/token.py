"""`corridor token create USER`: a new API token, printed alone on the last line.

`token activate PREFIX` re-activates a token suspended by a lockdown, an unseal or "end all sessions".
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corridor.accounts import domain
from corridor.accounts.models import ApiToken, User


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. Tokens are shown once and stored only as HMACs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for USER and print it on the last line")
        create.add_argument("username")
        create.add_argument("--name", default="", help="what the token is for")
        listing = sub.add_parser("list", help="list USER's active tokens (prefixes only)")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="revoke the token with this prefix")
        revoke.add_argument("prefix")
        activate = sub.add_parser("activate", help="re-activate the suspended token with this prefix (after a lockdown or unseal)")
        activate.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "revoke":
            count = domain.revoke_tokens_with_prefix(None, options["prefix"])
            if not count:
                raise CommandError("no active token has that prefix")
            self.stdout.write(f"revoked {count} token(s)")
            return
        if action == "activate":
            records = domain.active_tokens_with_prefix(options["prefix"])
            if not records:
                raise CommandError("no active token has that prefix")
            try:
                for record in records:
                    domain.activate_api_token(None, record)
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            self.stdout.write(f"re-activated {len(records)} token(s)")
            return
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user named {options['username']!r}")
        if action == "list":
            for record in ApiToken.objects.filter(user=user, revoked__isnull=True):
                state = "  suspended" if record.is_suspended() else ""
                self.stdout.write(f"{record.prefix}…  {record.name}  created {record.created:%Y-%m-%d}{state}")
            return
        try:
            token = domain.create_api_token(None, user, options["name"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"API token for {user.username} (role {user.role}); it is shown only now:")
        created = ApiToken.find_active(token)
        if created is not None and created.is_suspended():
            # The token stays the last line; the warning goes where scripts do not parse.
            self.stderr.write("the instance is sealed: this token works once it is unsealed and `corridor token activate` is run")
        self.stdout.write(token)
