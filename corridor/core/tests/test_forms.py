"""From a form to a domain action (corridor/core/forms.py): what a page gets back, and when the
action runs at all."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from corridor.core.errors import Conflict
from corridor.core.forms import press, submit, submit_then, succeeded


class NameForm(forms.Form):
    name = forms.CharField(max_length=10)


def _request() -> HttpRequest:
    request = RequestFactory().post("/")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]  # what MessageMiddleware sets
    return request


def _said(request: HttpRequest) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in request._messages]


def test_an_invalid_form_never_reaches_the_action() -> None:
    calls: list[Any] = []
    form = NameForm({"name": "x" * 11})
    assert submit_then(form, calls.append, lambda _result: "then") is None
    assert calls == [] and list(form.errors) == ["name"]


def test_the_actions_refusal_lands_on_its_field_or_above_the_form() -> None:
    def refuse(_data: dict[str, Any]) -> None:
        raise ValidationError({"name": "Taken.", "elsewhere": "Not a field here."})

    form = NameForm({"name": "Ana"})
    assert submit_then(form, refuse, lambda _result: "then") is None
    assert form.errors == {"name": ["Taken."], "__all__": ["Not a field here."]}

    def conflict(_data: dict[str, Any]) -> None:
        raise Conflict("Changed meanwhile.")

    form = NameForm({"name": "Ana"})
    assert submit(form, conflict, default_field="name") is None
    assert form.errors == {"name": ["Changed meanwhile."]}


def test_then_runs_after_a_success_even_when_the_action_returns_nothing() -> None:
    seen: list[dict[str, Any]] = []
    form = NameForm({"name": " Ana "})
    assert submit_then(form, seen.append, lambda result: ("then", result)) == ("then", None)
    assert seen == [{"name": "Ana"}]
    assert submit(NameForm({"name": "Ana"}), lambda data: data["name"].upper()) == "ANA"


def test_succeeded_and_press_say_what_happened() -> None:
    request = _request()
    response = HttpResponse(status=302)
    assert succeeded(request, "Saved.", response) is response

    def refuse() -> None:
        raise ValidationError("Already reviewed.")

    assert press(request, refuse, "Reviewed.", refused=messages.INFO) is False
    assert press(request, lambda: None, "Reviewed.") is True
    assert _said(request) == [(messages.SUCCESS, "Saved."), (messages.INFO, "Already reviewed."), (messages.SUCCESS, "Reviewed.")]
