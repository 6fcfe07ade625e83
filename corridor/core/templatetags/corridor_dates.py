"""`{{ value|moment }}`: date, time and time zone, for the times that matter (corridor.core.dates)."""

from __future__ import annotations

from datetime import datetime

from django import template

from corridor.core import dates

register = template.Library()


@register.filter
def moment(value: object) -> str:
    return dates.moment(value) if isinstance(value, datetime) else ""
