"""`corridor purge`: delete every record past its retention policy (transfer/retention.py).

Run hourly by the web process's scheduler and `corridor worker`; a systemd timer can run it
too (docs/operators/retention.md). Works while the instance is sealed. `--dry-run` lists
what would go (counts and ids) and deletes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from corridor.transfer import retention
from corridor.transfer.domain.retention import purge


class Command(BaseCommand):
    help = "Delete records kept longer than their retention policy (--dry-run: only list them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what would be deleted; delete nothing")
        parser.add_argument("--ids", action="store_true", help="print the ids of the records, not only the counts")

    def handle(self, *args: Any, **options: Any) -> None:
        result = purge(dry_run=options["dry_run"])
        verb = "would delete" if result.dry_run else "deleted"
        for policy in retention.policies():
            if policy.days is None:
                self.stdout.write(f"{policy.kind}: kept (no policy)")
                continue
            ids = result.ids.get(policy.kind, [])
            self.stdout.write(f"{policy.kind}: {verb} {len(ids)} (older than {policy.days} days)")
            if options["ids"]:
                for pk in ids:
                    self.stdout.write(f"  {pk}")
        self.stdout.write(f"total: {verb} {result.total}")
