"""The events timeline, server-rendered: an SVG of events as bars over months (no JavaScript, no
fonts fetched, presentation attributes only, so the strict Content-Security-Policy holds) and
the same events grouped by month as plain HTML, which is what a screen reader or a phone reads.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from typing import Any

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from corridor.documentation.models import Event

# A timeline of more events than this is unreadable; the page says so and asks for a filter.
MAX_EVENTS = 200
WIDTH = 640
LABEL = 200
ROW = 22
TOP = 28
PLOT = WIDTH - LABEL - 12
TITLE_CHARS = 28
_ids = itertools.count(1)


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _last_day(event: Event) -> datetime.date:
    return event.end or event.start


def _short(text: str) -> str:
    return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"


def chart(events: Sequence[Event], title: str) -> SafeString:
    """One row per event, a bar from its start to its end on a month axis; labels escaped."""
    chart_id = f"timeline-{next(_ids)}"
    if not events:
        return SafeString("")
    first = _month(min(e.start for e in events))
    last = _next_month(max(_last_day(e) for e in events))
    span = max((last - first).days, 1)

    def x(day: datetime.date) -> float:
        return LABEL + (day - first).days / span * PLOT

    height = TOP + ROW * len(events) + 8
    body: list[str] = []
    months = []
    month = first
    while month < last:
        months.append(month)
        month = _next_month(month)
    # A tick per month, or per quarter/year when there are many, so labels never overlap.
    step = 1 if len(months) <= 12 else 3 if len(months) <= 36 else 12
    for index, month in enumerate(months):
        if index % step:
            continue
        body.append(f'<line x1="{x(month):.1f}" y1="{TOP - 6}" x2="{x(month):.1f}" y2="{height - 4}" stroke="#d8dcdf"/>')
        label = escape(formats.date_format(month, "M Y" if step < 12 else "Y"))
        body.append(f'<text x="{x(month) + 2:.1f}" y="{TOP - 10}" fill="#5a6470" font-size="11">{label}</text>')
    description = []
    for index, event in enumerate(events):
        y = TOP + index * ROW
        start, end = x(event.start), x(_last_day(event) + datetime.timedelta(days=1))
        name = str(event.title)
        body.append(f'<text x="{LABEL - 6}" y="{y + 13}" text-anchor="end">{escape(_short(name))}</text>')
        body.append(
            f'<rect x="{start:.1f}" y="{y + 3}" width="{max(end - start, 3):.1f}" height="13" rx="2" fill="#1f5f8b">'
            f"<title>{escape(name)}</title></rect>"
        )
        description.append(f"{name}: {formats.date_format(event.start, 'DATE_FORMAT')}")
    return mark_safe(  # noqa: S308 -- built from numbers and escape()d labels only
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}" class="chart timeline" font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="{chart_id}">{escape(title)}</title><desc>{escape("; ".join(description))}</desc>' + "".join(body) + "</svg>"
    )


def by_month(events: Sequence[Event], types: dict[Any, list[str]]) -> list[dict[str, Any]]:
    """The events grouped by the month they started in, oldest first, each with its types of act."""
    groups: list[dict[str, Any]] = []
    for month, members in itertools.groupby(sorted(events, key=lambda e: (e.start, e.created)), key=lambda e: _month(e.start)):
        groups.append({"month": month, "events": [(event, types.get(event.pk, [])) for event in members]})
    return groups
