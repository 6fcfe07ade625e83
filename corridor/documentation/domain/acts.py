"""Acts (what was done to one victim in an event) and involvements (who did it, to what degree)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.cases.access import people_visible_to
from corridor.cases.models import DatePrecision, Person
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.domain.checks import apply, check_choice, check_happened, check_seen, copy_back, optional_text
from corridor.documentation.models import Act, Degree, EndStatus, Event, Involvement, Perpetrator, Term, Vocabulary
from corridor.documentation.rules import MANAGE_EVENTS

ACT_FIELDS = (
    "act_type",
    "start",
    "start_precision",
    "end",
    "end_precision",
    "place",
    "stated_reason",
    "physical_consequences",
    "psychological_consequences",
    "end_status",
)
_TEXT_FIELDS = ("place", "stated_reason", "physical_consequences", "psychological_consequences")


def _check_victim(actor: User, victim: Person) -> None:
    """A victim is a person in a case the actor can see: nobody attaches a name they may not read."""
    if not people_visible_to(actor).filter(pk=victim.pk).exists():
        raise ValidationError({"victim": _("Choose a person from a case you can see.")})


def _check_methods(methods: Iterable[Term]) -> list[Term]:
    chosen = list(methods)
    if any(term.vocabulary != Vocabulary.METHOD or not term.active for term in chosen):
        raise ValidationError({"methods": _("Choose methods from the list of methods in use.")})
    return chosen


def _clean(values: dict[str, Any], *, new_type: bool) -> dict[str, Any]:
    unknown = set(values) - set(ACT_FIELDS)
    if unknown:
        raise TypeError(f"unknown act fields: {sorted(unknown)}")
    act_type = values.get("act_type")
    if not isinstance(act_type, Term) or act_type.vocabulary != Vocabulary.ACT_TYPE or (new_type and not act_type.active):
        raise ValidationError({"act_type": _("Choose a type of act from the list in use.")})
    check_happened(values.get("start"), values.get("end"))
    check_choice(values.get("start_precision"), DatePrecision, "start_precision")
    check_choice(values.get("end_precision"), DatePrecision, "end_precision")
    check_choice(values.get("end_status"), EndStatus, "end_status")
    cleaned = dict(values)
    for name in _TEXT_FIELDS:
        cleaned[name] = optional_text(values.get(name))
    return cleaned


def add_act(
    actor: User,
    event: Event,
    *,
    victim: Person,
    act_type: Term,
    methods: Iterable[Term] = (),
    start: datetime.date | None = None,
    start_precision: str = DatePrecision.EXACT,
    end: datetime.date | None = None,
    end_precision: str = DatePrecision.EXACT,
    place: str = "",
    stated_reason: str = "",
    physical_consequences: str = "",
    psychological_consequences: str = "",
    end_status: str = EndStatus.UNKNOWN,
) -> Act:
    with act(actor, MANAGE_EVENTS, event) as action:
        _check_victim(actor, victim)
        values = _clean(
            {
                "act_type": act_type,
                "start": start,
                "start_precision": start_precision,
                "end": end,
                "end_precision": end_precision,
                "place": place,
                "stated_reason": stated_reason,
                "physical_consequences": physical_consequences,
                "psychological_consequences": psychological_consequences,
                "end_status": end_status,
            },
            new_type=True,
        )
        chosen = _check_methods(methods)
        found = Act(event=event, victim=victim, **values)
        found.save()
        found.methods.set(chosen)
        action.record(DocumentationAudit.ACT_ADD, found)
    return found


def update_act(
    actor: User, target: Act, *, seen: datetime.datetime | None = None, methods: Iterable[Term] | None = None, **values: Any
) -> Act:
    """The act as changed (its victim stays: another victim is another act); Conflict from an old copy."""
    with act(actor, MANAGE_EVENTS, target.event) as action:
        locked = lock(target)
        check_seen(locked, seen)
        current = {name: getattr(locked, name) for name in ACT_FIELDS}
        new_type = "act_type" in values and values["act_type"] != locked.act_type
        cleaned = _clean(current | values, new_type=new_type)
        locked.save(update_fields=apply(locked, {name: cleaned[name] for name in values}))
        if methods is not None:
            locked.methods.set(_check_methods(methods))
        fields = sorted([*values, *(["methods"] if methods is not None else [])])
        action.record(DocumentationAudit.ACT_UPDATE, locked, details={"fields": fields})
    copy_back(target, locked)
    return target


def add_involvement(
    actor: User, target: Act, *, perpetrator: Perpetrator, degree: str = Degree.ALLEGED, note: str = ""
) -> Involvement:
    with act(actor, MANAGE_EVENTS, target.event) as action:
        lock(target)  # two people adding the same perpetrator at once: one wins, one is told
        check_choice(degree, Degree, "degree")
        if Involvement.objects.filter(act=target, perpetrator=perpetrator).exists():
            raise ValidationError({"perpetrator": _("This perpetrator is already named in this act.")})
        involvement = Involvement(act=target, perpetrator=perpetrator, degree=degree, note=optional_text(note))
        involvement.save()
        action.record(DocumentationAudit.INVOLVEMENT_ADD, involvement)
    return involvement


def remove_involvement(actor: User, involvement: Involvement) -> None:
    event = involvement.act.event
    with act(actor, MANAGE_EVENTS, event) as action:
        lock(involvement.act)
        deleted, _rows = Involvement.objects.filter(pk=involvement.pk).delete()
        if not deleted:
            raise ValidationError({"involvement": _("This involvement was already removed.")})
        action.record(DocumentationAudit.INVOLVEMENT_REMOVE, involvement)
