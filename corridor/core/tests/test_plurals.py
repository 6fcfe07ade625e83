"""Counts are said through ngettext, so Russian gets its three forms (issue 11: "1 days")."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from corridor.accounts import domain, lockout
from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.cases.domain.duplicates import DuplicateCheckLimited

pytestmark = pytest.mark.django_db


def _russian(function: Callable[[int], str], numbers: tuple[int, ...] = (1, 2, 5, 21)) -> list[str]:
    with translation.override("ru"):
        return [function(n) for n in numbers]


def test_minutes_and_recovery_codes_agree_with_their_number_in_russian() -> None:
    assert _russian(lockout.locked_message) == [
        "Слишком много неудачных попыток. Попробуйте снова через 1 минуту.",
        "Слишком много неудачных попыток. Попробуйте снова через 2 минуты.",
        "Слишком много неудачных попыток. Попробуйте снова через 5 минут.",
        "Слишком много неудачных попыток. Попробуйте снова через 21 минуту.",
    ]
    assert [message.rsplit(" ", 1)[1] for message in _russian(lambda n: str(DuplicateCheckLimited(n)))] == [
        "минуту.",
        "минуты.",
        "минут.",
        "минуту.",
    ]
    with translation.override("en"):
        assert lockout.locked_message(1) == "Too many failed attempts. Try again in 1 minute."


def test_the_security_page_counts_recovery_codes_in_russian() -> None:
    user = make_staff(Role.CASEWORKER)
    domain.regenerate_recovery_codes(user)
    client = sign_in(Client(), user)
    client.post(reverse("web:language"), {"language": "ru"})
    page = client.get(reverse("accounts:security")).content.decode()
    assert "10 неиспользованных кодов восстановления." in page
    template = Template(
        "{% load i18n %}{% blocktranslate count count=n %}{{ count }} unused recovery code.{% plural %}{{ count }} unused recovery codes.{% endblocktranslate %}"
    )
    with translation.override("ru"):
        said = [template.render(Context({"n": n})) for n in (1, 3, 11)]
    assert said == [
        "1 неиспользованный код восстановления.",
        "3 неиспользованных кода восстановления.",
        "11 неиспользованных кодов восстановления.",
    ]


def test_expected_days_and_break_glass_hours_are_counted() -> None:
    template = Template(
        "{% load i18n %}{% blocktranslate count days=d|floatformat:0|add:0 %}about {{ days }} day{% plural %}about {{ days }} days{% endblocktranslate %}"
    )
    with translation.override("ru"):
        assert [template.render(Context({"d": d})) for d in (1.2, 3.0, 44.6, 21)] == [
            "примерно 1 день",
            "примерно 3 дня",
            "примерно 45 дней",
            "примерно 21 день",
        ]
    with translation.override("en"):
        assert template.render(Context({"d": 0.9})) == "about 1 day"
    with translation.override("ru"):
        one, eight = (render_to_string("cases/workflow/break_glass.html", {"hours": hours}) for hours in (1, 8))
    assert "Дело будет доступно вам 1 час." in one
    assert "Дело будет доступно вам 8 часов." in eight
