"""`manage.py rotate`: start a new KEK epoch and re-wrap every data key under it.

Resumable: only keys wrapped under an older epoch are touched, so a run that stopped
half-way is finished by running it again (add --no-new-epoch to skip the rotation).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from rich.progress import Progress

from corridor.keys import vault
from corridor.keys.models import DataKey, epoch_of

BATCH = 500


def rewrap_all(current: int, batch: int = BATCH, progress: Progress | None = None) -> int:
    """Re-wrap every unshredded DataKey whose epoch is below `current`; returns how many."""
    pending = DataKey.objects.filter(shredded__isnull=True, epoch__lt=current)
    task = progress.add_task("re-wrapping data keys", total=pending.count()) if progress else None
    done = 0
    ring = vault.keyring()
    while True:
        with transaction.atomic():
            # Row locks keep a concurrent shred from being overwritten by a re-wrap.
            rows = list(pending.select_for_update().order_by("pk")[:batch])
            if not rows:
                return done
            blobs = ring.rewrap([(bytes(dk.wrapped), dk.context) for dk in rows])
            for dk, blob in zip(rows, blobs, strict=True):
                dk.wrapped = blob
                dk.epoch = epoch_of(blob)
                if dk.epoch < current:
                    raise RuntimeError("the key service re-wrapped under an older epoch; stopping")
            DataKey.objects.bulk_update(rows, ["wrapped", "epoch"])
        done += len(rows)
        if progress is not None and task is not None:
            progress.advance(task, len(rows))


class Command(BaseCommand):
    help = "Create a new key-encryption epoch and re-wrap every data key under it (resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-new-epoch", action="store_true", help="only finish re-wrapping under the current epoch")
        parser.add_argument("--batch", type=int, default=BATCH, help="data keys per keyring call and transaction")

    def handle(self, *args: Any, **options: Any) -> None:
        ring = vault.keyring()
        if options["no_new_epoch"]:
            current = ring.status().current_epoch
        else:
            current = ring.rotate()
            self.stdout.write(f"new key epoch: {current}")
        with Progress(transient=True) as progress:
            count = rewrap_all(current, max(1, options["batch"]), progress)
        self.stdout.write(f"re-wrapped {count} data keys under epoch {current}")
        self.stdout.write("older epochs are retired and destroyed by `purge_epochs` once no backup needs them")
