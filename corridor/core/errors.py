"""Refusals that every layer understands."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class Conflict(ValidationError):
    """Someone else changed the object between the page being read and the change arriving.

    A ValidationError, so a page shows it on the form like any other refusal; the API answers
    it with 409 instead of 400 (corridor/api/errors.py). Nothing was written: the action's
    transaction rolled back.
    """
