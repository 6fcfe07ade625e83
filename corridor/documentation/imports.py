"""Importing media reports (title, text, address) as sources, each flagged against the sources
already there, and against the others in the same batch, by near-duplicate detection.

A flag is for a person to judge ("this reprints a report we have"), never a refusal: the person
then marks the source as derived from the one it copies, and corroboration counts it once.
Reports arrive as a list of dicts (the API) or as a CSV file (the page) with the columns
title, text, address (or url), author (or outlet) and published (YYYY-MM-DD or YYYY/MM/DD).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.documentation import domain, nearduplicates
from corridor.documentation.models import Source

MAX_REPORTS = 500
MAX_CSV_BYTES = 5 * 1024 * 1024
COLUMNS = {
    "title": "title",
    "text": "text",
    "address": "url",
    "url": "url",
    "author": "author",
    "outlet": "author",
    "published": "published",
}


@dataclass
class Imported:
    source: Source
    # Existing sources (and earlier reports of the same batch) this one nearly copies, best first.
    matches: list[tuple[Source, float]] = field(default_factory=list)


def _date(value: Any, where: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace("/", "-")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError({where: _("Give the date as YYYY-MM-DD.")}) from None


def clean_reports(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reports with known fields only, as create_source takes them; a clear error otherwise."""
    if len(rows) > MAX_REPORTS:
        raise ValidationError({"reports": _("Import at most %(count)d reports at a time.") % {"count": MAX_REPORTS}})
    cleaned = []
    for index, row in enumerate(rows):
        report: dict[str, Any] = {}
        for key, value in row.items():
            name = COLUMNS.get(str(key or "").strip().lower())
            if name is None or value in (None, ""):
                continue
            report[name] = value if name == "published" else str(value)
        report["published"] = _date(report.get("published"), f"reports[{index}].published")
        report.setdefault("title", "")
        cleaned.append(report)
    return cleaned


def parse_csv(data: bytes) -> list[dict[str, Any]]:
    """Rows of a UTF-8 CSV file (comma or semicolon, a header row naming the columns)."""
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError({"file": _("The file is too large; split it into several.")})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": _("Save the file as UTF-8 text (CSV).")}) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        fieldnames = reader.fieldnames  # reads the header row: a csv.Error there too is the file's
        if not fieldnames or "title" not in {str(name).strip().lower() for name in fieldnames}:
            raise ValidationError({"file": _("The first row must name the columns, title among them.")})
        return [dict(row) for row in reader]
    except csv.Error:
        raise ValidationError({"file": _("The file is not a readable CSV.")}) from None


def import_reports(user: User, team: Team, rows: list[dict[str, Any]]) -> list[Imported]:
    """Create a source per report (all or none) and say which existing ones each nearly copies."""
    reports = clean_reports(rows)
    texts = {index: str(report.get("text") or "") for index, report in enumerate(reports)}
    # Against what exists, computed before the new ones are written (then they would match themselves).
    existing = nearduplicates.match_existing(user, {k: v for k, v in texts.items() if v}, team_id=team.pk)
    created = domain.import_media_reports(user, team, reports)
    results = [Imported(source=source, matches=list(existing.get(index, []))) for index, source in enumerate(created)]
    # Within the batch: a later report that copies an earlier one is flagged against it.
    by_position: dict[Hashable, Source] = dict(enumerate(created))
    index = nearduplicates.Index()
    for position in range(len(reports)):
        text = texts[position]
        if not text:
            continue
        for earlier, score in index.query(text):
            results[position].matches.append((by_position[earlier], score))
        index.add(position, text)
    for result in results:
        result.matches.sort(key=lambda match: -match[1])
    return results
