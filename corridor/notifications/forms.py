"""Forms for the notification centre, preferences and rosters: they parse; the domain decides and writes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from corridor.accounts.models import Team, User
from corridor.notifications.models import (
    DEFAULT_ESCALATION_MINUTES,
    URGENT_KINDS,
    Batching,
    Duty,
    Kind,
    TeamAlerting,
)


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _members(team: Team) -> Any:
    return User.objects.filter(teams=team, is_active=True).order_by("username")


class ShiftForm(forms.Form):
    prefix = "shift"
    duty = forms.ChoiceField(label=_("Duty"), choices=Duty.choices)
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    weekday = forms.TypedChoiceField(label=_("Day"), choices=WEEKDAYS, coerce=int)
    start = forms.TimeField(label=_("From"), widget=TimeInput())
    end = forms.TimeField(label=_("Until"), widget=TimeInput(), help_text=_("A time at or before the start ends the next day."))

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["user"]
        field.queryset = _members(team)


class SwapForm(forms.Form):
    prefix = "swap"
    duty = forms.ChoiceField(label=_("Duty"), choices=Duty.choices)
    user = forms.ModelChoiceField(label=_("Person"), queryset=User.objects.none())
    starts = forms.DateTimeField(label=_("From"), widget=DateTimeInput())
    ends = forms.DateTimeField(label=_("Until"), widget=DateTimeInput())
    replacing = forms.ModelChoiceField(
        label=_("Instead of"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Leave empty to add a second person on duty."),
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("user", "replacing"):
            field: Any = self.fields[name]
            field.queryset = _members(team)


class AlertingForm(forms.Form):
    prefix = "alerting"
    fallback = forms.ModelChoiceField(
        label=_("Fallback"),
        queryset=User.objects.none(),
        required=False,
        help_text=_("Told when nobody is on duty, and first when an emergency is not opened in time."),
    )
    coordinators = forms.ModelMultipleChoiceField(
        label=_("Coordinators"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Told next; they also edit this roster."),
    )
    escalation_minutes = forms.IntegerField(
        label=_("Escalate after (minutes)"), min_value=1, max_value=24 * 60, initial=DEFAULT_ESCALATION_MINUTES
    )

    def __init__(self, *args: Any, team: Team, current: TeamAlerting | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("fallback", "coordinators"):
            field: Any = self.fields[name]
            field.queryset = _members(team)
        if current is not None and not self.is_bound:
            self.initial = {
                **self.initial,
                "fallback": current.fallback_id,
                "coordinators": list(current.coordinators.all()),
                "escalation_minutes": current.escalation_minutes,
            }


OPTIONAL_KINDS = [(kind.value, kind.label) for kind in Kind if kind not in URGENT_KINDS]


class PreferenceForm(forms.Form):
    muted = forms.MultipleChoiceField(
        label=_("Do not tell me about"),
        choices=OPTIONAL_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Emergencies and lockdowns are always sent."),
    )
    batching = forms.ChoiceField(label=_("Send e-mail"), choices=Batching.choices)
    quiet_start = forms.TimeField(label=_("Quiet hours from"), widget=TimeInput(), required=False)
    quiet_end = forms.TimeField(
        label=_("Quiet hours until"),
        widget=TimeInput(),
        required=False,
        help_text=_("No e-mail in these hours, except emergencies."),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("Messages never name a person, a place or a case: they say what happened and how many."),
    )
    language = forms.ChoiceField(
        label=_("Language of e-mail"),
        choices=[("", _("The organisation's default")), *settings.LANGUAGES],
        required=False,
    )
    public_key = forms.CharField(
        label=_("age public key"),
        required=False,
        max_length=200,
        help_text=_("Optional: mail to you is then encrypted to this key (age1…)."),
    )
