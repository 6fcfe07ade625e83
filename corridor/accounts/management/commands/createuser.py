"""`corridor createuser --username U --role R`: a staff account and its enrolment link."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corridor.accounts import domain
from corridor.accounts.models import Role
from corridor.core import served


class Command(BaseCommand):
    help = "Create a staff account and print its one-time enrolment link (last line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--team", action="append", default=[], help="team name (created if missing); repeatable")
        parser.add_argument("--noinput", "--no-input", action="store_true", help="never prompt (scripts)")
        parser.add_argument(
            "--base-url",
            default=None,
            help="the address staff open (default: CORRIDOR_BASE_URL, else the one `corridor serve` last bound)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            teams = [domain.team_named(None, name) for name in options["team"]]
            user, token = domain.create_user(None, username=options["username"], role=options["role"], teams=teams)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(
            f"created {user.username} ({user.get_role_display()}); enrolment link, valid {settings.ENROLMENT_HOURS} h:"
        )
        base = (options["base_url"] or served.base_url()).rstrip("/")
        self.stdout.write(f"{base}/accounts/enrol/{token}/")
