"""Fuzz of the spreadsheet reader (corridor/transfer/spreadsheet.py) that the import starts from.

Properties: any bytes are a Table or a SpreadsheetError with a message (never another
exception); every row carries the spreadsheet line it came from; a table written as CSV in
any dialect and encoding reads back as the same cells; a zip that would unpack past the
limit is refused before anything is unpacked.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corridor.transfer import spreadsheet
from corridor.transfer.spreadsheet import SpreadsheetError, Table

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _read(data: bytes, name: str = "") -> Table | None:
    try:
        table = spreadsheet.read(data, name)
    except SpreadsheetError as error:
        assert str(error).strip()
        return None
    assert table.headers and any(table.headers)
    assert len(table.rows) == len(table.lines)
    assert table.lines == sorted(set(table.lines)) and all(line > 1 for line in table.lines)
    for row in table.rows:
        assert len(row) >= len(table.headers) and all(isinstance(cell, str) for cell in row)
        assert any(row)
    return table


@FUZZ
@given(st.binary(max_size=3000), st.sampled_from(["", "a.csv", "a.xlsx", "a.txt"]))
@example(b"\xef\xbb\xbf", "")
@example(b'a,b\n"unterminated', "")
@example(b"a\x00b", "a.csv")
@example(b"PK\x03\x04garbage", "a.csv")
@example(b"a;b\n" + b"x" * 5000 + b";y\n", "")
@example(b"\n" * 10 + b"=cmd|' /C calc'!A0,b\n1,2", "")
def test_any_bytes_are_a_table_or_a_clear_refusal(data: bytes, name: str) -> None:
    _read(data, name)


cell = st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), max_size=15)


@FUZZ
@given(
    st.lists(cell.filter(bool), min_size=2, max_size=6, unique=True),
    st.lists(st.lists(cell, min_size=6, max_size=6), max_size=8),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1251"]),
    st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    st.sampled_from(["\r\n", "\n"]),
)
def test_csv_written_in_any_dialect_reads_back(
    headers: list[str], rows: list[list[str]], delimiter: str, encoding: str, quoting: int, newline: str
) -> None:
    rows = [row[: len(headers)] for row in rows]  # a spreadsheet's rows are as wide as its header
    try:
        "".join(headers + [c for row in rows for c in row]).encode(encoding)
    except UnicodeEncodeError:
        return  # not representable in that code page
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    writer.writerow(headers)
    writer.writerows(rows)
    table = _read(out.getvalue().encode(encoding))
    # The sniffer may guess another dialect for a tiny, ambiguous sample; when it reads the
    # header right, the rows are exactly what was written.
    if table is None or table.headers != headers:
        return
    expected = [(line, row) for line, row in enumerate(rows, start=2) if any(row)]
    assert table.lines == [line for line, _row in expected]
    width = len(headers)
    assert table.rows == [(row + [""] * width)[: max(width, len(row))] for _line, row in expected]


@FUZZ
@given(st.integers(0, 2000), st.integers(1, 200))
def test_long_lines_and_wide_rows_are_refused_with_their_line(cells: int, line: int) -> None:
    data = b"a,b\n" + b"x,y\n" * (line - 1) + b",".join([b"v"] * cells) + b"\n"
    table = _read(data)
    if cells > spreadsheet.MAX_COLUMNS:
        assert table is None
        with pytest.raises(SpreadsheetError, match=f"Line {line + 1} "):
            spreadsheet.read(data)


def test_a_zip_bomb_is_refused_before_it_is_unpacked() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"\x00" * (spreadsheet.MAX_UNPACKED + 1))
    data = out.getvalue()
    assert len(data) < 1_000_000
    with pytest.raises(SpreadsheetError, match="unpacks to more than"):
        spreadsheet.read(data, "a.xlsx")


def _workbook() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "born", "note"])
    sheet.append(["Анна", "1990-01-02", "=1+1"])
    sheet.append(["Bob", None, 3.0])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


WORKBOOK = _workbook()  # once: the zip holds the time it was written


@FUZZ
@given(st.data())
def test_mutated_xlsx_is_a_table_or_a_clear_refusal(data: st.DataObject) -> None:
    original = WORKBOOK
    cut = data.draw(st.integers(4, len(original)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(original) - 1), st.integers(1, 255)), max_size=6))
    mutated = bytearray(original[:cut])
    for at, mask in flips:
        if 4 <= at < len(mutated):
            mutated[at] ^= mask
    table = _read(bytes(mutated), "a.xlsx")
    if cut == len(original) and not flips:
        assert table is not None and table.rows[0][:2] == ["Анна", "1990-01-02"]
