"""`corridor worker`: the scheduler in a process of its own, for a systemd unit or a second host.

It stops cleanly on SIGTERM or SIGINT after the tick in progress; killed outright (SIGKILL, a
crash, a power cut) it loses nothing: what it had claimed is sent again once the lease runs out
(delivery.py, "What SMTP allows").
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from corridor.notifications.scheduler import Scheduler


def run(*, tick_seconds: float | None = None, lease_seconds: int | None = None, once: bool = False) -> int:
    """Run until told to stop (or one tick with `once`); the number of messages sent."""
    scheduler = Scheduler(lease_seconds=lease_seconds)
    if once:
        return scheduler.tick()
    stop = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler.run(stop, tick_seconds)
    return 0
