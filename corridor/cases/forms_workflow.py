"""Forms for the case workflow pages: verification, consent, risk, placements, safe houses
and break glass. They parse and explain; the rules themselves live in domain.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Team
from corridor.cases.forms import optional_text
from corridor.cases.models import ConsentScope, Person, Priority, RiskFactor, SafeHouse, VerificationMethod


class DateInput(forms.DateInput):
    """A native date picker; its value must be ISO whatever the language, or the browser drops it."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


# Django's property, whose accessors django-stubs does not declare (it types `queryset` as a plain attribute).
_MODEL_CHOICE_QUERYSET: Any = forms.ModelChoiceField.__dict__["queryset"]


class CodenameChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in django-stubs; not subscriptable at runtime
    """People are chosen by codename only: names never appear in a select list.

    When the list holds one person (a case of one), that person is preselected: there is
    nobody else to mean, and a blank first choice only costs a tap and invites an error.
    """

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.codename)

    def _preselecting(self, queryset: Any) -> None:
        _MODEL_CHOICE_QUERYSET.fset(self, queryset)
        only = list(self.queryset[:2]) if self.queryset is not None else []
        self.initial = only[0].pk if len(only) == 1 else None

    queryset = property(_MODEL_CHOICE_QUERYSET.fget, _preselecting)


class SafeHouseChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in django-stubs; not subscriptable at runtime
    """Label and free places today; never the address."""

    occupied: dict[Any, int] = {}

    def label_from_instance(self, obj: Any) -> str:
        return _("%(label)s (%(free)d of %(capacity)d free)") % {
            "label": obj.label,
            "free": max(obj.capacity - self.occupied.get(obj.pk, 0), 0),
            "capacity": obj.capacity,
        }


class VerificationForm(forms.Form):
    method = forms.ChoiceField(label=_("How was the case verified?"), choices=VerificationMethod.choices)
    details = optional_text(_("Details"), 4000, _("Who vouched, which documents, who interviewed. Stored encrypted."))


class ConsentForm(forms.Form):
    person = CodenameChoiceField(label=_("Member"), queryset=Person.objects.none())
    scope = forms.ChoiceField(label=_("Agreed to"), choices=ConsentScope.choices)
    given = forms.DateField(label=_("Given on"), widget=DateInput, initial=timezone.localdate)
    partner = forms.CharField(
        label=_("Partner"),
        required=False,
        max_length=200,
        help_text=_("Only for sharing: the one organisation this person agreed to share with."),
    )

    def __init__(self, *args: Any, members: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = members  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField


class RiskFactorsForm(forms.Form):
    """Step one: tick what applies, then see the suggested priority."""

    factors = forms.MultipleChoiceField(
        label=_("Risk factors that apply"), choices=RiskFactor.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class RiskConfirmForm(forms.Form):
    """Step two: the factors travel hidden; confirm the suggestion or override it with a reason."""

    factors = forms.MultipleChoiceField(choices=RiskFactor.choices, required=False, widget=forms.MultipleHiddenInput)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    override_reason = optional_text(
        _("Why a different priority?"), 2000, _("Needed only when the priority differs from the suggestion.")
    )


class PlacementForm(forms.Form):
    person = CodenameChoiceField(label=_("Member"), queryset=Person.objects.none())
    safe_house = SafeHouseChoiceField(
        label=_("Safe house"),
        queryset=SafeHouse.objects.none(),
        help_text=_("Only safe houses of the case's team that are not compromised and have room are listed."),
    )
    start = forms.DateField(label=_("From"), widget=DateInput, initial=timezone.localdate)

    def __init__(
        self, *args: Any, members: QuerySet[Person], houses: QuerySet[SafeHouse], occupied: dict[Any, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = members  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        self.fields["safe_house"].queryset = houses  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        self.fields["safe_house"].occupied = occupied  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a SafeHouseChoiceField


class SafeHouseForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none())
    label = forms.CharField(label=_("Label"), max_length=60, help_text=_("A neutral name staff use, never the address."))
    address = forms.CharField(
        label=_("Address"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("Stored encrypted.")
    )
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=200, help_text=_("How many people can stay."))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams  # type: ignore[attr-defined]  # fields[] is typed Field; this one is a ModelChoiceField
        if teams.count() == 1:
            self.fields["team"].initial = teams.first()


class BreakGlassForm(forms.Form):
    reference = forms.CharField(label=_("Case reference"), max_length=20, help_text=_("For example C-2025-0042."))
    reason = forms.CharField(
        label=_("Why do you need this case?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("At least 20 characters. Administrators read every reason."),
    )
