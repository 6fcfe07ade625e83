"""A reference for the suppression tests: the hypercube method for two-dimensional tables
with margins, as sdcTable's protectTable(method="HYPERCUBE") and tau-argus describe it
(Repsilber's 'Quaderverfahren'): each primary cell is protected by the cheapest
2-dimensional cube (a rectangle of four non-zero cells, margins included, one corner the
primary cell) and all its corners are withheld.

Written here from the published description, not copied; used only to compare.
"""

from __future__ import annotations

import itertools

from corridor.statistics.disclosure import TOTAL, Key, Table, with_margins


def hypercube_2d(table: Table, threshold: int) -> tuple[set[Key], set[Key]]:
    """(primary, withheld) for a two-dimensional table under the hypercube method."""
    if len(table.dimensions) != 2:
        raise ValueError("the reference covers two dimensions")
    values = with_margins(table)
    rows: list[str | None] = [*table.dimensions[0], TOTAL]
    columns: list[str | None] = [*table.dimensions[1], TOTAL]
    primary = {key for key, value in values.items() if 0 < value < threshold}
    withheld = set(primary)
    for row, column in sorted(primary, key=lambda key: tuple("" if p is None else p for p in key)):
        best: tuple[tuple[int, int], set[Key]] | None = None
        for other_row, other_column in itertools.product(rows, columns):
            if other_row == row or other_column == column:
                continue
            corners = {(row, column), (row, other_column), (other_row, column), (other_row, other_column)}
            if any(values[corner] == 0 for corner in corners):
                continue
            new = corners - withheld
            cost = (len(new), sum(values[corner] for corner in new))
            if best is None or cost < best[0]:
                best = (cost, corners)
        if best is not None:
            withheld |= best[1]
    return primary, withheld
