"""How a protected table is shown: blocks of rows for HTML and PDF, a bar chart as
server-rendered SVG (no JavaScript, presentation attributes only, labels escaped), and CSV.
Withheld cells are never given a number anywhere, not even a bound."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.cases.models import Status
from corridor.relocation.models import ApplicationStatus
from corridor.statistics import queries
from corridor.statistics.disclosure import TOTAL, Key, Release
from corridor.statistics.domain import reports
from corridor.statistics.models import DURATION_MEASURES, Dimension, Snapshot

WITHHELD = "—"


AGE_BAND_LABELS = {"00-17": gettext_lazy("under 18"), "60+": gettext_lazy("60 and over")}


def label(dimension: str, value: str | None) -> str:
    if value is TOTAL:
        return _("Total")
    if value == queries.UNKNOWN:
        return _("not known")
    if dimension == Dimension.AGE_BAND:
        return str(AGE_BAND_LABELS.get(value, value))
    if dimension == Dimension.STATUS:
        return str(dict(Status.choices).get(value, value))
    if dimension == Dimension.OUTCOME:
        extra = {queries.GRANTED: _("granted"), queries.REFUSED: _("refused")}
        return str(extra.get(value) or dict(ApplicationStatus.choices).get(value, value))
    return value


@dataclass(frozen=True)
class Block:
    """One two-way table (a three-dimension report is one block per first category)."""

    title: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]


def shown(value: int | None, median: float | None = None, with_median: bool = False) -> str:
    """A count as published; with medians, "median (count)": "42 (17)", a zero, or a dash."""
    if value is None:
        return WITHHELD
    if not with_median or not value:
        return str(value)
    return f"{WITHHELD if median is None else f'{median:g}'} ({value})"


Medians = Mapping[Key, float | None]


def blocks(release: Release, dimensions: Sequence[str], medians: Medians | None = None) -> list[Block]:
    axes = [[*categories, TOTAL] for categories in release.dimensions]
    with_median = medians is not None
    middle = medians or {}

    def cell(key: Key) -> str:
        return shown(release.cells.get(key), middle.get(key), with_median)

    heading = _("Median days (count)") if with_median else _("Count")
    if len(axes) == 1:
        rows = [(label(dimensions[0], a), [cell((a,))]) for a in axes[0]]
        return [Block("", [heading], rows)]
    if len(axes) == 2:
        return [_block("", dimensions, axes, lambda a, b: cell((a, b)))]
    result = []
    for first in axes[0]:
        title = f"{label_for(dimensions[0])}: {label(dimensions[0], first)}"
        result.append(_block(title, dimensions[1:], axes[1:], _slice(cell, first)))
    return result


def _slice(cell: Callable[[Key], str], first: str | None) -> Callable[[str | None, str | None], str]:
    def get(a: str | None, b: str | None) -> str:
        return cell((first, a, b))

    return get


def _block(
    title: str,
    dimensions: Sequence[str],
    axes: Sequence[Sequence[str | None]],
    get: Callable[[str | None, str | None], str],
) -> Block:
    columns = [label(dimensions[1], b) for b in axes[1]]
    rows = [(label(dimensions[0], a), [get(a, b) for b in axes[1]]) for a in axes[0]]
    return Block(title, columns, rows)


def label_for(dimension: str) -> str:
    return str(dict(Dimension.choices).get(dimension, dimension))


def bar_chart(release: Release, dimensions: Sequence[str], title: str) -> SafeString:
    """The first dimension's totals as bars; a withheld total is an empty outlined bar."""
    width, left, row = 640, 190, 26
    plot = width - left - 60
    width_of = len(release.dimensions)
    bars: list[tuple[str, int | None]] = []
    for category in release.dimensions[0]:
        key: Key = (category,) + (TOTAL,) * (width_of - 1)
        bars.append((label(dimensions[0], category), release.cells.get(key)))
    top = max([value for _name, value in bars if value is not None] or [1]) or 1
    height = 20 + row * max(len(bars), 1) + 10
    body = []
    for index, (name, value) in enumerate(bars):
        y = 10 + index * row
        body.append(f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" fill="#1f2a33">{escape(name)}</text>')
        if value is None:
            body.append(
                f'<rect x="{left}" y="{y + 4}" width="{plot * 0.08:.1f}" height="{row - 8}" fill="none" '
                f'stroke="#8a939b" stroke-dasharray="3 2"/>'
            )
            body.append(f'<text x="{left + plot * 0.08 + 6:.1f}" y="{y + 16}" fill="#5a6470">{escape(_("withheld"))}</text>')
        else:
            bar = plot * value / top
            body.append(f'<rect x="{left}" y="{y + 4}" width="{bar:.1f}" height="{row - 8}" fill="#2f6f8f"/>')
            body.append(f'<text x="{left + bar + 6:.1f}" y="{y + 16}" fill="#1f2a33">{value}</text>')
    return mark_safe(  # noqa: S308 -- built from numbers and escape()d labels only
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'class="chart" font-family="system-ui, sans-serif" font-size="13"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


def _csv_text(text: str) -> str:
    """A label safe to open in a spreadsheet: regions and programme names are free text, and a
    leading = + - @ would run as a formula (OWASP "CSV injection"), so it gets an apostrophe,
    as documentation/exports.py does."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(release: Release, dimensions: Sequence[str], medians: Medians | None = None) -> str:
    """One line per cell, margins included ('Total'), withheld cells empty with a flag; for a
    duration, the median days in a column of their own (empty where not shown)."""
    out = io.StringIO()
    writer = csv.writer(out)
    extra = [_("Median days")] if medians is not None else []
    writer.writerow([*(label_for(d) for d in dimensions), _("Count"), *extra, _("Withheld")])
    for key, value in release.cells.items():
        parts = [_csv_text(label(dimension, part)) for dimension, part in zip(dimensions, key, strict=True)]
        middle = []
        if medians is not None:
            median = medians.get(key)
            middle = ["" if median is None else f"{median:g}"]
        writer.writerow([*parts, "" if value is None else value, *middle, "yes" if value is None else ""])
    return out.getvalue()


def method_note(rule: dict[str, object], left_out: int | None, definition: Mapping[str, Any] | None = None) -> list[str]:
    """The method in plain words, for the page, the PDF and the CSV's companion; with the
    definition, also how durations and age bands were protected and which filters applied."""
    threshold = rule.get("threshold")
    lines = [
        _(
            "Numbers from 1 to %(below)s are not shown, because so few people could be recognised. "
            "Some other numbers are hidden too, so that the hidden ones cannot be worked out from the totals."
        )
        % {"below": int(str(threshold)) - 1},
        _("A dash (—) marks a hidden number. Zeros are shown: they name no one."),
    ]
    if rule.get("rounding_base"):
        lines.append(
            _("Shown numbers are rounded to the nearest multiple of %(base)s, so totals may not add up exactly.")
            % {"base": rule["rounding_base"]}
        )
    lines.append(
        _("Only whole periods that ended at least %(days)s days before publication are counted.") % {"days": rule.get("lag_days")}
    )
    if left_out is None:  # a published snapshot withholds a small number (reports.published_totals)
        lines.append(
            _("Only people who agreed to be counted in anonymised statistics are included; fewer than %(n)s records were left out.")
            % {"n": threshold}
        )
    else:
        lines.append(
            _("Only people who agreed to be counted in anonymised statistics are included; %(n)s records were left out.")
            % {"n": left_out}
        )
    if definition is not None:
        lines += _definition_notes(definition, int(str(threshold)))
    return lines


def _definition_notes(definition: Mapping[str, Any], threshold: int) -> list[str]:
    lines = []
    if definition.get("measure") in DURATION_MEASURES:
        lines.append(
            _(
                "Each cell shows the median number of days from first contact (the day the case was opened) to "
                "arrival, and in brackets how many arrivals it rests on. A median is shown only when at least "
                "%(threshold)s arrivals enter it and their count is shown: a median of fewer could be one person's own time."
            )
            % {"threshold": threshold}
        )
    if Dimension.AGE_BAND in definition.get("dimensions", []):
        lines.append(
            _(
                "Age bands are worked out while the report is made, from birth dates decrypted in memory and then "
                "forgotten; no birth date or year is kept in clear. People whose birth year is not known are counted as “not known”."
            )
        )
    filters = definition.get("filters") or {}
    if filters:
        lines.append(_("Counted only: %(filters)s.") % {"filters": "; ".join(filter_descriptions(filters))})
    return lines


def filter_descriptions(filters: Mapping[str, Any]) -> list[str]:
    """Each filter in words: "from 2025-01", "country: Iceland, Norway"."""
    described = []
    if filters.get(queries.PERIOD_FROM):
        described.append(_("from %(month)s") % {"month": filters[queries.PERIOD_FROM]})
    if filters.get(queries.PERIOD_TO):
        described.append(_("until %(month)s") % {"month": filters[queries.PERIOD_TO]})
    for key, values in filters.items():
        if key in (queries.PERIOD_FROM, queries.PERIOD_TO):
            continue
        names = dict(queries.filter_values(key))
        shown_values = ", ".join(names.get(value, label(key, value)) for value in values)
        described.append(f"{label_for(key)}: {shown_values}")
    return described


def snapshot_note(snapshot: Snapshot) -> list[str]:
    return method_note(snapshot.rule, reports.published_totals(snapshot)[1], snapshot.definition)
