"""Moments said with their date, time and time zone, where the hour matters to the reader
(a lockdown, an expiry): "1 December 2026, 00:34 (UTC)", in the language of the page."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format


def moment(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{date_format(local, 'DATETIME_FORMAT')} ({local.tzname() or timezone.get_current_timezone_name()})"
