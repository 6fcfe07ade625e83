"""One way from a form or a serializer to a domain action, for pages and the API alike.

Views validate input, call one action, and show its refusal on the field it names. They
never check permissions again nor write models themselves: the action does both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse

T = TypeVar("T")
R = TypeVar("R")


def apply_errors(form: forms.BaseForm, error: ValidationError, default_field: str | None = None) -> None:
    """Put a domain refusal on the field it names when the form has it, otherwise above the form."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(default_field, message)


def submit(form: forms.BaseForm, action: Callable[[dict[str, Any]], T], default_field: str | None = None) -> T | None:
    """Validate `form`, then run `action(cleaned_data)`; None when the form or the action refused.

    The action's ValidationError (a Conflict included) lands on the form; PermissionDenied
    and Http404 pass through to the view's caller, which answers them as usual.
    """
    return submit_then(form, action, lambda result: result, default_field)


def submit_then(
    form: forms.BaseForm,
    action: Callable[[dict[str, Any]], T],
    then: Callable[[T], R],
    default_field: str | None = None,
) -> R | None:
    """submit(), then `then(result)` once the action went through: the page's redirect, say.

    None when the form or the action refused: the page shows the form again with its errors.
    `then` runs only after a success, so an action that returns nothing still gets its redirect.
    """
    if not form.is_valid():
        return None
    try:
        result = action(form.cleaned_data)
    except ValidationError as exc:
        apply_errors(form, exc, default_field)
        return None
    return then(result)


def succeeded(request: HttpRequest, message: str, response: HttpResponse) -> HttpResponse:
    """`response` (the redirect after a change), with `message` shown on the page it leads to."""
    messages.success(request, message)
    return response


def press(request: HttpRequest, action: Callable[[], object], done: str, refused: int = messages.ERROR) -> bool:
    """A change asked for by a button (a POST with no form): run `action`, then say `done`.

    The action's refusal (a ValidationError: "already reviewed", say) becomes a message at level
    `refused` instead. True when the action went through.
    """
    try:
        action()
    except ValidationError as exc:
        for message in exc.messages:
            messages.add_message(request, refused, message)
        return False
    messages.success(request, done)
    return True
