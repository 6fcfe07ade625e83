"""The admins' form for the intake page's name and look (the action is domain/look.py; this only
turns fields into the LookChange it takes, and the logo upload into cleaned bytes)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from corridor.cases.files import FileRejected
from corridor.intake import look, questionnaire
from corridor.intake.domain.look import TEXT_LIMITS, LookChange
from corridor.intake.models import IntakeLook

PER_LANGUAGE = ("name", "introduction", "page_title")


class LookForm(forms.Form):
    no_name = forms.BooleanField(
        label=gettext_lazy("Name no organisation on the page"),
        required=False,
        help_text=gettext_lazy("The page, its title and its icon then say nothing of who runs it; the logo is not shown."),
    )
    quick_exit_url = forms.CharField(
        label=gettext_lazy("Where “Leave this page” goes"),
        required=False,
        max_length=500,
        help_text=gettext_lazy(
            "An https address of an ordinary site (weather, news). Left empty, it goes to the advice on clearing the browser's history."
        ),
    )
    logo = forms.FileField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=gettext_lazy("PNG, JPEG or WebP, at most 2 MB. Its metadata is removed and it is shrunk to 400 pixels."),
    )
    remove_logo = forms.BooleanField(label=gettext_lazy("Remove the logo"), required=False)

    def __init__(self, *args: Any, languages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = languages
        labels = {
            "name": gettext_lazy("Organisation's name (%(language)s)"),
            "introduction": gettext_lazy("Introduction (%(language)s)"),
            "page_title": gettext_lazy("Page title in the browser (%(language)s)"),
        }
        for code, language in languages:
            for what in PER_LANGUAGE:
                widget = forms.Textarea(attrs={"rows": "3", "lang": code}) if what == "introduction" else None
                field = forms.CharField(
                    label=str(labels[what]) % {"language": language},
                    required=False,
                    max_length=TEXT_LIMITS[what],
                    widget=widget or forms.TextInput(attrs={"lang": code}),
                )
                self.fields[f"{what}_{code}"] = field

    @staticmethod
    def initial_for(row: IntakeLook) -> dict[str, Any]:
        initial: dict[str, Any] = {"no_name": row.no_name, "quick_exit_url": row.quick_exit_url}
        for what in PER_LANGUAGE:
            for code, text in (getattr(row, what) or {}).items():
                initial[f"{what}_{code}"] = text
        return initial

    def clean_quick_exit_url(self) -> str:
        return look.check_quick_exit(str(self.cleaned_data.get("quick_exit_url") or ""))

    def clean_logo(self) -> look.Logo | None:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        try:
            return look.clean_logo(upload)
        except FileRejected as rejected:
            raise forms.ValidationError(rejected.messages, code="invalid") from None

    def change(self, row: IntakeLook) -> LookChange:
        """The look as the form has it; languages the form did not show keep their stored texts."""
        data = self.cleaned_data
        texts: dict[str, dict[str, str]] = {what: dict(getattr(row, what) or {}) for what in PER_LANGUAGE}
        for what in PER_LANGUAGE:
            for code, _language in self.languages:
                texts[what][code] = str(data.get(f"{what}_{code}") or "")
        return LookChange(
            no_name=bool(data.get("no_name")),
            name=texts["name"],
            introduction=texts["introduction"],
            page_title=texts["page_title"],
            quick_exit_url=str(data.get("quick_exit_url") or ""),
            logo=data.get("logo"),
            remove_logo=bool(data.get("remove_logo")),
        )


def offered_languages(row: IntakeLook) -> list[tuple[str, str]]:
    return [(code, questionnaire.language_name(code, row)) for code in questionnaire.languages(row)]
