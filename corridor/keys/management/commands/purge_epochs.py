"""`manage.py purge_epochs`: retire KEK epochs no key uses, destroy them after the backup window.

Destroying an epoch is what makes a shredded key unrecoverable from backups (Invariant 7),
and also makes every backup older than the window unreadable: that is the point.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from corridor.keys.epochs import purge


class Command(BaseCommand):
    help = "Retire key epochs no data key uses; destroy retired ones older than the backup window."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than-days",
            type=int,
            default=getattr(settings, "KEY_EPOCH_RETENTION_DAYS", 35),
            help="backup retention window in days (default: KEY_EPOCH_RETENTION_DAYS, 35)",
        )
        parser.add_argument("--dry-run", action="store_true", help="say what would happen, change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["older_than_days"]
        if days < 0:
            raise CommandError("--older-than-days must be zero or more")
        result = purge(days, dry_run=options["dry_run"])
        verb = "would be" if options["dry_run"] else "were"
        self.stdout.write(f"epochs that {verb} retired: {result['retired'] or 'none'}")
        self.stdout.write(f"epochs that {verb} destroyed: {result['destroyed'] or 'none'}")
