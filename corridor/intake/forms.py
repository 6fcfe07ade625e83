"""Forms of the intake: the configurable help form, passphrase entry, follow-ups and triage.

The passphrase travels in a field named `codename`: the word the pages use, kept on the wire.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.cases.models import Priority
from corridor.intake import conf, passphrases
from corridor.intake.domain import Answer, urgency_for

LINE_CHARS = 500
# What corridor.cases.files.sanitize accepts, for the phone's file chooser.
ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,text/plain"


def _localised(value: Any) -> str:
    """A label given as one string, or as {"ru": ..., "en": ...} by an organisation."""
    if isinstance(value, dict):
        lang = (get_language() or "ru")[:2]
        return str(value.get(lang) or value.get("ru") or next(iter(value.values()), ""))
    return str(value)


def _no_spellcheck(attrs: dict[str, str] | None = None) -> dict[str, str]:
    # A phone's cloud spell-checker or keyboard would otherwise see what is typed.
    return {"spellcheck": "false", "autocomplete": "off", "autocapitalize": "off", **(attrs or {})}


class HelpForm(forms.Form):
    """Built from conf.questions(); the answers are encrypted as they are, labels included."""

    token = forms.CharField(widget=forms.HiddenInput)
    file = forms.FileField(required=False, label=gettext_lazy("A file, if you want to send one"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        file_field = self.fields.pop("file")
        limit_mb = conf.max_file_bytes() // (1024 * 1024)
        file_field.help_text = _(
            "A photo, a PDF or a text file, up to %(mb)d MB. We remove hidden data such as location from it."
        ) % {"mb": limit_mb}
        file_field.widget.attrs["accept"] = ACCEPT
        max_text = conf.max_text_chars()
        for question in conf.questions():
            kind = question.get("kind", "text")
            common: dict[str, Any] = {
                "label": _localised(question["label"]),
                "required": bool(question.get("required", False)),
                "help_text": _localised(question.get("help", "")),
            }
            field: forms.Field
            if kind == "choice":
                choices = [(value, _localised(label)) for value, label in question["choices"]]
                field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
            elif kind == "line":
                field = forms.CharField(max_length=LINE_CHARS, widget=forms.TextInput(attrs=_no_spellcheck()), **common)
            else:
                field = forms.CharField(max_length=max_text, widget=forms.Textarea(attrs=_no_spellcheck({"rows": "8"})), **common)
            self.fields[f"q_{question['key']}"] = field
        self.fields["file"] = file_field

    def answers(self) -> list[Answer]:
        found: list[Answer] = []
        for question in conf.questions():
            name = f"q_{question['key']}"
            value = str(self.cleaned_data.get(name) or "").strip()
            if not value:
                continue
            label = self.fields[name].label or ""
            if question.get("kind") == "choice":
                value = {choice: _localised(text) for choice, text in question["choices"]}.get(value, value)
            found.append(Answer(question["key"], str(label), str(value)))
        return found

    def urgency(self) -> str:
        raw = {str(q["key"]): str(self.cleaned_data.get(f"q_{q['key']}") or "") for q in conf.questions()}
        return urgency_for(raw)


class PassphraseForm(forms.Form):
    codename = forms.CharField(
        label=gettext_lazy("Your codename"),
        max_length=300,
        widget=forms.TextInput(attrs=_no_spellcheck({"autocomplete": "off"})),
        help_text=gettext_lazy("The words you were given, in order, separated by spaces. Russian or Latin letters both work."),
    )

    def clean_codename(self) -> str:
        value = str(self.cleaned_data["codename"])
        if passphrases.parse(value, conf.passphrase_words()) is None:
            raise ValidationError(
                _("A codename is %(count)d words from our list. Check each word and their order.")
                % {"count": conf.passphrase_words()}
            )
        return value


class FollowUpForm(forms.Form):
    codename = forms.CharField(widget=forms.HiddenInput, max_length=300)
    text = forms.CharField()  # rebuilt in __init__; declared here to keep its place between codename and file
    file = forms.FileField(required=False, label=gettext_lazy("A file, if you want to send one"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form: a field's length check and maxlength are fixed when it is built, and
        # INTAKE_MAX_TEXT_CHARS is read now, as HelpForm reads it for its questions.
        self.fields["text"] = forms.CharField(
            label=gettext_lazy("Write to us"),
            max_length=conf.max_text_chars(),
            widget=forms.Textarea(attrs=_no_spellcheck({"rows": "6"})),
        )
        self.fields["file"].widget.attrs["accept"] = ACCEPT


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Reply"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": "6"}),
        help_text=gettext_lazy("Only the person with the codename can read this, when they come back. Do not name anyone."),
    )


class OpenCaseForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name or alias of the person"),
        max_length=200,
        help_text=gettext_lazy("How the person calls themselves; it is encrypted under the new case's key."),
    )
    team = forms.ModelChoiceField(label=gettext_lazy("Team"), queryset=Team.objects.none())
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Priority.choices)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = cast("forms.ModelChoiceField[Team]", self.fields["team"])  # declared above as a ModelChoiceField
        team.queryset = user.teams.all()
