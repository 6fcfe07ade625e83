"""What keys reports about its own acts (unseal, lockdown, shred, epochs), and the one receiver told.

keys sits below the audit log and never imports it: the audit app registers the receiver when
it loads. Every event here must be audited, so reporting with no receiver raises instead of
passing silently: a missing registration must never be a way to skip the log.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Mapping
from typing import Any, Protocol


class KeyEvent(enum.StrEnum):
    """Everything keys does that the audit log must record; the receiver maps each to a name."""

    UNSEAL = "unseal"
    UNSEAL_RESET_SHELL = "unseal.reset.shell"
    UNSEAL_RESET_SHARE = "unseal.reset.share"
    LOCKDOWN_ADMIN = "lockdown.admin"
    LOCKDOWN_USER = "lockdown.user"
    LOCKDOWN_CLI = "lockdown.cli"
    DATAKEY_SHRED = "datakey.shred"
    EPOCH_ROTATE = "epoch.rotate"
    EPOCH_REWRAP = "epoch.rewrap"
    EPOCH_RETIRE = "epoch.retire"
    EPOCH_DESTROY = "epoch.destroy"


class Receiver(Protocol):
    def __call__(self, event: KeyEvent, *, actor: Any, subject: Any, details: Mapping[str, Any]) -> None: ...


class NoReceiver(RuntimeError):
    """keys did something the audit log must record, and nothing is registered to record it."""


_lock = threading.Lock()
_receiver: Receiver | None = None


def register(receiver: Receiver) -> None:
    """Make `receiver` the one that hears every event; a second, different receiver is refused."""
    global _receiver
    with _lock:
        if _receiver is not None and _receiver is not receiver:
            raise RuntimeError("a receiver of key events is already registered")
        _receiver = receiver


def report(event: KeyEvent, *, actor: Any, subject: Any = None, **details: Any) -> None:
    """Tell the receiver that `actor` (None for the system) did `event`, to `subject` if any.

    Whatever the receiver raises propagates, so a caller inside a transaction rolls back with it.
    """
    receiver = _receiver
    if receiver is None:
        raise NoReceiver(f"key event {event.value!r} happened and no audit receiver is registered")
    receiver(event, actor=actor, subject=subject, details=details)


__all__ = ["KeyEvent", "NoReceiver", "Receiver", "register", "report"]
