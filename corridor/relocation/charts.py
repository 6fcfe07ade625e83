"""Server-rendered SVG charts (no JavaScript, no fonts fetched): grant rate by country with its
interval, time to decision, and the pipeline funnel. Presentation attributes only, no style=
attributes, so the strict Content-Security-Policy holds; every label is escaped.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from corridor.relocation.stats import GrantRate

WIDTH = 640
LABEL = 190
ROW = 26
PLOT = WIDTH - LABEL - 60
# Unique ids for <title> elements when several charts share a page.
_ids = itertools.count(1)


def _frame(title: str, height: int, body: list[str], description: str) -> SafeString:
    chart_id = f"chart-{next(_ids)}"
    return mark_safe(  # noqa: S308 -- built from numbers and escape()d labels only
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}" class="chart" font-family="system-ui, sans-serif" font-size="13">'
        f'<title id="{chart_id}">{escape(title)}</title><desc>{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _axis(top: int, bottom: int, ticks: Sequence[tuple[float, str]]) -> list[str]:
    parts = []
    for fraction, text in ticks:
        x = LABEL + fraction * PLOT
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#d8dcdf"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#5a6470">{escape(text)}</text>')
    return parts


def grant_rate_chart(rows: Sequence[tuple[str, GrantRate]], title: str, empty: str) -> SafeString:
    """One row per label: the 90% interval as a bar, the posterior mean as a dot, n beside it."""
    if not rows:
        return _frame(title, 40, [f'<text x="10" y="24">{escape(empty)}</text>'], empty)
    height = 20 + ROW * len(rows) + 24
    body = _axis(10, height - 24, [(0, "0%"), (0.25, "25%"), (0.5, "50%"), (0.75, "75%"), (1, "100%")])
    description = []
    for index, (label, rate) in enumerate(rows):
        y = 20 + index * ROW
        low, high = rate.interval
        body.append(f'<text x="{LABEL - 8}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
        body.append(
            f'<rect x="{LABEL + low * PLOT:.1f}" y="{y - 5}" width="{max((high - low) * PLOT, 1):.1f}" height="10" fill="#9cc3de"/>'
        )
        body.append(f'<circle cx="{LABEL + rate.mean * PLOT:.1f}" cy="{y}" r="5" fill="#1f5f8b"/>')
        body.append(f'<text x="{LABEL + PLOT + 8}" y="{y + 4}" fill="#5a6470">{rate.grants}/{rate.decisions}</text>')
        description.append(f"{label}: {rate.mean:.0%} ({low:.0%}–{high:.0%}), {rate.grants}/{rate.decisions}")
    return _frame(title, height, body, "; ".join(description))


def duration_chart(rows: Sequence[tuple[str, float, float]], title: str, empty: str, unit: str) -> SafeString:
    """Median as a bar and the 90th percentile as a whisker, in days."""
    if not rows:
        return _frame(title, 40, [f'<text x="10" y="24">{escape(empty)}</text>'], empty)
    top = max(p90 for _label, _median, p90 in rows) or 1.0
    height = 20 + ROW * len(rows) + 24
    body = _axis(10, height - 24, [(f, f"{round(top * f)} {unit}") for f in (0, 0.5, 1)])
    description = []
    for index, (label, median, p90) in enumerate(rows):
        y = 20 + index * ROW
        body.append(f'<text x="{LABEL - 8}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
        body.append(f'<rect x="{LABEL}" y="{y - 6}" width="{max(median / top * PLOT, 1):.1f}" height="12" fill="#1f5f8b"/>')
        x90 = LABEL + p90 / top * PLOT
        body.append(f'<line x1="{LABEL + median / top * PLOT:.1f}" y1="{y}" x2="{x90:.1f}" y2="{y}" stroke="#1b1f24"/>')
        body.append(f'<line x1="{x90:.1f}" y1="{y - 6}" x2="{x90:.1f}" y2="{y + 6}" stroke="#1b1f24"/>')
        body.append(f'<text x="{min(x90 + 6, WIDTH - 40):.1f}" y="{y + 4}" fill="#5a6470">{round(median)}/{round(p90)}</text>')
        description.append(f"{label}: {round(median)} / {round(p90)} {unit}")
    return _frame(title, height, body, "; ".join(description))


def funnel_chart(stages: Sequence[tuple[str, int]], title: str) -> SafeString:
    """How many applications reached each stage; bars share one scale."""
    top = max((count for _label, count in stages), default=0) or 1
    height = 20 + ROW * len(stages) + 8
    body = []
    for index, (label, count) in enumerate(stages):
        y = 20 + index * ROW
        body.append(f'<text x="{LABEL - 8}" y="{y + 4}" text-anchor="end">{escape(label)}</text>')
        body.append(f'<rect x="{LABEL}" y="{y - 8}" width="{max(count / top * PLOT, 1):.1f}" height="16" fill="#1e6b3a"/>')
        body.append(f'<text x="{LABEL + count / top * PLOT + 6:.1f}" y="{y + 4}">{count}</text>')
    return _frame(title, height, body, "; ".join(f"{label}: {count}" for label, count in stages))
