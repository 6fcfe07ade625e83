"""Forms of the admins' questionnaire editor and language pages (the actions are in
domain/questionnaires.py; these only turn fields into the values the actions take)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.intake import questionnaire
from corridor.intake.models import MapsTo, Question, QuestionKind

TEMPLATES = Path(__file__).parent / "templates" / "intake"
PUBLIC_TEMPLATES = ("base.html", "form.html", "fields.html", "passphrase.html", "return.html", "thread.html", "leave.html")
_TRANSLATE = re.compile(r"""\{%\s*translate\s+(["'])(.+?)\1\s*%\}""")


def fixed_texts() -> list[str]:
    """The public page's own sentences (the msgids of its templates), which an added language translates."""
    found: dict[str, None] = {}
    for name in PUBLIC_TEMPLATES:
        path = TEMPLATES / name
        if path.exists():
            for match in _TRANSLATE.finditer(path.read_text(encoding="utf-8")):
                found[match.group(2)] = None
    for extra in ("Yes", "No", "I am not sure", "optional", "A file, if you want to send one"):
        found[extra] = None
    return list(found)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _words(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]


class QuestionForm(forms.Form):
    # The domain's own rule, so that the form says it first (a slug would allow capitals and hyphens).
    key = forms.RegexField(
        label=gettext_lazy("Key"),
        regex=r"^[a-z0-9_]{1,40}$",
        max_length=40,
        help_text=gettext_lazy("Latin letters, digits, underscores."),
        error_messages={"invalid": gettext_lazy("A key is 1 to 40 small Latin letters, digits or underscores.")},
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=QuestionKind.choices)
    position = forms.IntegerField(label=gettext_lazy("Position"), min_value=0, max_value=100_000, initial=1000)
    required = forms.BooleanField(label=gettext_lazy("Required"), required=False)
    summary = forms.BooleanField(label=gettext_lazy("Show the answer in the triage list"), required=False)
    choice_values = forms.CharField(
        label=gettext_lazy("Answer values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": "4"}),
        help_text=gettext_lazy("Single and multiple choice: one value per line (Latin letters), in the order of the answers."),
    )
    condition_key = forms.ChoiceField(label=gettext_lazy("Ask only when this question…"), required=False)
    condition_values = forms.CharField(
        label=gettext_lazy("…was answered with one of these values"),
        required=False,
        help_text=gettext_lazy("Separated by commas, e.g. yes, unsure. Asked on the form's second step."),
    )
    emergency_values = forms.CharField(
        label=gettext_lazy("Answers that make the request an emergency"),
        required=False,
        help_text=gettext_lazy("Values separated by commas; yes/no questions use yes, no, unsure."),
    )
    unsure_values = forms.CharField(label=gettext_lazy("Answers that make it 'unsure whether safe'"), required=False)
    maps_to = forms.ChoiceField(
        label=gettext_lazy("When a case is opened, offer the answer as"), choices=MapsTo.choices, required=False
    )

    def __init__(self, *args: Any, languages: list[str], others: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = languages
        condition = cast("forms.ChoiceField", self.fields["condition_key"])  # declared above as a ChoiceField
        condition.choices = [("", "—")] + [
            (q.key, f"{q.key}: {questionnaire.label(q, languages[0])}")
            for q in others
            if q.kind in (QuestionKind.CHOICE, QuestionKind.MULTIPLE, QuestionKind.YESNO) and not q.condition_key
        ]
        for lang in languages:
            name = questionnaire.language_name(lang)
            self.fields[f"label_{lang}"] = forms.CharField(
                label=_("Question (%(language)s)") % {"language": name}, max_length=500, required=False
            )
            self.fields[f"help_{lang}"] = forms.CharField(
                label=_("Help text (%(language)s)") % {"language": name},
                max_length=1000,
                required=False,
                widget=forms.Textarea(attrs={"rows": "2"}),
            )
            self.fields[f"choices_{lang}"] = forms.CharField(
                label=_("Answers (%(language)s), one per line") % {"language": name},
                required=False,
                widget=forms.Textarea(attrs={"rows": "4"}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        asked_after = data.get("condition_key")
        after_values = str(data.get("condition_values") or "").strip()
        if after_values and not asked_after:
            self.add_error("condition_key", _("Choose the question whose answer decides, or leave the answers below empty."))
        if asked_after and not after_values:
            # Without values the question would never be asked.
            self.add_error("condition_values", _("Write the answers after which this question is asked, for example yes."))
        values = _lines(str(data.get("choice_values") or ""))
        if data.get("kind") in (QuestionKind.CHOICE, QuestionKind.MULTIPLE):
            for lang in self.languages:
                given = _lines(str(data.get(f"choices_{lang}") or ""))
                if given and len(given) != len(values):
                    self.add_error(
                        f"choices_{lang}",
                        _("Answers written: %(given)d; values: %(count)d. Write one answer per line, in the order of the values.")
                        % {"given": len(given), "count": len(values)},
                    )
        return data

    @staticmethod
    def initial_for(question: Question) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "key": question.key,
            "kind": question.kind,
            "position": question.position,
            "required": question.required,
            "summary": question.summary,
            "choice_values": "\n".join(str(c.get("value", "")) for c in question.choices or []),
            "condition_key": question.condition_key,
            "condition_values": ", ".join(question.condition_values or []),
            "emergency_values": ", ".join(question.emergency_values or []),
            "unsure_values": ", ".join(question.unsure_values or []),
            "maps_to": question.maps_to,
        }
        for lang, wording in (question.wording or {}).items():
            initial[f"label_{lang}"] = (wording or {}).get("label", "")
            initial[f"help_{lang}"] = (wording or {}).get("help", "")
            initial[f"choices_{lang}"] = "\n".join(str((c.get("labels") or {}).get(lang, "")) for c in question.choices or [])
        return initial

    def values(self, existing: Question | None) -> dict[str, Any]:
        """The cleaned fields as save_question takes them; other languages' wording is kept."""
        data = self.cleaned_data
        wording = {str(k): dict(v) for k, v in ((existing.wording if existing else {}) or {}).items()}
        for lang in self.languages:
            label = str(data.get(f"label_{lang}") or "").strip()
            help_text = str(data.get(f"help_{lang}") or "").strip()
            if label or help_text:
                wording[lang] = {"label": label, "help": help_text}
            else:
                wording.pop(lang, None)
        values = _lines(str(data.get("choice_values") or ""))
        old = {str(c.get("value")): dict(c.get("labels") or {}) for c in (existing.choices if existing else []) or []}
        choices = []
        for index, value in enumerate(values):
            labels = old.get(value, {})
            for lang in self.languages:
                given = _lines(str(data.get(f"choices_{lang}") or ""))
                if index < len(given):
                    labels[lang] = given[index]
            choices.append({"value": value, "labels": labels})
        return {
            "key": data["key"],
            "kind": data["kind"],
            "position": data["position"],
            "required": data["required"],
            "summary": data["summary"],
            "wording": wording,
            "choices": choices,
            "condition_key": data.get("condition_key") or "",
            "condition_values": _words(str(data.get("condition_values") or "")),
            "emergency_values": _words(str(data.get("emergency_values") or "")),
            "unsure_values": _words(str(data.get("unsure_values") or "")),
            "maps_to": data.get("maps_to") or "",
        }


class LanguagesForm(forms.Form):
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Languages of the intake"), widget=forms.CheckboxSelectMultiple, choices=[]
    )
    default = forms.ChoiceField(label=gettext_lazy("The page opens in"), choices=[])

    def __init__(self, *args: Any, available: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("languages", "default"):
            field = cast("forms.ChoiceField", self.fields[name])  # declared above as choice fields
            field.choices = available

    def ordered(self) -> list[str]:
        chosen = list(self.cleaned_data["languages"])
        default = self.cleaned_data["default"]
        return [default] + [c for c in chosen if c != default]


class AddLanguageForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Language code"), max_length=12, help_text=gettext_lazy("For example uk or ce."))
    name = forms.CharField(label=gettext_lazy("Its name, in the language itself"), max_length=60)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for index, text in enumerate(fixed_texts()):
            self.fields[f"t{index}"] = forms.CharField(label=text, required=False, max_length=2000)

    def texts(self) -> dict[str, str]:
        return {text: str(self.cleaned_data.get(f"t{index}") or "") for index, text in enumerate(fixed_texts())}

    @staticmethod
    def initial_for(code: str, name: str, texts: dict[str, str]) -> dict[str, Any]:
        initial: dict[str, Any] = {"code": code, "name": name}
        for index, text in enumerate(fixed_texts()):
            initial[f"t{index}"] = texts.get(text, "")
        return initial
