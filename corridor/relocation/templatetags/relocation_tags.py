"""Small formatting filters for relocation pages: rates as percentages, days, intervals."""

from __future__ import annotations

from django import template

from corridor.relocation.stats import GrantRate

register = template.Library()


def _number(value: object) -> float | None:
    # Missing figures reach templates as None or "" (an unresolved variable): both read as "—".
    return float(value) if isinstance(value, int | float) else None


@register.filter
def pct(value: object) -> str:
    number = _number(value)
    return "—" if number is None else f"{round(number * 100)}%"


@register.filter
def days(value: object) -> str:
    number = _number(value)
    return "—" if number is None else str(round(number))


@register.filter
def interval(rate: object) -> str:
    if not isinstance(rate, GrantRate):
        return "—"
    low, high = rate.interval
    return f"{round(low * 100)}–{round(high * 100)}%"
