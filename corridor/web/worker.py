"""Web worker processes hardened like keyd: no core dumps, not dumpable, memory locked where
the machine allows it. Workers hold data keys and plaintext while they answer a request.

gunicorn calls harden_worker() from corridor.web.gunicorn_conf; corridor.wsgi calls it too,
so any other WSGI server's workers are covered. Each process hardens itself once.
"""

from __future__ import annotations

import logging
import os

from corridor.keys.hardening import harden_process

logger = logging.getLogger("corridor.web.worker")

_hardened_pid: int | None = None
_failures: list[str] = []


def harden_worker(*, report: bool = True) -> list[str]:
    """Harden this process (once per process); return what could not be done.

    With report, each failure is logged as a warning (it names a measure, never data).
    gunicorn's master reports for all its workers, which then harden silently.
    """
    global _hardened_pid, _failures
    if _hardened_pid == os.getpid():
        return list(_failures)
    _hardened_pid = os.getpid()
    _failures = harden_process(lock_on_fault=True)
    if report:
        for failure in _failures:
            logger.warning("web worker hardening incomplete: %s", failure)
    return list(_failures)


def already_hardened() -> bool:
    """This process hardened itself before (gunicorn --preload imports the WSGI app in the master)."""
    return _hardened_pid == os.getpid()
