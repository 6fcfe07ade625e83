"""Disclosure control for published tables: pure functions over plain count tables (no
database, no Django), so every report, the bench and the property tests share them.

A table has up to three dimensions; it is published with ALL its margins (every sub-total
over any set of dimensions and the grand total), because that is what a reader of a report
sees. A cell key is a tuple with one entry per dimension: a category, or TOTAL (None) where
the cell sums over that dimension.

Method
- Primary suppression: a cell (inner or margin) with 0 < count < threshold is withheld.
  Zeros are published. A zero names no one; withholding zeros would blank most of a sparse
  table and need complementary suppressions of its own. Zeros are also never chosen as
  complementary cells: a withheld zero can be pinned by the rule that counts are never
  negative (a line whose withheld cells are all zero sums to zero), so it protects nothing.
- Complementary suppression: until no line (a total and the cells it sums) has exactly one
  withheld member, withhold the smallest non-zero published member of such a line; then
  check the whole table exactly (below) and, for any withheld cell still derivable, withhold
  the smallest non-zero published cell on one of its lines, and check again. Last, give
  back complementary cells, largest first, whose release leaves nothing derivable.
- The check: the unknowns are the withheld cells, the equations are the margin identities
  with the published cells moved to the right-hand side. A withheld cell is derivable
  exactly when its unit vector lies in the row space of that system, which exact rational
  elimination decides (written here by hand, fraction-free in Python integers: the
  coefficients are 0 and +-1, the systems have at most a few thousand rows, and neither
  numpy nor scipy is pinned; floating point would make "exactly derivable" a tolerance
  question). Counts are also never negative, so the attacker really has a linear
  programme; but every withheld cell is >= 1 (zeros are never withheld), so at the true
  table no non-negativity bound is tight and the feasible interval of a cell is a single point exactly when the equations
  alone determine it. The linear check is therefore the feasible-interval check.
- Rounding (optional): published cells, margins included, are rounded to the nearest
  multiple of `base` (halves up). Rounded margins then need not add up; the method note says
  so.
"""

from __future__ import annotations

import datetime
import itertools
import math
import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

TOTAL = None
Key = tuple[str | None, ...]

DEFAULT_THRESHOLD = 5
DEFAULT_ROUNDING_BASE = 5
MAX_DIMENSIONS = 3
# The give-back pass re-checks the table once per complementary cell; beyond this many
# withheld cells the table keeps what the greedy pass chose (still fully protected, only more withheld).
CLEANUP_LIMIT = 60


@dataclass(frozen=True)
class Table:
    """Counts by category; a missing inner cell counts zero."""

    dimensions: tuple[tuple[str, ...], ...]
    counts: Mapping[tuple[str, ...], int]

    def __post_init__(self) -> None:
        if not 1 <= len(self.dimensions) <= MAX_DIMENSIONS:
            raise ValueError(f"a table has 1 to {MAX_DIMENSIONS} dimensions")
        for key, value in self.counts.items():
            if len(key) != len(self.dimensions):
                raise ValueError(f"cell {key!r} does not match the dimensions")
            if value < 0:
                raise ValueError(f"cell {key!r} is negative")
            for category, categories in zip(key, self.dimensions, strict=True):
                if category not in categories:
                    raise ValueError(f"cell {key!r}: {category!r} is not a category")


@dataclass(frozen=True)
class Rule:
    """The settings a release is made under (stored with every published snapshot)."""

    threshold: int = DEFAULT_THRESHOLD
    rounding_base: int | None = None

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("the threshold is at least 1")
        if self.rounding_base is not None and self.rounding_base < 1:
            raise ValueError("the rounding base is at least 1")


@dataclass
class Release:
    """A protected table: `cells` maps every cell, margins included, to its published value,
    or None where withheld. `primary` and `complementary` say why a cell was withheld."""

    dimensions: tuple[tuple[str, ...], ...]
    cells: dict[Key, int | None]
    primary: set[Key] = field(default_factory=set)
    complementary: set[Key] = field(default_factory=set)

    @property
    def withheld(self) -> set[Key]:
        return self.primary | self.complementary


def cell_keys(dimensions: Sequence[Sequence[str]]) -> list[Key]:
    """Every cell of the table with its margins, inner cells first, the grand total last."""
    axes = [[*categories, TOTAL] for categories in dimensions]
    keys: list[Key] = list(itertools.product(*axes))
    keys.sort(key=lambda key: sum(part is TOTAL for part in key))
    return keys


def with_margins(table: Table) -> dict[Key, int]:
    """Every cell's true value, margins included."""
    values: dict[Key, int] = dict.fromkeys(cell_keys(table.dimensions), 0)
    width = len(table.dimensions)
    for key, count in table.counts.items():
        if not count:
            continue
        # The inner cell adds to every margin obtained by replacing any of its parts by TOTAL.
        for mask in itertools.product((False, True), repeat=width):
            target = tuple(TOTAL if blank else part for part, blank in zip(key, mask, strict=True))
            values[target] += count
    return values


def cell_medians(release: Release, durations: Mapping[tuple[str, ...], Sequence[int]], threshold: int) -> dict[Key, float | None]:
    """The median duration of every cell, margins included, shown only where the cell's count is
    shown AND at least `threshold` durations enter it: a median of fewer is close to one
    person's own figure (of one, exactly), and a withheld count keeps its median withheld too."""
    pooled: dict[Key, list[int]] = {}
    width = len(release.dimensions)
    for inner, values in durations.items():
        for mask in itertools.product((False, True), repeat=width):
            target: Key = tuple(TOTAL if blank else part for part, blank in zip(inner, mask, strict=True))
            pooled.setdefault(target, []).extend(values)
    medians: dict[Key, float | None] = {}
    for key, shown in release.cells.items():
        values = pooled.get(key, [])
        if shown is None or len(values) < threshold:
            medians[key] = None
        else:
            medians[key] = round(float(statistics.median(values)), 1)
    return medians


def lines(dimensions: Sequence[Sequence[str]]) -> Iterator[tuple[Key, tuple[Key, ...]]]:
    """Each margin identity: (total cell, the cells it sums), one per margin cell and
    dimension the margin sums over."""
    for key in cell_keys(dimensions):
        for axis, part in enumerate(key):
            if part is TOTAL:
                members = tuple(key[:axis] + (category,) + key[axis + 1 :] for category in dimensions[axis])
                yield key, members


def derivable(dimensions: Sequence[Sequence[str]], values: Mapping[Key, int], withheld: set[Key]) -> set[Key]:
    """The withheld cells an attacker can compute exactly from the published ones (see the
    module docstring for why the linear system decides it)."""
    return set(exposed_values(dimensions, values, withheld))


def exposed_values(dimensions: Sequence[Sequence[str]], values: Mapping[Key, int], withheld: set[Key]) -> dict[Key, Fraction]:
    """The withheld cells determined by the published cells (`values` outside `withheld`)
    through the margin identities, with the value they are determined to have."""
    if not withheld:
        return {}
    order = sorted(withheld, key=_sort_key)
    column = {key: index for index, key in enumerate(order)}
    rhs = len(order)  # the augmented column: the published part moved to the right
    rows: list[dict[int, int]] = []
    for total, members in lines(dimensions):
        row: dict[int, int] = {}
        constant = 0
        for key, sign in itertools.chain(((total, 1),), ((member, -1) for member in members)):
            if key in column:
                row[column[key]] = row.get(column[key], 0) + sign
            else:
                constant -= sign * values[key]
        row = {index: coefficient for index, coefficient in row.items() if coefficient}
        if row:
            if constant:
                row[rhs] = constant
            rows.append(row)
    pivots = _reduce(rows, rhs)
    # In reduced row echelon form, e_i is in the row space exactly when i is a pivot column
    # and its row has no other non-zero entry (the augmented column aside); the row is a
    # multiple of "cell i = value", so the value is its right-hand side over its coefficient.
    return {
        order[index]: Fraction(row.get(rhs, 0), row[index])
        for index, row in pivots.items()
        if all(other in (index, rhs) for other in row)
    }


def _sort_key(key: Key) -> tuple[tuple[int, str], ...]:
    return tuple((1, "") if part is TOTAL else (0, part) for part in key)


def _eliminate(row: dict[int, int], column: int, pivot_row: Mapping[int, int]) -> dict[int, int]:
    """`row` with `column` cleared by a multiple of `pivot_row`, in integers: p * row - r * pivot_row
    (p, r their entries in `column`), divided by the gcd of what is left. Exact, as Fractions
    would be, and several times faster: the supports, which decide derivability, are the same."""
    p, r = pivot_row[column], row[column]
    combined = {index: p * value for index, value in row.items()}
    for index, value in pivot_row.items():
        updated = combined.get(index, 0) - r * value
        if updated:
            combined[index] = updated
        else:
            combined.pop(index, None)
    return _normalised(combined)


def _normalised(row: dict[int, int]) -> dict[int, int]:
    divisor = math.gcd(*row.values()) if row else 1
    return row if divisor in (0, 1) else {index: value // divisor for index, value in row.items()}


def _reduce(rows: list[dict[int, int]], rhs: int) -> dict[int, dict[int, int]]:
    """Sparse Gauss-Jordan elimination, fraction-free over the integers (each row a non-zero
    multiple of its rational reduced form): pivot column -> its reduced row.
    Column `rhs` is the augmented column and never a pivot."""
    pivots: dict[int, dict[int, int]] = {}
    for original in rows:
        row = dict(original)
        # Each pivot row has no other pivot column in it, so one pass clears them all.
        for column in [index for index in row if index in pivots]:
            row = _eliminate(row, column, pivots[column])
        variables = [index for index in row if index != rhs]
        if not variables:
            continue  # a redundant identity (consistent: the values are a real table)
        column = min(variables)
        # Keep the form reduced: clear the new pivot column from the earlier rows.
        for key, other in pivots.items():
            if column in other:
                pivots[key] = _eliminate(other, column, row)
        pivots[column] = row
    return pivots


def suppress(table: Table, rule: Rule = Rule()) -> Release:
    """Primary and complementary suppression, then rounding if the rule asks for it."""
    values = with_margins(table)
    primary = {key for key, value in values.items() if 0 < value < rule.threshold}
    withheld = set(primary)
    all_lines = list(lines(table.dimensions))
    by_cell: dict[Key, list[tuple[Key, ...]]] = {}
    for total, members in all_lines:
        line = (total, *members)
        for key in line:
            by_cell.setdefault(key, []).append(line)

    def cheapest(line: Iterable[Key]) -> Key | None:
        candidates = [key for key in line if key not in withheld and values[key] > 0]
        if not candidates:
            return None

        def balance(key: Key) -> int:
            # Lines through the cell that withholding it would leave with exactly one
            # withheld member (each will need a partner of its own), minus those it mends.
            score = 0
            for other in by_cell[key]:
                count = sum(member in withheld for member in other)
                score += (count == 0) - (count == 1)
            return score

        # Fewest new lines to mend, then the smallest count (least information lost), then
        # an inner cell before a margin.
        return min(
            candidates,
            key=lambda key: (balance(key), values[key], sum(p is TOTAL for p in key), _sort_key(key)),
        )

    while True:
        changed = True
        while changed:
            changed = False
            for total, members in all_lines:
                line = (total, *members)
                if sum(key in withheld for key in line) == 1:
                    extra = cheapest(line)
                    if extra is not None:
                        withheld.add(extra)
                        changed = True
        exposed = derivable(table.dimensions, values, withheld)
        if not exposed:
            break
        added = False
        for key in sorted(exposed, key=_sort_key):
            for line in by_cell.get(key, []):
                extra = cheapest(line)
                if extra is not None:
                    withheld.add(extra)
                    added = True
                    break
            if added:
                break
        if not added:
            # Nothing non-zero left to withhold around an exposed cell: withhold every
            # non-zero cell, which nothing can be derived from.
            withheld |= {key for key, value in values.items() if value > 0}
            break

    if len(withheld) <= CLEANUP_LIMIT:
        withheld = _release_unneeded(table.dimensions, values, primary, withheld)

    cells: dict[Key, int | None] = {}
    for key, value in values.items():
        if key in withheld:
            cells[key] = None
        elif rule.rounding_base:
            cells[key] = round_to_base(value, rule.rounding_base)
        else:
            cells[key] = value
    return Release(table.dimensions, cells, primary, withheld - primary)


def _release_unneeded(
    dimensions: Sequence[Sequence[str]], values: Mapping[Key, int], primary: set[Key], withheld: set[Key]
) -> set[Key]:
    """The greedy pass over-protects: a partner chosen early may be made unnecessary by
    partners chosen later. Try giving back each complementary cell, largest first (the
    most information regained), keeping it withheld if anything becomes derivable."""
    kept = set(withheld)
    for key in sorted(withheld - primary, key=lambda key: (-values[key], _sort_key(key))):
        trial = kept - {key}
        if not derivable(dimensions, values, trial):
            kept = trial
    return kept


def round_to_base(value: int, base: int) -> int:
    """The nearest multiple of base, halves up (7 -> 5, 8 -> 10 for base 5)."""
    return ((value + base // 2) // base) * base


# Coarsening and lag -------------------------------------------------------------------------

MONTH = "month"
QUARTER = "quarter"
GRANULARITIES = (MONTH, QUARTER)


def period(day: datetime.date, granularity: str) -> str:
    """The period a date falls in: '2026-03' by month, '2026-Q1' by quarter."""
    if granularity == MONTH:
        return f"{day.year:04d}-{day.month:02d}"
    if granularity == QUARTER:
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    raise ValueError(f"unknown granularity {granularity!r}")


def period_start(day: datetime.date, granularity: str) -> datetime.date:
    if granularity == MONTH:
        return day.replace(day=1)
    if granularity == QUARTER:
        return datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    raise ValueError(f"unknown granularity {granularity!r}")


def publication_cutoff(today: datetime.date, lag_days: int, granularity: str) -> datetime.date:
    """The first day NOT counted: events must be at least `lag_days` old and their whole
    period over, so a release never shows a period still filling up (whose next release
    would reveal the newcomers by subtraction)."""
    if lag_days < 0:
        raise ValueError("the lag is not negative")
    return period_start(today - datetime.timedelta(days=lag_days), granularity)


def coarsen_place(place: str, regions: Mapping[str, str], unknown: str) -> str:
    """A place's region; places not in the mapping fall into `unknown`, never shown alone."""
    return regions.get(place, unknown)


# Releases over time ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DifferencingRisk:
    """A cell a reader can learn by comparing two releases."""

    key: Key
    difference: int
    reason: str  # "small-difference" or "revealed"


def align(release: Release, dimensions: Sequence[Sequence[str]]) -> Release:
    """`release` over wider categories (the union of two releases'): a category it did not have
    was empty then, which a reader infers, so its cells read as published zeros."""
    cells: dict[Key, int | None] = {}
    for key in cell_keys(dimensions):
        cells[key] = release.cells.get(key, 0)
    return Release(tuple(tuple(axis) for axis in dimensions), cells, set(release.primary), set(release.complementary))


def differencing_risks(earlier: Release, later: Release, threshold: int) -> list[DifferencingRisk]:
    """Compare a new release with one published earlier over the same categories. The
    difference table (later minus earlier) is known where both published a cell; from it a
    reader can solve for more differences through the margin identities. Warn when a
    difference a reader can know is a small group (0 < |d| < threshold: the people who
    arrived between the releases), and when a cell withheld in one release is published in
    the other and its difference is derivable (then the withheld value follows)."""
    if earlier.dimensions != later.dimensions:
        raise ValueError("releases over different categories cannot be compared")
    known: dict[Key, int] = {}
    unknown: set[Key] = set()
    for key, before in earlier.cells.items():
        after = later.cells.get(key)
        if before is None or after is None:
            unknown.add(key)
        else:
            known[key] = after - before
    values = {key: int(value) for key, value in exposed_values(earlier.dimensions, known, unknown).items()}
    risks: list[DifferencingRisk] = []
    for key in sorted(earlier.cells, key=_sort_key):
        if key in known:
            difference = known[key]
        elif key in values:
            difference = values[key]
        else:
            continue
        one_sided = (earlier.cells[key] is None) != (later.cells.get(key) is None)
        if key in unknown and one_sided:
            risks.append(DifferencingRisk(key, difference, "revealed"))
        elif 0 < abs(difference) < threshold:
            risks.append(DifferencingRisk(key, difference, "small-difference"))
    return risks
