"""The registry of periodic jobs that `corridor serve`'s scheduler and `corridor worker` run.

Apps register a job once, when they load (AppConfig.ready): `register(name, every_seconds, fn)`.
A job must need no keys (it may run while the instance is sealed) and be safe to run twice at
once in two processes (each does its own claiming).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    fn: Callable[[], object]


_lock = threading.Lock()
_jobs: dict[str, Job] = {}


def register(name: str, every_seconds: float, fn: Callable[[], object]) -> Job:
    """Run `fn` every `every_seconds`; registering the same name again with another function is an error."""
    if every_seconds <= 0:
        raise ValueError("a job runs at a positive interval")
    job = Job(name, every_seconds, fn)
    with _lock:
        known = _jobs.get(name)
        if known is not None and known.fn is not fn:
            raise RuntimeError(f"a job named {name!r} is already registered")
        _jobs[name] = job
    return job


def registered() -> list[Job]:
    """Every registered job, by name."""
    with _lock:
        return [_jobs[name] for name in sorted(_jobs)]
