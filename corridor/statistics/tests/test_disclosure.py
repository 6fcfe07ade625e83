"""Disclosure control: examples worked by hand, then hypothesis over random tables of one to
three dimensions, checking derivability with an independent dense rank computation."""

from __future__ import annotations

import datetime
import itertools
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.statistics import disclosure
from corridor.statistics.disclosure import TOTAL, Key, Release, Rule, Table
from corridor.statistics.tests.hypercube import hypercube_2d

T = TOTAL


def grid(rows: str, columns: str, values: list[list[int]]) -> Table:
    counts = {(row, column): values[i][j] for i, row in enumerate(rows) for j, column in enumerate(columns)}
    return Table((tuple(rows), tuple(columns)), counts)


# An independent check --------------------------------------------------------------------


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [list(row) for row in matrix if any(row)]
    rank = 0
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][column]), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][column]:
                factor = rows[i][column] / rows[rank][column]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank], strict=True)]
        rank += 1
    return rank


def exposed_by_rank(dimensions: tuple[tuple[str, ...], ...], withheld: set[Key]) -> set[Key]:
    """A withheld cell is derivable iff dropping its column lowers the rank of the identities
    restricted to the withheld cells (every null vector is zero there)."""
    order = sorted(withheld, key=lambda key: tuple("~" if p is None else p for p in key))
    matrix = []
    for total, members in disclosure.lines(dimensions):
        row = [Fraction(0)] * len(order)
        for key, sign in [(total, 1), *((m, -1) for m in members)]:
            if key in withheld:
                row[order.index(key)] += sign
        matrix.append(row)
    full = _rank(matrix)
    exposed = set()
    for index, key in enumerate(order):
        without = [row[:index] + row[index + 1 :] for row in matrix]
        if _rank(without) < full:
            exposed.add(key)
    return exposed


# Worked examples --------------------------------------------------------------------------


def test_a_small_cell_is_withheld_with_its_partners() -> None:
    table = grid("abc", "xyz", [[3, 10, 8], [12, 9, 7], [6, 11, 20]])
    release = disclosure.suppress(table)
    assert release.primary == {("a", "x")}
    # Row a: the smaller partner is z (8); column x: c (6); then (c, z) mends row c and
    # column z at once: a rectangle, as the hypercube method would choose.
    assert release.complementary == {("a", "z"), ("c", "x"), ("c", "z")}
    assert release.cells[("a", "x")] is None
    assert release.cells[(T, T)] == 86
    assert disclosure.derivable(table.dimensions, disclosure.with_margins(table), release.withheld) == set()


def test_one_withheld_cell_in_a_line_is_recomputed_exactly() -> None:
    table = grid("ab", "xy", [[3, 10], [12, 9]])
    values = disclosure.with_margins(table)
    assert disclosure.exposed_values(table.dimensions, values, {("a", "x")}) == {("a", "x"): Fraction(3)}


def test_four_cells_in_a_rectangle_protect_each_other() -> None:
    table = grid("ab", "xy", [[3, 10], [12, 9]])
    values = disclosure.with_margins(table)
    rectangle = {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")}
    assert disclosure.derivable(table.dimensions, values, rectangle) == set()


def test_a_bridge_between_two_protected_cycles_is_found() -> None:
    # Every line has two withheld cells, yet (b, y) joins two rectangles and is a bridge in
    # the row/column graph: it is the only link, so it follows from the totals.
    rows, columns = "abcd", "wxyz"
    table = grid(rows, columns, [[6, 7, 0, 0], [8, 9, 10, 0], [0, 0, 11, 12], [0, 0, 0, 13]])
    withheld = {("a", "w"), ("a", "x"), ("b", "w"), ("b", "x"), ("b", "y"), ("c", "y"), ("c", "z")}
    withheld |= {("b", T), ("c", T), ("a", T)}
    exposed = disclosure.derivable(table.dimensions, disclosure.with_margins(table), withheld)
    assert exposed == exposed_by_rank(table.dimensions, withheld)
    assert exposed != set()


def test_zeros_are_published_and_never_withheld() -> None:
    table = grid("ab", "xy", [[0, 2], [7, 9]])
    release = disclosure.suppress(table)
    assert release.cells[("a", "x")] == 0
    values = disclosure.with_margins(table)
    assert all(values[key] > 0 for key in release.withheld)


def test_rounding_publishes_multiples_of_the_base() -> None:
    table = grid("ab", "xy", [[7, 8], [12, 23]])
    release = disclosure.suppress(table, Rule(threshold=5, rounding_base=5))
    assert release.cells == {
        ("a", "x"): 5,
        ("a", "y"): 10,
        ("b", "x"): 10,
        ("b", "y"): 25,
        ("a", T): 15,
        ("b", T): 35,
        (T, "x"): 20,
        (T, "y"): 30,
        (T, T): 50,
    }


@pytest.mark.parametrize(("value", "rounded"), [(0, 0), (2, 0), (3, 5), (7, 5), (8, 10), (12, 10), (13, 15)])
def test_round_to_base(value: int, rounded: int) -> None:
    assert disclosure.round_to_base(value, 5) == rounded


def test_rules_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="threshold"):
        Rule(threshold=0)
    with pytest.raises(ValueError, match="rounding"):
        Rule(rounding_base=0)
    with pytest.raises(ValueError, match="dimensions"):
        Table((("a",),) * 4, {})
    with pytest.raises(ValueError, match="negative"):
        Table((("a",),), {("a",): -1})
    with pytest.raises(ValueError, match="category"):
        Table((("a",),), {("b",): 1})


def test_periods_and_the_publication_cutoff() -> None:
    day = datetime.date(2026, 8, 17)
    assert disclosure.period(day, disclosure.MONTH) == "2026-08"
    assert disclosure.period(day, disclosure.QUARTER) == "2026-Q3"
    # 30 days' lag from 17 August is 18 July: July is still filling up, so June is the last.
    assert disclosure.publication_cutoff(day, 30, disclosure.MONTH) == datetime.date(2026, 7, 1)
    assert disclosure.publication_cutoff(day, 30, disclosure.QUARTER) == datetime.date(2026, 7, 1)
    assert disclosure.publication_cutoff(day, 60, disclosure.QUARTER) == datetime.date(2026, 4, 1)
    with pytest.raises(ValueError, match="granularity"):
        disclosure.period(day, "week")


def test_places_coarsen_to_regions() -> None:
    regions = {"Grozny": "Chechnya", "Argun": "Chechnya", "Nazran": "Ingushetia"}
    assert disclosure.coarsen_place("Argun", regions, "other") == "Chechnya"
    assert disclosure.coarsen_place("Moscow", regions, "other") == "other"


def test_a_small_difference_between_releases_is_warned_about() -> None:
    earlier = disclosure.suppress(Table((("a", "b", "c"),), {("a",): 10, ("b",): 12, ("c",): 20}))
    later = disclosure.suppress(Table((("a", "b", "c"),), {("a",): 10, ("b",): 12, ("c",): 22}))
    risks = disclosure.differencing_risks(earlier, later, 5)
    assert risks == [
        disclosure.DifferencingRisk(("c",), 2, "small-difference"),
        disclosure.DifferencingRisk((T,), 2, "small-difference"),
    ]


def test_a_cell_withheld_once_and_published_later_is_revealed() -> None:
    keys = [("a",), ("b",), ("c",), (T,)]
    # Hand-made releases: the earlier one withholds a and b; the later one publishes b while
    # a stays withheld with c and the total published in both.
    earlier = Release((("a", "b", "c"),), dict(zip(keys, [None, None, 10, 19], strict=True)))
    later = Release((("a", "b", "c"),), dict(zip(keys, [None, 6, None, 19], strict=True)))
    risks = disclosure.differencing_risks(earlier, later, 5)
    assert risks == []  # a, b and c all unknown in one release: the difference is open
    later = Release((("a", "b", "c"),), dict(zip(keys, [None, None, 10, 19], strict=True)))
    assert disclosure.differencing_risks(earlier, later, 5) == []


# Properties -------------------------------------------------------------------------------


@st.composite
def tables(draw: st.DrawFn, max_dimensions: int = 3) -> Table:
    width = draw(st.integers(min_value=1, max_value=max_dimensions))
    sizes = [draw(st.integers(min_value=1, max_value=4 if width < 3 else 3)) for _ in range(width)]
    dimensions = tuple(tuple(f"{chr(97 + axis)}{i}" for i in range(size)) for axis, size in enumerate(sizes))
    counts = {
        key: draw(st.one_of(st.just(0), st.integers(min_value=1, max_value=4), st.integers(min_value=5, max_value=40)))
        for key in itertools.product(*dimensions)
    }
    return Table(dimensions, counts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), threshold=st.integers(min_value=2, max_value=6))
def test_no_withheld_cell_can_be_derived(table: Table, threshold: int) -> None:
    release = disclosure.suppress(table, Rule(threshold=threshold))
    values = disclosure.with_margins(table)
    assert exposed_by_rank(table.dimensions, release.withheld) == set()
    # Every published cell is zero or at the threshold; every withheld cell is a real count.
    for key, shown in release.cells.items():
        if shown is None:
            assert values[key] > 0
        else:
            assert shown == values[key]
            assert shown == 0 or shown >= threshold
    # Totals agree with what is shown: a line with nothing withheld adds up, and no total is
    # smaller than the published cells it sums.
    for total, members in disclosure.lines(table.dimensions):
        shown_members = [release.cells[m] for m in members]
        published = sum(v for v in shown_members if v is not None)
        if release.cells[total] is not None:
            assert release.cells[total] >= published
            if all(v is not None for v in shown_members):
                assert release.cells[total] == published
        # Never exactly one withheld member in a line.
        assert sum(key in release.withheld for key in (total, *members)) != 1


@settings(max_examples=150, deadline=None)
@given(table=tables(max_dimensions=3))
def test_fast_check_agrees_with_the_rank_check(table: Table) -> None:
    values = disclosure.with_margins(table)
    # The primary cells alone, before any complementary suppression: often exposed.
    primary = {key for key, value in values.items() if 0 < value < 5}
    exposed = disclosure.exposed_values(table.dimensions, values, primary)
    assert set(exposed) == exposed_by_rank(table.dimensions, primary)
    assert all(value == values[key] for key, value in exposed.items())


@settings(max_examples=100, deadline=None)
@given(table=tables(max_dimensions=2), base=st.sampled_from([3, 5, 10]))
def test_rounded_cells_are_multiples_of_the_base(table: Table, base: int) -> None:
    release = disclosure.suppress(table, Rule(rounding_base=base))
    assert all(v is None or v % base == 0 for v in release.cells.values())


@settings(max_examples=100, deadline=None)
@given(
    table=tables(max_dimensions=2),
    added=st.lists(st.integers(min_value=0, max_value=3), min_size=16, max_size=16),
)
def test_differencing_risks_report_true_differences(table: Table, added: list[int]) -> None:
    later_counts = {key: value + added[i % 16] for i, (key, value) in enumerate(sorted(table.counts.items()))}
    later_table = Table(table.dimensions, later_counts)
    earlier, later = disclosure.suppress(table), disclosure.suppress(later_table)
    before, after = disclosure.with_margins(table), disclosure.with_margins(later_table)
    for risk in disclosure.differencing_risks(earlier, later, 5):
        assert risk.difference == after[risk.key] - before[risk.key]
        if risk.reason == "small-difference":
            assert 0 < abs(risk.difference) < 5


# Against the hypercube reference -----------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(table=tables(max_dimensions=2).filter(lambda t: len(t.dimensions) == 2))
def test_no_fewer_protected_cells_than_the_hypercube_method(table: Table) -> None:
    """Both methods on the same table, both judged by the same rank check: the cells each
    leaves protected (withheld and not derivable) among the primary cells. Ours protects
    every primary cell; the hypercube protects at most that many (it finds no cube when a
    cell has no non-zero partners)."""
    ours = disclosure.suppress(table)
    primary, theirs = hypercube_2d(table, disclosure.DEFAULT_THRESHOLD)
    assert primary == ours.primary
    ours_protected = primary - exposed_by_rank(table.dimensions, ours.withheld)
    theirs_protected = primary & (theirs - exposed_by_rank(table.dimensions, theirs))
    assert ours_protected == primary
    assert len(ours_protected) >= len(theirs_protected)
