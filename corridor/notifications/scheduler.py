"""The scheduler: runs the registered jobs (jobs.py) at their intervals and sends what is due.

One loop serves both `corridor worker` (worker.py) and the thread inside `corridor serve`. It
needs no keys, so it runs while the instance is sealed. Several may run at once (two hosts, or
serve and a worker): the jobs and the outbox claim their own rows.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections

from corridor.notifications import delivery, jobs

log = logging.getLogger(__name__)


class Scheduler:
    """Remembers when each job last ran in this process; every tick runs the due ones, then mails."""

    def __init__(self, *, lease_seconds: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.lease_seconds = lease_seconds or settings.NOTIFY_LEASE_SECONDS
        self.clock = clock
        self.next_run: dict[str, float] = {}

    def tick(self) -> int:
        """Run the due jobs and send the due mail once; the number of messages sent."""
        close_old_connections()
        now = self.clock()
        for job in jobs.registered():
            if self.next_run.get(job.name, 0.0) > now:
                continue
            self.next_run[job.name] = now + job.every_seconds
            try:
                job.fn()
            except Exception as exc:  # noqa: BLE001 -- one failing job must not stop the others or the mail
                # The class only: a message could carry a value (logs hold no personal data).
                log.error("job %s failed: %s", job.name, type(exc).__name__)
        try:
            return delivery.send_due(lease_seconds=self.lease_seconds)
        except Exception as exc:  # noqa: BLE001 -- the database may be away for a moment; the next tick retries
            log.error("sending mail failed: %s", type(exc).__name__)
            return 0
        finally:
            close_old_connections()

    def run(self, stop: threading.Event, tick_seconds: float | None = None) -> None:
        """Tick until `stop` is set, every `tick_seconds` (settings.NOTIFY_TICK_SECONDS)."""
        interval = tick_seconds or settings.NOTIFY_TICK_SECONDS
        try:
            while not stop.is_set():
                self.tick()
                stop.wait(interval)
        finally:
            connections.close_all()  # this thread's own connections


def start_thread(tick_seconds: float | None = None) -> tuple[threading.Thread, threading.Event]:
    """The scheduler in a daemon thread of this process (`corridor serve`); set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=Scheduler().run, args=(stop, tick_seconds), name="corridor-scheduler", daemon=True)
    thread.start()
    return thread, stop
