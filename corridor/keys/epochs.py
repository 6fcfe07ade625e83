"""Key epochs over time: rotate to a new KEK, re-wrap data keys under it, retire and destroy old ones.

Each change is reported to the audit log in the transaction it runs in: reported first, so a
refused report changes nothing, and a change keyd refuses takes its entry with it. A change keyd
may have made (no reply: KeyServiceUnavailable) keeps its entry, as does a rotation keyd numbered
otherwise than expected (with a second entry for the epoch it made): never an act without one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from django.db import transaction

from corridor.keys import instance
from corridor.keys.errors import KeyServiceUnavailable
from corridor.keys.events import KeyEvent, report
from corridor.keys.models import DataKey, epoch_of, epochs_in_use

BATCH = 500


class Advance(Protocol):
    """Told how many data keys each batch re-wrapped (a progress bar, say)."""

    def __call__(self, done: int) -> None: ...


@contextmanager
def _reported(event: KeyEvent, **details: Any) -> Iterator[None]:
    lost: KeyServiceUnavailable | None = None
    with transaction.atomic():
        report(event, actor=None, **details)
        try:
            yield
        except KeyServiceUnavailable as exc:
            lost = exc  # the request may have reached keyd and been carried out: commit the entry
    if lost is not None:
        raise lost


def rotate() -> int:
    """Make a new KEK epoch current; returns its number. Data keys stay under their epoch
    until `rewrap_all` moves them."""
    ring = instance.keyring()
    epochs = ring.epochs()
    previous = next(e.version for e in epochs if e.current)
    # keyd numbers a new epoch max + 1 (the current one is the highest and never destroyed).
    expected = max(e.version for e in epochs) + 1
    with _reported(KeyEvent.EPOCH_ROTATE, epoch=expected, previous=previous):
        version = ring.rotate()
        if version != expected:
            # keyd made an epoch all the same: say which, in the same transaction, before refusing.
            report(KeyEvent.EPOCH_ROTATE, actor=None, epoch=version, previous=previous, expected=expected)
    if version != expected:
        raise RuntimeError(f"the key service made epoch {version}, not {expected}: another rotation ran meanwhile")
    return version


def current_epoch() -> int:
    return instance.keyring().status().current_epoch


def pending_rewrap(current: int) -> int:
    """How many live data keys are still wrapped under an epoch older than `current`."""
    return DataKey.objects.filter(shredded__isnull=True, epoch__lt=current).count()


def rewrap_all(current: int, batch: int = BATCH, advance: Advance | None = None) -> int:
    """Re-wrap every unshredded DataKey whose epoch is below `current`; returns how many.

    Resumable: each batch is its own transaction with its own audit entry.
    """
    pending = DataKey.objects.filter(shredded__isnull=True, epoch__lt=current)
    done = 0
    ring = instance.keyring()
    while True:
        with transaction.atomic():
            # Row locks keep a concurrent shred from being overwritten by a re-wrap.
            rows = list(pending.select_for_update().order_by("pk")[:batch])
            if not rows:
                return done
            report(KeyEvent.EPOCH_REWRAP, actor=None, epoch=current, keys=len(rows))
            blobs = ring.rewrap([(bytes(dk.wrapped), dk.context) for dk in rows])
            for dk, blob in zip(rows, blobs, strict=True):
                dk.wrapped = blob
                dk.epoch = epoch_of(blob)
                if dk.epoch < current:
                    raise RuntimeError("the key service re-wrapped under an older epoch; stopping")
            DataKey.objects.bulk_update(rows, ["wrapped", "epoch"])
        done += len(rows)
        if advance is not None:
            advance(len(rows))


def _parse(stamp: str) -> datetime:
    parsed = datetime.fromisoformat(stamp)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def purge(older_than_days: int, *, dry_run: bool = False, now: datetime | None = None) -> dict[str, list[int]]:
    """Retire unused old epochs now; destroy those retired more than `older_than_days` ago.

    The window counts from retirement, the moment the last live key left the epoch:
    backups taken before then still hold keys wrapped under it. Destroying an epoch is the
    most irreversible act there is: each one is audited, with when it was retired.
    """
    ring = instance.keyring()
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=older_than_days)
    used = epochs_in_use()
    retired: list[int] = []
    destroyed: list[int] = []
    for epoch in ring.epochs():
        if epoch.current or epoch.version in used:
            continue
        if epoch.retired is None:
            if not dry_run:
                with _reported(KeyEvent.EPOCH_RETIRE, epoch=epoch.version):
                    ring.retire_epoch(epoch.version)
            retired.append(epoch.version)
        elif _parse(epoch.retired) <= cutoff:
            if not dry_run:
                with _reported(KeyEvent.EPOCH_DESTROY, epoch=epoch.version, retired=epoch.retired):
                    ring.destroy_epoch(epoch.version)
            destroyed.append(epoch.version)
    return {"retired": retired, "destroyed": destroyed}


__all__ = ["BATCH", "current_epoch", "pending_rewrap", "purge", "rewrap_all", "rotate"]
