"""How a protected table is shown: blocks of rows for HTML and PDF, a bar chart as
server-rendered SVG (no JavaScript, presentation attributes only, labels escaped), and CSV.
Withheld cells are never given a number anywhere, not even a bound."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from corridor.cases.models import Status
from corridor.relocation.models import ApplicationStatus
from corridor.statistics import queries
from corridor.statistics.disclosure import TOTAL, Key, Release
from corridor.statistics.models import Dimension

WITHHELD = "—"


def label(dimension: str, value: str | None) -> str:
    if value is TOTAL:
        return _("Total")
    if value == queries.UNKNOWN:
        return _("not known")
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


def shown(value: int | None) -> str:
    return WITHHELD if value is None else str(value)


def blocks(release: Release, dimensions: Sequence[str]) -> list[Block]:
    axes = [[*categories, TOTAL] for categories in release.dimensions]
    cell = release.cells.get
    if len(axes) == 1:
        rows = [(label(dimensions[0], a), [shown(cell((a,)))]) for a in axes[0]]
        return [Block("", [_("Count")], rows)]
    if len(axes) == 2:
        return [_block("", dimensions, axes, lambda a, b: cell((a, b)))]
    result = []
    for first in axes[0]:
        title = f"{label_for(dimensions[0])}: {label(dimensions[0], first)}"
        result.append(_block(title, dimensions[1:], axes[1:], _slice(release, first)))
    return result


def _slice(release: Release, first: str | None) -> Callable[[str | None, str | None], int | None]:
    def get(a: str | None, b: str | None) -> int | None:
        return release.cells.get((first, a, b))

    return get


def _block(
    title: str,
    dimensions: Sequence[str],
    axes: Sequence[Sequence[str | None]],
    get: Callable[[str | None, str | None], int | None],
) -> Block:
    columns = [label(dimensions[1], b) for b in axes[1]]
    rows = [(label(dimensions[0], a), [shown(get(a, b)) for b in axes[1]]) for a in axes[0]]
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


def to_csv(release: Release, dimensions: Sequence[str]) -> str:
    """One line per cell, margins included ('Total'), withheld cells empty with a flag."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*(label_for(d) for d in dimensions), _("Count"), _("Withheld")])
    for key, value in release.cells.items():
        parts = [_csv_text(label(dimension, part)) for dimension, part in zip(dimensions, key, strict=True)]
        writer.writerow([*parts, "" if value is None else value, "yes" if value is None else ""])
    return out.getvalue()


def method_note(rule: dict[str, object], left_out: int) -> list[str]:
    """The method in plain words, for the page, the PDF and the CSV's companion."""
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
    lines.append(
        _("Only people who agreed to be counted in anonymised statistics are included; %(n)s records were left out.")
        % {"n": left_out}
    )
    return lines
