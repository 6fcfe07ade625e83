"""`manage.py rotate`: start a new KEK epoch and re-wrap every data key under it.

Resumable: only keys wrapped under an older epoch are touched, so a run that stopped
half-way is finished by running it again (add --no-new-epoch to skip the rotation).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.progress import Progress

from corridor.keys import epochs

BATCH = epochs.BATCH


class Command(BaseCommand):
    help = "Create a new key-encryption epoch and re-wrap every data key under it (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-new-epoch", action="store_true", help="only finish re-wrapping under the current epoch")
        parser.add_argument("--batch", type=int, default=BATCH, help="data keys per keyring call and transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["no_new_epoch"]:
            current = epochs.current_epoch()
        else:
            current = epochs.rotate()
            self.stdout.write(f"new key epoch: {current}")
        with Progress(transient=True) as progress:
            task = progress.add_task("re-wrapping data keys", total=epochs.pending_rewrap(current))
            count = epochs.rewrap_all(current, max(1, options["batch"]), lambda done: progress.advance(task, done))
        self.stdout.write(f"re-wrapped {count} data keys under epoch {current}")
        self.stdout.write("older epochs are retired and destroyed by `purge_epochs` once no backup needs them")
