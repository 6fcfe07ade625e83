"""QuickSelect writes exactly the markup of Django's Select (issue 15: the case list's filters)."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.utils import translation

from corridor.cases.widgets import QuickSelect

CHOICES: list[Any] = [
    ("", "any"),
    ("a&b", "<b>bold</b> & \"quoted\" 'single'"),
    (7, "seven"),
    ("Group <1>", [("g1", "in a group"), ("g2", "Ещё один")]),
]


@pytest.mark.parametrize("value", [None, "", "a&b", "7", 7, "g2", ["a&b", "g1"], "missing"])
@pytest.mark.parametrize("attrs", [None, {"id": "id_x", "class": 'a"b', "required": True, "disabled": False, "data-n": 3}])
def test_quick_select_renders_what_select_renders(value: Any, attrs: dict[str, Any] | None) -> None:
    for multiple in (False, True):
        django_widget: forms.Select = forms.SelectMultiple(choices=CHOICES) if multiple else forms.Select(choices=CHOICES)
        quick = QuickSelect(choices=CHOICES)
        quick.allow_multiple_selected = multiple
        assert quick.render("na<me", value, attrs) == django_widget.render("na<me", value, attrs)


def test_the_case_filter_form_renders_as_before() -> None:
    class Before(forms.Form):
        status = forms.ChoiceField(required=False, choices=CHOICES)

    class After(forms.Form):
        status = forms.ChoiceField(required=False, choices=CHOICES, widget=QuickSelect)

    with translation.override("ru"):
        for data in (None, {"status": "g1"}, {"status": "<script>"}):
            assert str(After(data)["status"]) == str(Before(data)["status"])
