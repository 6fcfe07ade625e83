"""The instance's seal state as this process sees it: which keyring it talks to, status,
unseal (shares, reset), lockdown and the pinned intake recipient.

Web code never holds the root key or a KEK: it asks the keyring (keyd over its socket,
or the in-process KeyService in tests) to wrap and unwrap per-record data keys.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from corridor.keys.client import KeydClient
from corridor.keys.errors import (
    KeyringError,
    KeyServiceUnavailable,
    KeystoreTampered,
    NotInitialized,
    ShareAlreadyEntered,
    ShareFormatError,
    ShareNotIssued,
    SharesUnverifiable,
    UnsealFailed,
)
from corridor.keys.events import KeyEvent, NoReceiver, report
from corridor.keys.keyring import Keyring
from corridor.keys.service import KeyService, Status

log = logging.getLogger(__name__)

_lock = threading.Lock()
_keyring: Keyring | None = None
_keyring_for: str | None = None


def keyring() -> Keyring:
    """The keyring named by settings.KEYRING, created once per process (and per setting)."""
    global _keyring, _keyring_for
    target = f"{settings.KEYRING}|{settings.DATA_DIR}"
    with _lock:
        if _keyring is None or _keyring_for != target:
            if settings.KEYRING == "inprocess":
                _keyring = KeyService(
                    Path(settings.DATA_DIR),
                    min_retired_days=settings.KEY_EPOCH_RETENTION_DAYS,
                    share_ttl_seconds=settings.UNSEAL_SHARE_MINUTES * 60,
                )
            else:
                _keyring = KeydClient(settings.KEYRING, timeout=10.0)
            _keyring_for = target
        return _keyring


@contextmanager
def in_process_keys(shares_path: Path) -> Iterator[None]:
    """Keys for this process alone: an in-process key service unsealed from a shares file.

    Only for `corridor demo`, which fills the instance before `corridor serve` starts keyd,
    so there is no key service to ask; it seals them again on the way out. Unaudited like
    keyd's own start: nothing here is seen by anyone but this process. Raises UnsealFailed
    when the file is missing or does not unseal the instance.
    """
    previous = settings.KEYRING
    settings.KEYRING = "inprocess"
    ring = keyring()
    opened = False
    try:
        if ring.status().sealed:
            if not shares_path.exists():
                raise UnsealFailed(f"the instance is sealed and there is no demo shares file ({shares_path})")
            for line in shares_path.read_text().splitlines():
                if line.strip() and not ring.submit_share(line.strip()).sealed:
                    break
            if ring.status().sealed:
                raise UnsealFailed("the demo shares file does not unseal this instance")
            opened = True
        yield
    finally:
        if opened:
            ring.seal()
        settings.KEYRING = previous


def reset_for_tests() -> None:
    global _keyring, _keyring_for
    with _lock:
        _keyring = None
        _keyring_for = None


def status() -> Status:
    try:
        return keyring().status()
    except KeyServiceUnavailable:
        return Status(False, True, 0, 0, 0, 0, "")


def is_sealed() -> bool:
    return status().sealed


def session_epoch() -> str:
    return status().session_epoch


@dataclass(frozen=True)
class ShareOutcome:
    message: str = ""
    error: str = ""


def submit_share(text: str) -> ShareOutcome:
    """Submit one trustee share; messages are for the trustee and never say which share failed."""
    if not status().sealed:
        return ShareOutcome(message=_("The instance is already unsealed."))
    try:
        state = keyring().submit_share(text)
    except ShareFormatError:
        return ShareOutcome(error=_("This share is mistyped or does not belong to this instance. Check it and try again."))
    except ShareNotIssued:
        return ShareOutcome(error=_("This share was not issued for this instance. The shares already entered are kept."))
    except ShareAlreadyEntered:
        return ShareOutcome(error=_("This share has already been entered. The other trustees must enter theirs."))
    except UnsealFailed:
        return ShareOutcome(error=_("These shares do not open this instance. Progress was reset: every trustee must enter their share again."))
    except KeystoreTampered:
        log.critical("unseal refused: the keystore's public keys do not match its private keys")
        return ShareOutcome(error=_("The keystore on this server has been altered. Do not use this instance; tell your security contact."))
    except NotInitialized:
        return ShareOutcome(error=_("This instance has no keys yet."))
    except KeyServiceUnavailable:
        return ShareOutcome(error=_("The key service is not running. Ask the operator to start it."))
    if not state.sealed:
        # The receiver also signs a checkpoint of what was logged while sealed.
        report(KeyEvent.UNSEAL, actor=None)
        return ShareOutcome(message=_("Unsealed. Staff can sign in now."))
    return ShareOutcome(
        message=_("Share accepted: %(got)d of %(need)d.") % {"got": state.shares_received, "need": state.threshold}
    )


def intake_recipient() -> str:
    """The age recipient requests for help are encrypted to, checked against the pinned one.

    A keystore edited on disk could otherwise redirect every request, even while sealed,
    to someone else's key (the unseal check catches it only once trustees unseal).
    With keyd down (killed, restarting) the pin itself is the answer: it is the key keyd
    would have been checked against, so help requests are still taken (invariant 3).
    Without a pin there is nothing trustworthy to encrypt to, and KeyServiceUnavailable rises.
    """
    pinned = getattr(settings, "INTAKE_RECIPIENT", None)
    try:
        recipient = keyring().intake_recipient()
    except KeyServiceUnavailable:
        if pinned:
            log.warning("intake: the key service is not answering; encrypting to the pinned intake recipient")
            return str(pinned)
        raise
    if pinned and recipient != pinned:
        log.critical("intake refused: the keystore's intake recipient is not the pinned one")
        raise KeystoreTampered("the intake recipient is not the pinned CORRIDOR_INTAKE_RECIPIENT")
    return recipient


def reset_unseal(share: str | None) -> ShareOutcome:
    """Discard the shares entered so far, and audit it.

    From the web a reset needs `share`, one of the issued shares (checked by keyd against
    its commitments), which then counts as the first of the new round; `share=None` is for
    `corridor unseal --reset` on the server only.
    """
    if not status().sealed:
        return ShareOutcome(message=_("The instance is already unsealed."))
    try:
        state = keyring().reset_unseal(share)
    except ShareFormatError:
        return ShareOutcome(error=_("This share is mistyped or does not belong to this instance. Check it and try again."))
    except ShareNotIssued:
        return ShareOutcome(error=_("This share was not issued for this instance. Nothing was reset."))
    except SharesUnverifiable:
        return ShareOutcome(
            error=_(
                "This instance can check a single share only after its next unseal. "
                "Nothing was reset; on the server, `corridor unseal --reset` starts again."
            )
        )
    except NotInitialized:
        return ShareOutcome(error=_("This instance has no keys yet."))
    except KeyServiceUnavailable:
        return ShareOutcome(error=_("The key service is not running. Ask the operator to start it."))
    if not state.sealed:
        # Unsealed since the check above: keyd reset nothing (nor looked at the share).
        return ShareOutcome(message=_("The instance is already unsealed."))
    # While sealed the audit log cannot encrypt details (that needs a data key), so the entry
    # says only that a reset happened and how it was allowed: no actor (a share proves a
    # trustee, not which person), no share, no address. record() writes it at once without
    # details; the checkpoint signed right after the next unseal covers it. keyd also writes
    # its own line for every reset, a trace that code in a web worker cannot rewrite.
    event = KeyEvent.UNSEAL_RESET_SHELL if share is None else KeyEvent.UNSEAL_RESET_SHARE
    try:
        report(event, actor=None)
    except NoReceiver:
        raise  # a programming error, not a failed write: never swallowed
    except Exception:  # the reset happened in keyd either way; keyd's own log has it
        log.exception("unseal reset: the audit entry could not be written")
    if share is None:
        return ShareOutcome(message=_("Unseal progress was reset. All trustees must enter their shares again."))
    return ShareOutcome(
        message=_("The shares entered before were discarded. Yours counts: %(got)d of %(need)d.")
        % {"got": state.shares_received, "need": state.threshold}
    )


_LOCKDOWNS = {"admin": KeyEvent.LOCKDOWN_ADMIN, "user": KeyEvent.LOCKDOWN_USER, "cli": KeyEvent.LOCKDOWN_CLI}


# What layers above keys hold that must not outlive a lockdown in this process (the intake's pool
# of passphrases derived ahead of time) registers here; keys knows none of them. Other processes
# learn of the seal from keyd itself.
_seal_callbacks: list[Callable[[], None]] = []


def on_seal(callback: Callable[[], None]) -> None:
    """Run `callback` in this process right after a lockdown here has sealed the instance."""
    with _lock:
        if callback not in _seal_callbacks:
            _seal_callbacks.append(callback)


def _run_seal_callbacks() -> None:
    for callback in list(_seal_callbacks):
        try:
            callback()
        except Exception:  # sealed already: a failing callback must not stop the others or the audit entry
            log.exception("lockdown: a seal callback failed")


def lockdown(*, actor: Any, reason: str) -> None:
    """Seal now. The seal itself needs no database write; the audit entry follows it.

    `reason` is who asked: "admin" (the button), "user" (a duress password) or "cli".
    """
    event = _LOCKDOWNS[reason]  # an unknown reason fails before anything happens
    keyring().seal()
    _run_seal_callbacks()
    try:
        report(event, actor=actor)
    except NoReceiver:
        raise  # sealed already; a missing audit receiver is a programming error, not a failed write
    except Exception:  # the instance is sealed whatever happens to the audit write
        log.exception("lockdown: the audit entry could not be written")


__all__ = [
    "KeyringError",
    "ShareOutcome",
    "in_process_keys",
    "intake_recipient",
    "is_sealed",
    "keyring",
    "lockdown",
    "on_seal",
    "reset_unseal",
    "session_epoch",
    "status",
    "submit_share",
]
