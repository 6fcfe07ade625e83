"""Showing a domain function's ValidationError on the form that asked for the change.

One helper for every app: views call a domain function, and its refusal lands on the
field it names when the form has that field, otherwise above the form.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError


def apply_errors(form: forms.Form, error: ValidationError, default_field: str | None = None) -> None:
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(default_field, message)
