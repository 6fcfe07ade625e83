"""One way from a form or a serializer to a domain action, for pages and the API alike.

Views validate input, call one action, and show its refusal on the field it names. They
never check permissions again nor write models themselves: the action does both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import ValidationError

T = TypeVar("T")


def apply_errors(form: forms.Form, error: ValidationError, default_field: str | None = None) -> None:
    """Put a domain refusal on the field it names when the form has it, otherwise above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(default_field, message)


def submit(form: forms.Form, action: Callable[[dict[str, Any]], T], default_field: str | None = None) -> T | None:
    """Validate `form`, then run `action(cleaned_data)`; None when the form or the action refused.

    The action's ValidationError (a Conflict included) lands on the form; PermissionDenied
    and Http404 pass through to the view's caller, which answers them as usual.
    """
    if not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc, default_field)
        return None
