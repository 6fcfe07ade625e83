"""Who else hears what the audit layer sees that someone must act on: a lockdown, a failing log, an unseal.

The audit log sits below the apps that tell people (notifications), so it cannot call them;
they register a listener here when they load. A listener that fails is logged and skipped:
a lockdown and a verification report happen whatever becomes of the alarm.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)


class Alarm(enum.StrEnum):
    LOCKDOWN = "lockdown"
    UNSEALED = "unsealed"  # not an alarm: the all-clear for "waiting to be unsealed"
    VERIFY_FAILED = "verify_failed"


_lock = threading.Lock()
_listeners: list[Callable[[Alarm], object]] = []


def listen(listener: Callable[[Alarm], object]) -> None:
    """Call `listener(alarm)` for every alarm from now on (once, however often it is registered)."""
    with _lock:
        if listener not in _listeners:
            _listeners.append(listener)


def sound(alarm: Alarm) -> None:
    for listener in list(_listeners):
        try:
            with transaction.atomic():  # a savepoint: a failed listener leaves the caller's transaction usable
                listener(alarm)
        except Exception:  # the event itself happened; only the telling failed
            logger.exception("audit alarm %s: a listener failed", alarm.value)
