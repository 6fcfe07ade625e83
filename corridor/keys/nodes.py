"""Several web nodes, each with its own keyd: a lockdown on one seals the others.

The seal on the node where it was pressed needs no database write (invariant 4). The row
written after it is how the other nodes learn of it (docs/scaling.md).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from corridor.keys import instance
from corridor.keys.models import SealEvent

log = logging.getLogger(__name__)

# Epoch digest -> id of its unseal row. A row, once written, never changes, so each process
# asks the database for it once per unseal; after that a request costs one indexed query.
_baselines: dict[str, int] = {}
_baselines_lock = threading.Lock()


def _digest(session_epoch: str) -> str:
    # The table says which unseal a row belongs to without holding the value sessions carry.
    return hashlib.sha256(session_epoch.encode("utf-8")).hexdigest()


def record_unseal(session_epoch: str) -> int:
    """The id of this unseal's row: written by the unseal, else by the first request after it.

    Lockdowns with a greater id happened after this node was unsealed.
    """
    digest = _digest(session_epoch)
    with _baselines_lock:
        known = _baselines.get(digest)
    if known is not None:
        return known
    row = SealEvent.objects.filter(kind=SealEvent.UNSEAL, epoch=digest).order_by("pk").first()
    if row is None:
        row = SealEvent.objects.create(kind=SealEvent.UNSEAL, epoch=digest)
    with _baselines_lock:
        _baselines[digest] = int(row.pk)
    return int(row.pk)


def sealed_here_or_elsewhere() -> bool:
    """True while this node is sealed; seals it first when another node was locked down since.

    Unsealed, this costs one indexed query (two on the first request after an unseal). A
    database that cannot answer raises, as the request would have on its next query.
    """
    state = instance.status()
    if state.sealed:
        return True
    baseline = record_unseal(state.session_epoch)
    if SealEvent.objects.filter(kind=SealEvent.LOCKDOWN, pk__gt=baseline).exists():
        instance.keyring().seal()
        log.warning("sealed: another web node was locked down after this node was unsealed")
        return True
    return False


def lockdown(*, actor: Any, reason: str) -> None:
    """instance.lockdown (seal now, then audit), then the row the other nodes look for."""
    instance.lockdown(actor=actor, reason=reason)
    try:
        SealEvent.objects.create(kind=SealEvent.LOCKDOWN)
    except Exception:  # this node is sealed whatever happens; then the others are sealed by hand
        log.exception("lockdown: the other web nodes could not be told; run `corridor seal` on each")


def submit_share(text: str) -> instance.ShareOutcome:
    """instance.submit_share, and when it unseals, the unseal's row (before any request needs it)."""
    outcome = instance.submit_share(text)
    state = instance.status()
    if not outcome.error and not state.sealed:
        record_unseal(state.session_epoch)
    return outcome


__all__ = ["lockdown", "record_unseal", "sealed_here_or_elsewhere", "submit_share"]
