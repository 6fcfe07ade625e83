"""`corridor restore FILE --identity ID [--force]`: rebuild this instance from a backup.

Onto a fresh data directory and an empty database (or replacing what is there, with
--force). The archive is checked whole before anything changes. Afterwards the instance is
sealed: start it and have the trustees unseal it with the shares they already hold.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from corridor.transfer import backup


class Command(BaseCommand):
    help = "Restore this instance from an encrypted backup (a fresh data directory and empty database)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--identity", required=True, metavar="FILE", help="a trustee's age identity file (age-keygen)")
        parser.add_argument("--force", action="store_true", help="replace a non-empty instance (its data is lost)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        for name in backup.sweep_stale():
            self.stderr.write(f"removed {name}: the working directory of a backup, verify or restore that did not finish")
        try:
            manifest = backup.restore(path, backup.read_identity(Path(options["identity"])), force=options["force"])
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"restored backup {manifest.backup_id} taken {manifest.created} ({sum(manifest.counts.values())} rows); "
            "run `corridor migrate` if this version is newer, start the instance and unseal it with the trustees' shares"
        )
