"""The Beta posterior, its highest-density interval and the percentile rule, against hand-computed
values and as properties."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.relocation.stats import betainc, grant_rate, hpd_interval, percentile


def _binomial_tail(a: int, b: int, x: float) -> float:
    """I_x(a, b) for integer a, b: P(at least a successes in a + b - 1 trials)."""
    n = a + b - 1
    return sum(math.comb(n, j) * x**j * (1 - x) ** (n - j) for j in range(a, n + 1))


@pytest.mark.parametrize("a,b", [(1, 1), (2, 3), (5, 5), (7, 2), (30, 40), (120, 80)])
@pytest.mark.parametrize("x", [0.01, 0.2, 0.5, 0.77, 0.99])
def test_betainc_equals_the_exact_binomial_sum(a: int, b: int, x: float) -> None:
    assert betainc(a, b, x) == pytest.approx(_binomial_tail(a, b, x), abs=1e-12)


def test_betainc_closed_forms_and_edges() -> None:
    assert betainc(1, 4, 0.3) == pytest.approx(1 - 0.7**4, abs=1e-14)
    assert betainc(3, 1, 0.6) == pytest.approx(0.6**3, abs=1e-14)
    assert betainc(2.5, 2.5, 0.5) == pytest.approx(0.5, abs=1e-14)
    assert (betainc(2, 2, 0.0), betainc(2, 2, 1.0)) == (0.0, 1.0)
    with pytest.raises(ValueError):
        betainc(0, 1, 0.5)


def test_hand_computed_intervals() -> None:
    # Beta(2, 2) (1 of 2 granted) is symmetric: the shortest 90% interval is the central one,
    # where 3x^2 - 2x^3 = 0.05, x = 0.135350...
    low, high = hpd_interval(2, 2)
    assert (round(low, 5), round(high, 5)) == (0.13535, 0.86465)
    # 0 of 3 granted: Beta(1, 4), density falls from 0: [0, 1 - 0.1^(1/4)].
    assert hpd_interval(1, 4) == (0.0, pytest.approx(1 - 0.1**0.25, abs=1e-12))
    # 2 of 2 granted: Beta(3, 1): [0.1^(1/3), 1], so two grants are not shown as certainty.
    assert hpd_interval(3, 1) == (pytest.approx(0.1 ** (1 / 3), abs=1e-12), 1.0)
    assert hpd_interval(1, 1) == pytest.approx((0.05, 0.95))
    rate = grant_rate(2, 2)
    assert (rate.mean, rate.observed) == (0.75, 1.0)


def test_hpd_interval_holds_ninety_percent_and_densities_match() -> None:
    a, b = 9, 4  # 8 of 11
    low, high = hpd_interval(a, b)
    assert betainc(a, b, high) - betainc(a, b, low) == pytest.approx(0.90, abs=1e-9)
    density = lambda x: (a - 1) * math.log(x) + (b - 1) * math.log(1 - x)  # noqa: E731
    assert density(low) == pytest.approx(density(high), abs=1e-6)


def test_grant_rate_rejects_impossible_counts() -> None:
    for grants, decisions in ((-1, 2), (3, 2)):
        with pytest.raises(ValueError):
            grant_rate(grants, decisions)


counts = st.integers(min_value=0, max_value=400).flatmap(lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n)))


@settings(max_examples=150, deadline=None)
@given(counts)
def test_interval_contains_posterior_mean_and_observed_rate(pair: tuple[int, int]) -> None:
    grants, decisions = pair
    rate = grant_rate(grants, decisions)
    low, high = rate.interval
    assert 0.0 <= low < high <= 1.0
    assert low <= rate.mean <= high
    if decisions > 0:
        assert low <= grants / decisions <= high


@settings(max_examples=150, deadline=None)
@given(counts)
def test_adding_a_grant_never_lowers_and_a_refusal_never_raises(pair: tuple[int, int]) -> None:
    grants, decisions = pair
    before = grant_rate(grants, decisions)
    assert grant_rate(grants + 1, decisions + 1).mean >= before.mean
    assert grant_rate(grants, decisions + 1).mean <= before.mean


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2000), min_size=1, max_size=60))
def test_percentile_matches_statistics_inclusive_quantiles(values: list[int]) -> None:
    assert percentile(values, 0.5) == pytest.approx(statistics.median(values))
    if len(values) >= 2:
        assert percentile(values, 0.9) == pytest.approx(statistics.quantiles(values, n=10, method="inclusive")[8])
    assert percentile([], 0.5) is None
