"""Timing helpers: medians of repeated runs, ratios against a baseline run in the same process."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def median_of(fn: Callable[[], object], runs: int = 3) -> float:
    return statistics.median(timed(fn) for _ in range(runs))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
