"""Reading the spreadsheets organisations keep today: CSV in any common encoding, and XLSX.

Everything is read from bytes held in memory and returned as text cells; nothing is written
to disk. Formulas are never evaluated: an XLSX cell holding one is read as its cached value
if the file has one, else refused as a cell (the formula text never becomes data, so it can
never be exported back). Limits keep one file from taking the server: size, rows, columns
and cell length, each refused with a clear message.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 60
MAX_CELL = 4_000
# An XLSX file is a zip: refuse one whose members would unpack to more than this.
MAX_UNPACKED = 200 * 1024 * 1024

ENCODINGS = ("utf-8-sig", "cp1251")


class SpreadsheetError(ValueError):
    """The file cannot be read as a whole: a message for the person who uploaded it."""


@dataclass
class Table:
    """The header row and the data rows, each cell a stripped string; `lines` are the
    spreadsheet's own line numbers (1 is the header) for the reports."""

    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    encoding: str = ""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()


def _decode(data: bytes) -> tuple[str, str]:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise SpreadsheetError(_("The file is neither UTF-8 nor Windows-1251 text. Save it as CSV (UTF-8) and try again."))


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:16_384]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def _check_shape(width: int, line: int) -> None:
    if width > MAX_COLUMNS:
        raise SpreadsheetError(
            _("Line %(line)d has %(count)d columns; at most %(max)d are read.")
            % {"line": line, "count": width, "max": MAX_COLUMNS}
        )
    if line - 1 > MAX_ROWS:
        raise SpreadsheetError(_("The file has more than %(max)d rows; split it into smaller files.") % {"max": MAX_ROWS})


def _table(rows: Iterator[tuple[int, list[str]]], encoding: str) -> Table:
    table: Table | None = None
    for line, cells in rows:
        _check_shape(len(cells), line)
        for cell in cells:
            if len(cell) > MAX_CELL:
                raise SpreadsheetError(
                    _("A cell on line %(line)d is longer than %(max)d characters.") % {"line": line, "max": MAX_CELL}
                )
        if table is None:
            if not any(cells):
                continue
            table = Table(headers=cells, encoding=encoding)
            continue
        if not any(cells):
            continue
        table.rows.append(cells)
        table.lines.append(line)
    if table is None:
        raise SpreadsheetError(_("The file has no header row."))
    width = len(table.headers)
    table.rows = [(row + [""] * width)[: max(width, len(row))] for row in table.rows]
    return table


def read_csv(data: bytes) -> Table:
    if b"\x00" in data[:4096]:
        raise SpreadsheetError(_("This is not a text file. Upload a CSV or an XLSX spreadsheet."))
    text, encoding = _decode(data)
    dialect = _dialect(text)

    def rows() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        try:
            for cells in reader:
                yield reader.line_num, [_cell(cell) for cell in cells]
        except csv.Error as error:
            raise SpreadsheetError(_("The CSV file cannot be read near line %(line)d.") % {"line": reader.line_num}) from error

    return _table(rows(), encoding)


def read_xlsx(data: bytes) -> Table:
    # openpyxl parses the XML with defusedxml when it is installed (it is: requirements.lock).
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise SpreadsheetError(_("The spreadsheet unpacks to more than %(max)d MB.") % {"max": MAX_UNPACKED // 2**20})
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except SpreadsheetError:
        raise
    except Exception as error:  # openpyxl raises many kinds on a broken file
        raise SpreadsheetError(_("The XLSX file cannot be read. Open it in a spreadsheet program and save it again.")) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise SpreadsheetError(_("The spreadsheet has no sheet."))

        def rows() -> Iterator[tuple[int, list[str]]]:
            for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_cell(value) for value in values]
                while cells and not cells[-1]:
                    cells.pop()
                yield line, cells

        try:
            return _table(rows(), "xlsx")
        except SpreadsheetError:
            raise
        except Exception as error:
            raise SpreadsheetError(
                _("The XLSX file cannot be read. Open it in a spreadsheet program and save it again.")
            ) from error
    finally:
        workbook.close()


def read(data: bytes, filename: str = "") -> Table:
    """The table in `data`: XLSX when it is a zip (whatever its name says), else CSV text."""
    if len(data) > MAX_BYTES:
        raise SpreadsheetError(_("The file is larger than %(max)d MB.") % {"max": MAX_BYTES // 2**20})
    if not data.strip():
        raise SpreadsheetError(_("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise SpreadsheetError(_("This is not an XLSX file. Save the spreadsheet as XLSX or CSV and try again."))
    return read_csv(data)
