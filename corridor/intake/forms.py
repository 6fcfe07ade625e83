"""Forms of the intake: the configurable help form, passphrase entry, follow-ups and triage.

The passphrase travels in a field named `codename`: the word the pages use, kept on the wire.
"""

from __future__ import annotations

import datetime
from enum import Enum, StrEnum
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.cases.models import Priority
from corridor.intake import conf, passphrases, questionnaire
from corridor.intake.domain import Answer
from corridor.intake.models import Question, QuestionKind, QuestionnaireVersion

LINE_CHARS = 500
# What corridor.cases.files.sanitize accepts, for the phone's file chooser.
ACCEPT = "image/jpeg,image/png,image/webp,application/pdf,text/plain"


def _no_spellcheck(attrs: dict[str, str] | None = None) -> dict[str, str]:
    # A phone's cloud spell-checker or keyboard would otherwise see what is typed.
    return {"spellcheck": "false", "autocomplete": "off", "autocapitalize": "off", **(attrs or {})}


class Step(StrEnum):
    """Which part of the questionnaire a help form asks (conditions need no JavaScript)."""

    ALL = "all"  # every question that is asked, on one page (no conditions, or the final post)
    FIRST = "first"  # the unconditional questions; the server then decides the follow-ups
    SECOND = "second"  # the follow-ups the first answers call for, the first answers hidden, files


class Live(Enum):
    """HelpForm's default version: whichever is live when the form is built."""

    LIVE = "live"


LIVE = Live.LIVE


class HelpForm(forms.Form):
    """Built from the live questionnaire version; the answers are encrypted with the labels as asked.

    The first answers travel to the second step in hidden fields of the form itself: no
    cookie, no session, nothing kept on the server before the request is sent.
    """

    token = forms.CharField(widget=forms.HiddenInput)
    # The questionnaire version the page showed (questionnaire.version_marker): the answers are
    # checked and stored against it, even when another version went live in between.
    questionnaire = forms.CharField(widget=forms.HiddenInput, required=False, max_length=12)
    file = forms.FileField(required=False, label=gettext_lazy("A file, if you want to send one"))

    def __init__(
        self,
        *args: Any,
        version: QuestionnaireVersion | None | Live = LIVE,
        questions: list[Question] | None = None,
        step: Step = Step.ALL,
        everything: bool = False,
        files_dropped: bool = False,
        **kwargs: Any,
    ) -> None:
        """`version`: the one asked (None: the shipped defaults; left out: the live one).
        `files_dropped`: the server let go of an uploaded file (a held request keeps none, or it
        was too large), so a file question cannot be answered now and is not required."""
        super().__init__(*args, **kwargs)
        self.version = questionnaire.live() if isinstance(version, Live) else version
        self.questions = questions if questions is not None else questionnaire.questions_of(self.version)
        self.step = step
        self.fields["questionnaire"].initial = questionnaire.version_marker(self.version)
        self.files_dropped = files_dropped
        self.lang = get_language() or conf.default_language()
        file_field = self.fields.pop("file")
        limit_mb = conf.max_file_bytes() // (1024 * 1024)
        file_field.help_text = _(
            "A photo, a PDF or a text file, up to %(mb)d MB. We remove hidden data such as location from it."
        ) % {"mb": limit_mb}
        file_field.widget.attrs["accept"] = ACCEPT
        so_far = self._so_far()
        section = ""
        for question in self.questions:
            if question.kind == QuestionKind.SECTION:
                section = questionnaire.label(question, self.lang)
                continue
            if not everything and not questionnaire.is_asked(question, so_far):
                continue  # `everything`: the editor's preview shows the follow-ups too
            conditional = bool(question.condition_key)
            is_file = question.kind == QuestionKind.FILE
            if step == Step.FIRST and (conditional or is_file):
                continue
            hidden = step == Step.SECOND and not conditional and not is_file
            field = self._field(question, hidden=hidden)
            if not hidden and section:
                field.section_before = section  # type: ignore[attr-defined]  # read by intake/fields.html
                section = ""
            self.fields[f"q_{question.key}"] = field
        if step != Step.FIRST:
            self.fields["file"] = file_field

    def _so_far(self) -> dict[str, str | list[str]]:
        """The raw answers given so far (posted, or carried as initial values), for the conditions."""
        found: dict[str, str | list[str]] = {}
        for question in self.questions:
            name = f"q_{question.key}"
            if self.is_bound:
                values = self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name, "")
            else:
                values = self.initial.get(name, "")
            found[question.key] = values if isinstance(values, str) else [str(v) for v in values]
        return found

    def _field(self, question: Question, *, hidden: bool) -> forms.Field:
        common: dict[str, Any] = {
            "label": questionnaire.label(question, self.lang),
            "required": question.required,
            "help_text": questionnaire.help_text(question, self.lang),
        }
        kind = question.kind
        if kind in (QuestionKind.CHOICE, QuestionKind.YESNO):
            widget: Any = forms.HiddenInput if hidden else forms.RadioSelect
            return forms.ChoiceField(choices=questionnaire.options(question, self.lang), widget=widget, **common)
        if kind == QuestionKind.MULTIPLE:
            widget = forms.MultipleHiddenInput if hidden else forms.CheckboxSelectMultiple
            return forms.MultipleChoiceField(choices=questionnaire.options(question, self.lang), widget=widget, **common)
        if kind == QuestionKind.DATE:
            widget = forms.HiddenInput if hidden else forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            return forms.DateField(widget=widget, **common)
        if kind == QuestionKind.FILE:
            if self.files_dropped:
                common["required"] = False
            field = forms.FileField(**common)
            field.widget.attrs["accept"] = ACCEPT
            return field
        if kind == QuestionKind.LONG:
            widget = forms.HiddenInput if hidden else forms.Textarea(attrs=_no_spellcheck({"rows": "8"}))
            return forms.CharField(max_length=conf.max_text_chars(), widget=widget, **common)
        widget = forms.HiddenInput if hidden else forms.TextInput(attrs=_no_spellcheck())
        return forms.CharField(max_length=LINE_CHARS, widget=widget, **common)

    def raw(self) -> dict[str, str | list[str]]:
        """The cleaned answers as stored values (choice values, ISO dates), by question key."""
        found: dict[str, str | list[str]] = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"q_{question.key}")
            if value in (None, "", []):
                continue
            if isinstance(value, list):
                found[question.key] = [str(v) for v in value]
            elif isinstance(value, datetime.date):
                found[question.key] = value.isoformat()
            elif question.kind == QuestionKind.FILE:
                found[question.key] = str(getattr(value, "name", "") or "file")
            else:
                found[question.key] = str(value).strip()
        return found

    def answers(self) -> list[Answer]:
        found: list[Answer] = []
        raw = self.raw()
        for question in self.questions:
            value = raw.get(question.key)
            if not value:
                continue
            joined = "\n".join(questionnaire.values_of(value))
            shown = questionnaire.shown_value(question, joined, self.lang)
            found.append(Answer(question.key, questionnaire.label(question, self.lang), shown, raw=joined))
        return found

    def uploads(self) -> list[Any]:
        """The uploaded files of file questions, in the questionnaire's order, then the form's own."""
        found = [self.cleaned_data.get(f"q_{q.key}") for q in self.questions if q.kind == QuestionKind.FILE]
        found.append(self.cleaned_data.get("file"))
        return [f for f in found if f]

    def urgency(self) -> str:
        return questionnaire.urgency(self.questions, self.raw())


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

    # Answers the questionnaire maps to the new case's fields, shown filled in for the
    # caseworker to confirm, change or clear (issue 18, item 6).
    location = forms.CharField(
        label=gettext_lazy("Where the person is"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Filled in from the person's answer: check it, or clear it to leave it out."),
    )
    contact = forms.CharField(
        label=gettext_lazy("How to reach the person"),
        max_length=500,
        required=False,
        help_text=gettext_lazy("Filled in from the person's answer: check it, or clear it to leave it out."),
    )
    summary = forms.CharField(
        label=gettext_lazy("Case summary"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": "4"}),
        help_text=gettext_lazy("Filled in from the person's answer: check it, or clear it to leave it out."),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = cast("forms.ModelChoiceField[Team]", self.fields["team"])  # declared above as a ModelChoiceField
        team.queryset = user.teams.all()

    def mapped(self) -> dict[str, str]:
        """The confirmed values of the mapped fields, as domain.open_case takes them."""
        return {name: str(self.cleaned_data.get(name) or "").strip() for name in ("location", "contact", "summary")}
