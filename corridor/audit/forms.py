"""The auditor's filters: who, what, to which object, when (all optional, combined with AND)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from corridor.audit.names import label, registered

# Either kind of read: "who opened this case" should not depend on the door they used.
ANY_READ = "reads"
READS = ("read", "read.api")
OBJECT_MAX = 100


class DateInput(forms.DateInput):
    input_type = "date"


Choices = list[tuple[str, str | Promise]]


def _actor_choices() -> Choices:
    user_model = get_user_model()
    rows = user_model._default_manager.order_by(user_model.USERNAME_FIELD).values_list("pk", user_model.USERNAME_FIELD)
    return [("", _("Anyone")), ("system", _("The system"))] + [(str(pk), str(username)) for pk, username in rows]


def _action_choices() -> Choices:
    named = sorted(((value, label(value)) for value in registered()), key=lambda pair: pair[1].casefold())
    return [("", _("Any action")), (ANY_READ, _("Any read (page or API)"))] + [(value, text) for value, text in named]


class AuditFilterForm(forms.Form):
    actor = forms.ChoiceField(label=_("Who"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    object = forms.CharField(
        label=_("Object"),
        required=False,
        max_length=OBJECT_MAX,
        help_text=_("A case reference (C-2026-0012), a codename or an id."),
    )
    since = forms.DateField(label=_("From"), required=False, widget=DateInput)
    until = forms.DateField(label=_("To (inclusive)"), required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Choices are read per request: users and audit names are added while the server runs.
        for name, choices in (("actor", _actor_choices()), ("action", _action_choices())):
            field = self.fields[name]
            if isinstance(field, forms.ChoiceField):
                field.choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since: datetime.date | None = cleaned.get("since")
        until: datetime.date | None = cleaned.get("until")
        if since and until and since > until:
            raise ValidationError(_("The first date is after the last one."))
        return cleaned
