"""The audit side of keys' hook: each key event becomes one InstanceAudit entry.

AuditConfig.ready registers `receive`; keys raises when an event finds no receiver.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from corridor.audit import alarms, log
from corridor.audit.names import InstanceAudit
from corridor.keys.api import KeyEvent

logger = logging.getLogger(__name__)

NAMES: dict[KeyEvent, InstanceAudit] = {
    KeyEvent.UNSEAL: InstanceAudit.UNSEAL,
    KeyEvent.UNSEAL_RESET_SHELL: InstanceAudit.UNSEAL_RESET_SHELL,
    KeyEvent.UNSEAL_RESET_SHARE: InstanceAudit.UNSEAL_RESET_SHARE,
    KeyEvent.LOCKDOWN_ADMIN: InstanceAudit.LOCKDOWN_ADMIN,
    KeyEvent.LOCKDOWN_USER: InstanceAudit.LOCKDOWN_USER,
    KeyEvent.LOCKDOWN_CLI: InstanceAudit.LOCKDOWN_CLI,
    KeyEvent.DATAKEY_SHRED: InstanceAudit.DATAKEY_SHRED,
    KeyEvent.EPOCH_ROTATE: InstanceAudit.EPOCH_ROTATE,
    KeyEvent.EPOCH_REWRAP: InstanceAudit.EPOCH_REWRAP,
    KeyEvent.EPOCH_RETIRE: InstanceAudit.EPOCH_RETIRE,
    KeyEvent.EPOCH_DESTROY: InstanceAudit.EPOCH_DESTROY,
}


LOCKDOWNS = frozenset({KeyEvent.LOCKDOWN_ADMIN, KeyEvent.LOCKDOWN_USER, KeyEvent.LOCKDOWN_CLI})


def receive(event: KeyEvent, *, actor: Any, subject: Any, details: Mapping[str, Any]) -> None:
    """Record `event`; an event with no name here raises KeyError rather than go unrecorded."""
    log.record(actor=actor, action=NAMES[event], obj=subject, details=details or None)
    if event in LOCKDOWNS:
        alarms.sound(alarms.Alarm.LOCKDOWN)
    elif event is KeyEvent.UNSEAL:
        alarms.sound(alarms.Alarm.UNSEALED)
    if event is KeyEvent.UNSEAL:
        _checkpoint_after_unseal()


def _checkpoint_after_unseal() -> None:
    """Sign what was logged while sealed (intake arrivals, the lockdown) straight away."""
    try:
        log.checkpoint()
    except Exception:  # the instance is unsealed either way; the next checkpoint covers it
        logger.exception("unseal: the audit checkpoint could not be written")
