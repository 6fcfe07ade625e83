"""Applications (case x programme): opening one, moving it along its statuses, its checklist."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.audit.names import name
from corridor.cases.models import Case, CaseMember, Person
from corridor.core.errors import Conflict
from corridor.relocation import tally
from corridor.relocation.audit_names import RelocationAudit
from corridor.relocation.domain.checks import check_not_future
from corridor.relocation.models import (
    APPLICATION_TRANSITIONS,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ChecklistItem,
    ChecklistItemKind,
    ChecklistStatus,
    Programme,
    ProgrammeKind,
    Referral,
    RefusalReason,
)
from corridor.relocation.rules import MANAGE_APPLICATIONS

S = ApplicationStatus
DEFAULT_CHECKLIST = (ChecklistItemKind.FORM, ChecklistItemKind.PHOTOS)


def _default_checklist(programme: Programme) -> list[str]:
    kinds: list[str] = list(DEFAULT_CHECKLIST)
    if programme.needs_international_passport:
        kinds.append(ChecklistItemKind.PASSPORT)
    if programme.referral != Referral.NONE:
        kinds.append(ChecklistItemKind.REFERRAL)
    if programme.needs_family_ties:
        kinds.append(ChecklistItemKind.FAMILY)
    if programme.kind in (ProgrammeKind.HUMANITARIAN_VISA, ProgrammeKind.RESETTLEMENT, ProgrammeKind.ASYLUM_ON_ARRIVAL):
        kinds.append(ChecklistItemKind.PERSECUTION)
    return kinds


def create_application(
    actor: User,
    case: Case,
    programme: Programme,
    *,
    channel: str,
    members: Sequence[Person | uuid.UUID],
    on: datetime.date | None = None,
) -> Application:
    """A draft application; several may run for one case in parallel, one per programme at a time.

    `members` are people on the case, or their ids (the API passes what it was sent).
    """
    with act(actor, MANAGE_APPLICATIONS, case) as action:
        channel = channel.strip()
        if not channel:
            raise ValidationError({"channel": _("Say which consulate or channel the application goes through.")})
        if not programme.is_open:
            raise ValidationError({"programme": _("This programme is closed.")})
        if not members:
            raise ValidationError({"members": _("Include at least one person on the case.")})
        # The case's row serialises openings: two at once could both find no active application.
        lock(case)
        person_ids = {member.pk if isinstance(member, Person) else member for member in members}
        if person_ids - set(CaseMember.objects.filter(case=case).values_list("person_id", flat=True)):
            raise ValidationError({"members": _("Only people on this case can be included.")})
        active = Application.objects.filter(case=case, programme=programme).exclude(
            status__in=(S.ARRIVED, S.REFUSED, S.WITHDRAWN)
        )
        if active.exists():
            raise ValidationError({"programme": _("This case already has an active application to this programme.")})
        day = on or timezone.localdate()
        check_not_future(day, "on")
        application = Application(case=case, programme=programme, channel=channel, created_by=actor, last_moved=day)
        application.save()
        application.members.set(Person.objects.filter(pk__in=person_ids))
        ApplicationEvent(application=application, old="", status=S.DRAFT, happened_on=day, by=actor).save()
        tally.refresh(application.pk)  # the figures' row, in this transaction (tally.py)
        ChecklistItem.objects.bulk_create(
            ChecklistItem(application=application, kind=kind) for kind in _default_checklist(programme)
        )
        action.record(RelocationAudit.APPLICATION_CREATE, application)
    return application


def transition_application(
    actor: User,
    application: Application,
    new: str,
    *,
    reason: str,
    on: datetime.date | None = None,
    refusal_reason: str = "",
    refusal_text: str = "",
    seen: str | None = None,
) -> ApplicationEvent:
    """Move an application along; every move is dated, attributed and explained.

    Decided on the locked row. `seen` is the status the user decided on (a page sends back the
    one it showed); by default the status of the caller's copy. When the application's status
    is no longer that one, someone else moved it meanwhile and this move is refused (Conflict),
    whatever it was. On success the caller's copy is brought up to date.
    """
    with act(actor, MANAGE_APPLICATIONS, application) as action:
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": _("Say why the status changes.")})
        if new not in S.values:
            raise ValidationError({"status": _("Unknown status.")})
        current = lock(application)
        if current.status != (seen or application.status):
            raise Conflict(
                {
                    "status": _("The application's status changed to “%(now)s” while you were working; nothing was changed.")
                    % {"now": current.get_status_display()}
                }
            )
        if new not in APPLICATION_TRANSITIONS[S(current.status)]:
            raise ValidationError(
                {
                    "status": _("An application cannot go from “%(old)s” to “%(new)s”.")
                    % {"old": current.get_status_display(), "new": S(new).label}
                }
            )
        day = on or timezone.localdate()
        check_not_future(day, "on")
        # Back-dating is allowed (a step recorded after the fact), reordering is not: the history
        # and the durations computed from it read the events in date order.
        if day < current.last_moved:
            raise ValidationError(
                {"on": _("The date cannot be before the previous step (%(date)s).") % {"date": date_format(current.last_moved)}}
            )
        if new == S.REFUSED:
            if refusal_reason not in RefusalReason.values:
                raise ValidationError({"refusal_reason": _("Choose the reason given for the refusal.")})
        elif refusal_reason or refusal_text.strip():
            raise ValidationError({"refusal_reason": _("A refusal reason only applies to a refusal.")})
        # The caller's copy carries the case with its loaded data key; the lock vouched for its status.
        event = ApplicationEvent(
            application=application, old=current.status, status=new, happened_on=day, by=actor, reason=reason
        )
        event.save()
        tally.refresh(application.pk)
        changed = {"status": new, "last_moved": day}
        if new == S.REFUSED:
            changed |= {"refusal_reason": refusal_reason, "refusal_text": refusal_text.strip() or None}
        for field, value in changed.items():
            setattr(application, field, value)
        application.save(update_fields=list(changed))
        action.record(name(f"application.status.{new}"), application)
    return event


def set_checklist_item(actor: User, application: Application, kind: str, status: str, note: str = "") -> ChecklistItem:
    with act(actor, MANAGE_APPLICATIONS, application) as action:
        if kind not in ChecklistItemKind.values:
            raise ValidationError({"kind": _("Unknown document.")})
        if status not in ChecklistStatus.values:
            raise ValidationError({"status": _("Unknown status.")})
        # The application's row serialises two first entries of one document (one item per kind).
        lock(application)
        item = ChecklistItem.objects.select_for_update().filter(application=application, kind=kind).first()
        if item is None:
            item = ChecklistItem(kind=kind)
        item.application = application  # with the case's loaded data key
        item.status = status
        item.note = note.strip() or None
        item.updated = timezone.now()
        item.save()
        action.record(RelocationAudit.APPLICATION_CHECKLIST, application, details={"kind": kind, "status": status})
    return item
