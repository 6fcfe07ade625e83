"""Forms for relocation pages: they parse and explain; the domain functions decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from corridor.cases.models import Case, Person
from corridor.relocation.domain import PROGRAMME_FIELDS
from corridor.relocation.models import (
    APPLICATION_TRANSITIONS,
    ApplicationStatus,
    ChecklistItemKind,
    ChecklistStatus,
    ContactKind,
    Country,
    Programme,
    Referral,
    RefusalReason,
)


class DateInput(forms.DateInput):
    input_type = "date"


class ProgrammeForm(forms.ModelForm):  # type: ignore[type-arg]  # generic only in django-stubs; subscripting it fails at run time
    class Meta:
        model = Programme
        fields = list(PROGRAMME_FIELDS)
        widgets = {"checked": DateInput(), "notes": forms.Textarea(attrs={"rows": 4})}


class ProfileForm(forms.Form):
    referral = forms.ChoiceField(
        label=_("Referred by"), choices=[(c.value, c.label) for c in (Referral.NONE, Referral.UNHCR, Referral.PARTNER)]
    )
    # Some 250 countries: ticks in a scrolling box (a filter box over it where scripts run,
    # corridor/filterable.js), the ones already chosen first, instead of a Ctrl-click list.
    family_ties = forms.ModelMultipleChoiceField(
        label=_("Family lives in"),
        queryset=Country.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "filterable"}),
        help_text=_("Tick every country where close family lives. The countries already ticked are listed first."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        data: Any = self.data  # a QueryDict when bound
        chosen = data.getlist("family_ties") if self.is_bound else self.initial.get("family_ties") or []
        field: Any = self.fields["family_ties"]
        first = models.Case(models.When(pk__in=[str(code) for code in chosen], then=models.Value(0)), default=models.Value(1))
        name = "name_ru" if (translation.get_language() or "").startswith("ru") else "name_en"
        field.queryset = Country.objects.order_by(first, name)


def _not_after_today(field: forms.Field) -> None:
    """The date picker offers no future day (the action refuses one anyway, with its message)."""
    field.widget.attrs["max"] = timezone.localdate().isoformat()


class ApplicationForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"), queryset=Programme.objects.filter(is_open=True).select_related("country")
    )
    channel = forms.CharField(
        label=_("Consulate or channel"), max_length=300, help_text=_("For example: the embassy in Vilnius, or UNHCR Ankara.")
    )
    members = forms.ModelMultipleChoiceField(
        label=_("Who is included"), queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    # Without it every application began the day it was typed in, and one submitted in September
    # could not be recorded as submitted then: every later step must be on or after this day.
    on = forms.DateField(
        label=_("Work on it began on"),
        widget=DateInput(),
        initial=timezone.localdate,
        required=False,  # empty: today
        help_text=_(
            "For an application already under way, the day it began (in the past); its later steps can then be dated from that day on."
        ),
    )

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = Person.objects.filter(memberships__case=case).order_by("codename")
        field: Any = self.fields["members"]
        field.queryset = people
        if not self.is_bound:
            self.initial.setdefault("members", list(people))
        _not_after_today(self.fields["on"])


class TransitionForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=())
    on = forms.DateField(
        label=_("Date"),
        widget=DateInput(),
        initial=timezone.localdate,
        help_text=_("When it happened: a past date is fine, but not before the previous step, and never a future one."),
    )
    reason = forms.CharField(label=_("Why, or what happened"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    refusal_reason = forms.ChoiceField(
        label=_("Reason given for a refusal"), choices=[("", "—"), *RefusalReason.choices], required=False
    )
    refusal_text = forms.CharField(
        label=_("Refusal in their words"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000, required=False
    )
    # The status the page showed: a move chosen from it is refused (Conflict) when the
    # application moved on after the page was read. Checked by the action, not here.
    seen = forms.CharField(widget=forms.HiddenInput, max_length=20, required=False)

    def __init__(self, *args: Any, current: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        allowed = APPLICATION_TRANSITIONS[ApplicationStatus(current)]
        field: Any = self.fields["status"]
        field.choices = [(s.value, s.label) for s in ApplicationStatus if s in allowed]
        self.fields["seen"].initial = current
        _not_after_today(self.fields["on"])

    def showing(self, status: str) -> TransitionForm:
        """This form shown again on a page that now shows `status`: the next move starts from it
        (a stale `seen` would refuse every later try as a Conflict)."""
        if self.is_bound:
            # Every field here takes one value, so the posted values as a plain dict lose nothing.
            self.data = {name: self.data.get(name) for name in self.data} | {"seen": status}
        return self


class ChecklistForm(forms.Form):
    kind = forms.ChoiceField(label=_("Document"), choices=ChecklistItemKind.choices)
    status = forms.ChoiceField(label=_("Status"), choices=ChecklistStatus.choices)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class ContactForm(forms.Form):
    country = forms.ModelChoiceField(label=_("Country"), queryset=Country.objects.all())
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    organisation = forms.CharField(label=_("Embassy, ministry or organisation"), max_length=300)
    name = forms.CharField(label=_("Name or role"), max_length=300)
    details = forms.CharField(
        label=_("Contact details"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False
    )


class EngagementForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    programme = forms.ModelChoiceField(label=_("About the programme"), queryset=Programme.objects.none(), required=False)
    asked = forms.CharField(label=_("What was asked"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000)
    response = forms.CharField(
        label=_("Their response"), widget=forms.Textarea(attrs={"rows": 3}), max_length=8000, required=False
    )
    next_step = forms.CharField(label=_("Next step"), max_length=2000, required=False)
    next_due = forms.DateField(label=_("Next step due"), widget=DateInput(), required=False)

    def __init__(self, *args: Any, country: Country, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["programme"]
        field.queryset = Programme.objects.filter(country=country)
