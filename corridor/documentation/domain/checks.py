"""Checks every documentation action shares: dates of what happened, choices, a stale edit."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.core.errors import Conflict


def check_happened(
    start: datetime.date | None, end: datetime.date | None, *, start_field: str = "start", end_field: str = "end"
) -> None:
    """Dates of something that happened: not in the future, and the end not before the start."""
    today = timezone.localdate()
    for value, field in ((start, start_field), (end, end_field)):
        if value is not None and not isinstance(value, datetime.date):
            raise ValidationError({field: _("Give a date.")})
        if value is not None and value > today:
            raise ValidationError({field: _("What happened cannot be dated in the future.")})
    if start is not None and end is not None and end < start:
        raise ValidationError({end_field: _("The end cannot be before the start.")})


def check_choice(value: Any, choices: type[models.TextChoices], field: str) -> None:
    if value not in choices.values:
        raise ValidationError({field: _("Choose one of the listed values.")})


def required_text(value: Any, field: str, message: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def optional_text(value: Any) -> str | None:
    return str(value or "").strip() or None


def check_seen(locked: models.Model, seen: datetime.datetime | None) -> None:
    """Refuse a change made from a copy older than the record (someone saved in between).

    `seen` is the record's `updated` as the page or client read it; None skips the check (a
    caller that read the record inside the same request).
    """
    if seen is not None and getattr(locked, "updated", None) != seen:
        raise Conflict({"updated": _("Someone else changed this record while you were working; nothing was changed.")})


def apply(locked: models.Model, values: dict[str, Any]) -> list[str]:
    """Set `values` on the locked row; the field names to save (with `updated` when it has one)."""
    for field, value in values.items():
        setattr(locked, field, value)
    fields = list(values)
    if any(f.name == "updated" for f in locked._meta.concrete_fields):
        fields.append("updated")
    return fields


def copy_back(target: models.Model, locked: models.Model) -> None:
    """The caller's copy brought up to date with what was saved."""
    for field in type(locked)._meta.concrete_fields:
        setattr(target, field.attname, getattr(locked, field.attname))
