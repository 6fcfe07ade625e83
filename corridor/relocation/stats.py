"""Grant rates with honest uncertainty: the Beta posterior under a uniform prior, its mean
and its 90% highest-density interval, and the percentile rule the SQL figures follow.

Written by hand because scipy (the field's standard for `betainc`) is not a dependency and
would be the only reason to add ~100 MB of compiled code; the routine is the textbook
continued fraction (Numerical Recipes 3rd ed., §6.4, modified Lentz), checked in the tests
against closed forms and the exact binomial sum for integer parameters.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

LEVEL = 0.90
# A grant rate is shown as a percentage only from this many decisions on. Below it the 90%
# interval is more than 60 points wide for some outcome (1 decision: 0–68 %; 2 of 4: 19–81 %),
# so one number would claim a precision the data does not have ("33 %" for 0 of 1 is only the
# prior speaking); pages say "1 decision — too few to compute a rate" instead. From 5 on the
# widest interval is under 60 points and narrows with every decision (test_stats checks both).
MIN_DECISIONS_FOR_RATE = 5
# Durations (median, 90th percentile) only from this many: the "median" of one or two
# applications is their own days, and a 90th percentile of two is the longer one.
MIN_DURATIONS = 3
_EPS = 1e-15
_TINY = 1e-300


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for I_x(a, b), converging fast for x < (a + 1) / (a + b + 2)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    # Convergence takes O(sqrt(max(a, b))) terms; the cap only guards against a bug.
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = 1.0 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"betacf did not converge for a={a}, b={b}, x={x}")


def betainc(a: float, b: float, x: float) -> float:
    """The regularised incomplete beta function I_x(a, b): the Beta(a, b) CDF at x."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive")
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _log_density(a: float, b: float, x: float) -> float:
    """log of the Beta density up to its constant (the constant cancels in level comparisons)."""
    if x <= 0.0 or x >= 1.0:
        return -math.inf
    return (a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x)


def _bisect(lo: float, hi: float, above: Callable[[float], bool], iterations: int = 52) -> float:
    """The boundary in [lo, hi] where the predicate `above(x)` switches from False to True."""
    for _ in range(iterations):
        mid = (lo + hi) / 2.0
        if above(mid):
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2.0


@functools.lru_cache(maxsize=4096)
def hpd_interval(a: float, b: float, level: float = LEVEL) -> tuple[float, float]:
    """The shortest interval holding `level` of Beta(a, b), for a, b >= 1.

    Highest-density rather than equal-tailed on purpose: with 0 grants of 5 the equal-tailed
    interval starts above 0, so it would exclude the very rate that was observed; the
    highest-density interval always contains the mode, which under a uniform prior is the
    observed rate (grants / decisions).
    """
    if a < 1 or b < 1:
        raise ValueError("the posterior of a uniform prior has a, b >= 1")
    if a == 1 and b == 1:
        tail = (1.0 - level) / 2.0  # flat: every interval of this length is shortest; take the centre
        return tail, 1.0 - tail
    if a == 1:  # density falls from 0: [0, q] with 1 - (1 - q)^b = level
        return 0.0, 1.0 - (1.0 - level) ** (1.0 / b)
    if b == 1:  # density rises to 1: [q, 1] with q^a = 1 - level
        return (1.0 - level) ** (1.0 / a), 1.0
    mode = (a - 1.0) / (a + b - 2.0)
    top = _log_density(a, b, mode)

    def bounds(drop: float) -> tuple[float, float]:
        # Where the density has fallen by `drop` (in log units) on each side of the mode.
        level_at = top - drop
        lower = _bisect(0.0, mode, lambda x: _log_density(a, b, x) >= level_at)
        upper = _bisect(mode, 1.0, lambda x: _log_density(a, b, x) < level_at)
        return lower, upper

    def mass(drop: float) -> float:
        lower, upper = bounds(drop)
        return betainc(a, b, upper) - betainc(a, b, lower)

    high = 1.0
    while mass(high) < level and high < 1e6:
        high *= 2.0
    # 40 halvings of the log-density drop: far finer than the percentages shown.
    drop = _bisect(0.0, high, lambda d: mass(d) >= level, iterations=40)
    lower, upper = bounds(drop)
    # The mode is inside by construction; clamp so rounding in the bisection cannot move it out.
    return min(lower, mode), max(upper, mode)


@dataclass(frozen=True)
class GrantRate:
    """Grants among decisions, with the Beta(1, 1) posterior: mean and 90% interval."""

    grants: int
    decisions: int

    @property
    def observed(self) -> float | None:
        return self.grants / self.decisions if self.decisions else None

    @property
    def a(self) -> int:
        return self.grants + 1

    @property
    def b(self) -> int:
        return self.decisions - self.grants + 1

    @property
    def mean(self) -> float:
        # Laplace's rule of succession: 2 of 2 reads as 0.75, not as certainty.
        return self.a / (self.a + self.b)

    @property
    def interval(self) -> tuple[float, float]:
        return hpd_interval(self.a, self.b)

    @property
    def enough(self) -> bool:
        """Enough decisions to state the rate as a number (MIN_DECISIONS_FOR_RATE)."""
        return self.decisions >= MIN_DECISIONS_FOR_RATE


def grant_rate(grants: int, decisions: int) -> GrantRate:
    if grants < 0 or decisions < grants:
        raise ValueError("need 0 <= grants <= decisions")
    return GrantRate(grants, decisions)


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between order statistics (PostgreSQL's percentile_cont).

    The figures compute the same rule in SQL; this is its reference for the tests.
    """
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return ordered[low] * (1 - fraction) + ordered[high] * fraction
