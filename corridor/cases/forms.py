"""Forms for people and cases: parse and explain what a caseworker typed on a phone.

Forms only clean input; every write goes through corridor.cases.domain.
"""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Team, User
from corridor.cases.models import DatePrecision, DocumentsHeld, NeedKind, NeedStatus, Person, Priority, Status
from corridor.cases.widgets import QuickSelect

NAME_MAX = 200
NAME_ROWS = 3
CONTACT_ROWS = 2
EARLIEST_BIRTH_YEAR = 1900

NAME_KINDS = [("legal", _("legal name")), ("used", _("name they use")), ("transliteration", _("other spelling"))]
CONTACT_KINDS = [("phone", _("phone")), ("signal", _("Signal")), ("relative", _("relative")), ("other", _("other"))]

# Invisible direction marks arrive with names pasted from right-to-left text; they carry
# no letters, so they are dropped. Other format characters (bidi overrides, which can make
# a name display as something else) are refused. ZWJ/ZWNJ are part of Persian spelling.
_DROPPED = {"\u200e", "\u200f", "\u061c"}
_KEPT_FORMAT = {"\u200c", "\u200d"}


def clean_name(value: str) -> str:
    """One name in any script: NFC, single spaces, letters required, no symbols or controls."""
    value = unicodedata.normalize("NFC", "".join(ch for ch in value if ch not in _DROPPED))
    value = " ".join(value.split())
    if len(value) > NAME_MAX:
        raise ValidationError(_("A name can have at most %(max)d characters."), params={"max": NAME_MAX}, code="too_long")
    for ch in value:
        category = unicodedata.category(ch)
        if category[0] == "C" and ch not in _KEPT_FORMAT:
            raise ValidationError(
                _("The name contains an invisible control character. Retype it instead of pasting."), code="control"
            )
        if category[0] == "S":
            raise ValidationError(
                _("A name can contain letters, spaces, hyphens and apostrophes, but not symbols or emoji."), code="symbol"
            )
    if value and not any(unicodedata.category(ch).startswith("L") for ch in value):
        raise ValidationError(_("A name needs at least one letter."), code="no_letter")
    return value


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def optional_text(label: Any, max_length: int, help_text: Any, rows: int = 3) -> forms.CharField:
    """A free-text box that may stay empty."""
    return forms.CharField(
        label=label, required=False, max_length=max_length, widget=forms.Textarea(attrs={"rows": rows}), help_text=help_text
    )


class PersonForm(forms.Form):
    """A person's identity. Name and contact rows are numbered fields: no JavaScript needed."""

    birth_precision = forms.ChoiceField(
        label=_("How exact is the date of birth?"),
        choices=DatePrecision.choices,
        initial=DatePrecision.EXACT,
        widget=forms.RadioSelect,
    )
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=_date_input())
    birth_year = forms.IntegerField(
        label=_("Year of birth"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Only when you know the year but not the date: choose “year only” (or “approximate”) above."),
    )
    documents_held = forms.ChoiceField(label=_("Identity documents"), choices=DocumentsHeld.choices, initial=DocumentsHeld.NONE)
    passport_expiry = forms.DateField(
        label=_("International passport expires"),
        required=False,
        widget=_date_input(),
        help_text=_("Only for an international passport."),
    )
    region = forms.CharField(
        label=_("Region"),
        max_length=80,
        required=False,
        help_text=_("Stored unencrypted for statistics: a broad region only, never a town or an address."),
    )
    location = optional_text(
        _("Where they are now"), 1000, _("Encrypted. Only people working on their cases can read it."), rows=2
    )
    languages = forms.CharField(
        label=_("Languages"), max_length=300, required=False, help_text=_("Separate with commas, e.g. Russian, Chechen.")
    )
    gender_identity = forms.CharField(label=_("Gender identity"), max_length=200, required=False)
    orientation = forms.CharField(label=_("Sexual orientation"), max_length=200, required=False)

    SENSITIVE = ("gender_identity", "orientation")

    def __init__(self, *args: Any, person: Person | None = None, **kwargs: Any) -> None:
        initial: dict[str, Any] = dict(kwargs.pop("initial", None) or {})
        name_rows, contact_rows = NAME_ROWS, CONTACT_ROWS
        if person is not None:
            initial |= _person_initial(person)
            name_rows = max(NAME_ROWS, len(person.names or []) + 1)
            contact_rows = max(CONTACT_ROWS, len(person.contacts or []) + 1)
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.name_rows = name_rows
        self.contact_rows = contact_rows
        for i in range(name_rows):
            self.fields[f"name_{i}"] = forms.CharField(
                label=_("Name") if i == 0 else _("Other spelling or name"), max_length=NAME_MAX * 2, required=False
            )
            self.fields[f"name_kind_{i}"] = forms.ChoiceField(
                label=_("Kind of name"), choices=NAME_KINDS, initial="legal" if i == 0 else "transliteration", required=False
            )
        for i in range(contact_rows):
            self.fields[f"contact_kind_{i}"] = forms.ChoiceField(
                label=_("Kind of contact"), choices=CONTACT_KINDS, initial="phone", required=False
            )
            self.fields[f"contact_value_{i}"] = forms.CharField(label=_("Number or handle"), max_length=200, required=False)
            self.fields[f"contact_note_{i}"] = forms.CharField(label=_("Note"), max_length=300, required=False)
        # The first name is required in clean() (any row may hold it); the kind selects always
        # have a value. Neither is marked "optional" on the page.
        for name in (
            "name_0",
            *(f"name_kind_{i}" for i in range(name_rows)),
            *(f"contact_kind_{i}" for i in range(contact_rows)),
        ):
            self.fields[name].hide_optional = True  # type: ignore[attr-defined]  # our own hint to the form template, not a Field attribute
        if not getattr(settings, "CORRIDOR_REGION_IN_CLEAR", False):
            # The region is the one location field kept in clear; only when the organisation chose so.
            del self.fields["region"]

    # -- grouped fields for the template -----------------------------------------------------

    def name_row_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"name_{i}"], self[f"name_kind_{i}"]) for i in range(self.name_rows)]

    def contact_row_fields(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"contact_kind_{i}"], self[f"contact_value_{i}"], self[f"contact_note_{i}"]) for i in range(self.contact_rows)
        ]

    def identity_fields(self) -> list[forms.BoundField]:
        names = [
            "birth_precision",
            "birth_date",
            "birth_year",
            "documents_held",
            "passport_expiry",
            "region",
            "location",
            "languages",
        ]
        return [self[name] for name in names if name in self.fields]

    def sensitive_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.SENSITIVE]

    # -- cleaning ----------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        names: list[dict[str, str]] = []
        for i in range(self.name_rows):
            raw = data.get(f"name_{i}") or ""
            try:
                name = clean_name(raw)
            except ValidationError as exc:
                self.add_error(f"name_{i}", exc)
                continue
            if name:
                names.append({"name": name, "kind": data.get(f"name_kind_{i}") or "used"})
        if not names and not any(self.has_error(f"name_{i}") for i in range(self.name_rows)):
            self.add_error("name_0", _("Give at least one name, in any script."))
        data["names"] = names
        data["contacts"] = [
            {
                "kind": data.get(f"contact_kind_{i}") or "phone",
                "value": value,
                "note": (data.get(f"contact_note_{i}") or "").strip(),
            }
            for i in range(self.contact_rows)
            if (value := (data.get(f"contact_value_{i}") or "").strip())
        ]
        self._clean_birth(data)
        if data.get("passport_expiry") and data.get("documents_held") != DocumentsHeld.INTERNATIONAL:
            self.add_error("passport_expiry", _("An expiry date only applies to an international passport."))
        return data

    def _clean_birth(self, data: dict[str, Any]) -> None:
        precision = data.get("birth_precision")
        date: datetime.date | None = data.get("birth_date")
        year: int | None = data.get("birth_year")
        today = timezone.localdate()
        if year is not None and not EARLIEST_BIRTH_YEAR <= year <= today.year:
            self.add_error("birth_year", _("The year of birth must be between 1900 and this year."))
            return
        if date is not None and not (EARLIEST_BIRTH_YEAR <= date.year and date <= today):
            self.add_error("birth_date", _("The date of birth must be between 1900 and today."))
            return
        if precision == DatePrecision.YEAR:
            if date is not None:
                self.add_error("birth_date", _("You chose “year only”: type the year below and leave the date empty."))
            elif year is not None:
                data["birth_date"] = datetime.date(year, 1, 1)
        elif precision == DatePrecision.EXACT and year is not None:
            self.add_error(
                "birth_year",
                _("Type a year only when the precision is “year only” or “approximate”; for an exact date use the date box."),
            )
        elif precision == DatePrecision.APPROXIMATE and year is not None:
            if date is not None:
                self.add_error("birth_year", _("Give either an approximate date or a year, not both."))
            else:
                data["birth_date"] = datetime.date(year, 1, 1)

    def person_values(self) -> dict[str, Any]:
        """Keyword arguments for domain.create_person / update_person."""
        data = self.cleaned_data
        languages = [part.strip() for part in (data.get("languages") or "").split(",") if part.strip()]
        values: dict[str, Any] = {
            "names": data["names"],
            "birth_date": data.get("birth_date"),
            "birth_precision": data["birth_precision"],
            "documents_held": data["documents_held"],
            "passport_expiry": data.get("passport_expiry"),
            "contacts": data["contacts"],
            "location": (data.get("location") or "").strip() or None,
            "languages": languages,
            "gender_identity": (data.get("gender_identity") or "").strip() or None,
            "orientation": (data.get("orientation") or "").strip() or None,
        }
        if "region" in self.fields:
            values["region"] = (data.get("region") or "").strip()
        return values

    def duplicate_query(self) -> dict[str, Any]:
        """Keyword arguments for domain.find_duplicates."""
        data = self.cleaned_data
        birth = data.get("birth_date")
        year = birth.year if birth and data.get("birth_precision") in (DatePrecision.EXACT, DatePrecision.YEAR) else None
        return {
            "names": [entry["name"] for entry in data["names"]],
            "birth_year": year,
            "phones": [c["value"] for c in data["contacts"] if c["kind"] in ("phone", "signal")],
        }


def _person_initial(person: Person) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "birth_precision": person.birth_precision,
        "documents_held": person.documents_held,
        "passport_expiry": person.passport_expiry,
        "region": person.region,
        "location": person.location or "",
        "languages": ", ".join(person.languages or []),
        "gender_identity": person.gender_identity or "",
        "orientation": person.orientation or "",
    }
    if person.birth_date is not None and person.birth_precision == DatePrecision.YEAR:
        initial["birth_year"] = person.birth_date.year
    else:
        initial["birth_date"] = person.birth_date
    for i, entry in enumerate(person.names or []):
        initial[f"name_{i}"] = entry.get("name", "")
        initial[f"name_kind_{i}"] = entry.get("kind", "used")
    for i, contact in enumerate(person.contacts or []):
        initial[f"contact_kind_{i}"] = contact.get("kind", "other")
        initial[f"contact_value_{i}"] = contact.get("value", "")
        initial[f"contact_note_{i}"] = contact.get("note", "")
    return initial


class CaseFieldsMixin(forms.Form):
    """Team, priority and summary of a new case; the team list is the user's own teams."""

    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), empty_label=None)
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=Priority.choices,
        initial=Priority.NORMAL,
        widget=forms.RadioSelect,
        help_text=_("Emergency: days. Urgent: weeks. Normal: months."),
    )
    summary = optional_text(_("Summary"), 5000, _("Encrypted. What happened and what they need, in a few sentences."))

    def set_teams(self, user: User) -> None:
        teams = user.teams.order_by("name")
        field = self.fields["team"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 -- narrows the type for mypy
        field.queryset = teams
        if teams.count() == 1:
            field.initial = teams.first()


class NewPersonForm(CaseFieldsMixin, PersonForm):
    """A new person always arrives with their case: a person outside any case is visible to nobody."""

    different_person = forms.BooleanField(label=_("This is a different person, save anyway"), required=False)

    def case_fields(self) -> list[forms.BoundField]:
        return [self["team"], self["priority"], self["summary"]]


class NewCaseForm(CaseFieldsMixin):
    person = forms.UUIDField(widget=forms.HiddenInput)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Name, codename or phone"), max_length=200, required=False)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3}))


class ColleagueChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # django-stubs generic varies by version
    """Staff by username only: the list of a team's members shows no real names."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.username)


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=500)
    assignee = ColleagueChoiceField(
        label=_("Assign to"), queryset=User.objects.none(), required=False, empty_label=_("nobody yet")
    )
    due = forms.DateField(label=_("Due"), required=False, widget=_date_input())

    def __init__(self, *args: Any, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if team is not None:
            field = self.fields["assignee"]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 -- narrows the type for mypy
            field.queryset = team.members.filter(is_active=True).order_by("username")

    def clean_due(self) -> datetime.date | None:
        due: datetime.date | None = self.cleaned_data.get("due")
        if due is not None and due < timezone.localdate():
            raise ValidationError(_("The due date is in the past."))
        return due


class NeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("Need"), choices=NeedKind.choices)
    details = forms.CharField(label=_("Details"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NeedStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=NeedStatus.choices)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())
    reason = forms.CharField(label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    # The status the page showed: a move chosen from it is refused (Conflict) when the case
    # moved on after the page was read. Checked by the action (domain.transition), not here.
    seen = forms.CharField(widget=forms.HiddenInput, max_length=20, required=False)

    def __init__(self, *args: Any, allowed: list[str] | None = None, current: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 -- narrows the type for mypy
        field.choices = [(value, Status(value).label) for value in Status.values if value in (allowed or [])]
        self.fields["seen"].initial = current

    def showing(self, status: str) -> StatusForm:
        """This form shown again on a page that now shows `status`: the next move starts from it
        (a stale `seen` would refuse every later try as a Conflict)."""
        if self.is_bound:
            # Every field here takes one value, so the posted values as a plain dict lose nothing.
            self.data = {name: self.data.get(name) for name in self.data} | {"seen": status}
        return self


class CaseFilterForm(forms.Form):
    """The case list's filters: plain GET parameters, so a filtered list is a link to share."""

    # QuickSelect: the list is the busiest page, and Django's select templates cost more there
    # than the rows' queries (issue 15).
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("open cases")), ("all", _("all")), *Status.choices],
        widget=QuickSelect,
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("any")), *Priority.choices], widget=QuickSelect
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("all my teams"), widget=QuickSelect
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False, choices=(), widget=QuickSelect)
    mine = forms.BooleanField(label=_("Only with open tasks assigned to me"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        teams = user.teams.order_by("name")
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)  # noqa: S101 -- narrows the type for mypy
        team_field.queryset = teams
        owner_field = self.fields["owner"]
        assert isinstance(owner_field, forms.ChoiceField)  # noqa: S101 -- narrows the type for mypy
        colleagues = User.objects.filter(teams__in=teams, is_active=True).distinct().order_by("username")
        owner_field.choices = [("", _("anyone")), ("me", _("me")), *((str(u.pk), u.username) for u in colleagues)]


class OwnerForm(forms.Form):
    """Who owns a case: one of the active members of its team, or nobody."""

    owner = ColleagueChoiceField(
        label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("nobody"), to_field_name="pk"
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 -- narrows the type for mypy
        field.queryset = candidates
