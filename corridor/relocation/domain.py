"""Every state change of relocation work: one function each, with its checks, writes and
audit entry in one transaction. Views and the API parse, call these, and render.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.cases.models import Case, CaseMember, Person
from corridor.keys.models import DataKey
from corridor.relocation.models import (
    APPLICATION_TRANSITIONS,
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ChecklistItem,
    ChecklistItemKind,
    ChecklistStatus,
    Contact,
    ContactKind,
    Country,
    Engagement,
    Programme,
    ProgrammeKind,
    Referral,
    RefusalReason,
    RelocationProfile,
)

S = ApplicationStatus

PROGRAMME_FIELDS = (
    "country",
    "name",
    "kind",
    "needs_international_passport",
    "referral",
    "needs_family_ties",
    "language",
    "is_open",
    "notes",
    "source_url",
    "checked",
    "published_days",
)


def _require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(perm)


def _check_date(value: datetime.date, field: str) -> None:
    if value > timezone.localdate():
        raise ValidationError({field: _("The date cannot be in the future.")})


# -- programmes ----------------------------------------------------------------------------


def _validate_programme(values: dict[str, Any]) -> None:
    if values.get("kind") not in ProgrammeKind.values:
        raise ValidationError({"kind": _("Unknown kind of programme.")})
    if values.get("referral") not in Referral.values:
        raise ValidationError({"referral": _("Unknown referral requirement.")})
    url = str(values.get("source_url") or "").strip()
    if not url.startswith(("https://", "http://")):
        raise ValidationError({"source_url": _("Give the address of the public page, starting with https://.")})
    if not str(values.get("name") or "").strip():
        raise ValidationError({"name": _("Give the programme a name.")})
    checked = values.get("checked")
    # Empty means "not checked yet" (the starter programmes ship so); a date must be a real one.
    if checked is not None:
        if not isinstance(checked, datetime.date):
            raise ValidationError({"checked": _("Say when the source was checked.")})
        _check_date(checked, "checked")


def create_programme(actor: User, **values: Any) -> Programme:
    _require(actor, "relocation.manage_programmes")
    unknown = set(values) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"unknown programme fields: {sorted(unknown)}")
    values.setdefault("referral", Referral.NONE)
    _validate_programme(values)
    with transaction.atomic():
        programme = Programme.objects.create(**values)
        audit.record(actor=actor, action="programme.create", obj=programme)
    return programme


def update_programme(actor: User, programme: Programme, **values: Any) -> Programme:
    _require(actor, "relocation.manage_programmes")
    unknown = set(values) - set(PROGRAMME_FIELDS)
    if unknown:
        raise TypeError(f"unknown programme fields: {sorted(unknown)}")
    merged = {name: getattr(programme, name) for name in PROGRAMME_FIELDS} | values
    _validate_programme(merged)
    with transaction.atomic():
        for name, value in values.items():
            setattr(programme, name, value)
        programme.save(update_fields=[*values, "updated"])
        audit.record(actor=actor, action="programme.update", obj=programme, details={"fields": sorted(values)})
    return programme


# -- a case's relocation profile -------------------------------------------------------------


def profile_for(case: Case) -> RelocationProfile:
    """The case's profile, or an unsaved empty one (nothing is written by reading)."""
    try:
        return case.relocation_profile
    except RelocationProfile.DoesNotExist:
        return RelocationProfile(case=case, referral=Referral.NONE, family_ties=[])


def set_profile(actor: User, case: Case, *, referral: str, family_ties: Sequence[str]) -> RelocationProfile:
    _require(actor, "relocation.manage_applications")
    if referral not in (Referral.NONE, Referral.UNHCR, Referral.PARTNER):
        raise ValidationError({"referral": _("Unknown referral.")})
    codes = sorted({code.upper() for code in family_ties})
    known = set(Country.objects.filter(pk__in=codes).values_list("pk", flat=True))
    if set(codes) - known:
        raise ValidationError({"family_ties": _("Unknown country.")})
    with transaction.atomic():
        profile = profile_for(case)
        profile.referral = referral
        profile.family_ties = codes
        profile.save()
        audit.record(actor=actor, action="relocation.profile.update", obj=case)
    return profile


# -- applications ----------------------------------------------------------------------------

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
    actor: User, case: Case, programme: Programme, *, channel: str, members: Sequence[Person], on: datetime.date | None = None
) -> Application:
    """A draft application; several may run for one case in parallel, one per programme at a time."""
    _require(actor, "relocation.manage_applications")
    channel = channel.strip()
    if not channel:
        raise ValidationError({"channel": _("Say which consulate or channel the application goes through.")})
    if not programme.is_open:
        raise ValidationError({"programme": _("This programme is closed.")})
    if not members:
        raise ValidationError({"members": _("Include at least one person on the case.")})
    member_ids = set(CaseMember.objects.filter(case=case).values_list("person_id", flat=True))
    if any(person.pk not in member_ids for person in members):
        raise ValidationError({"members": _("Only people on this case can be included.")})
    active = Application.objects.filter(case=case, programme=programme).exclude(status__in=(S.ARRIVED, S.REFUSED, S.WITHDRAWN))
    if active.exists():
        raise ValidationError({"programme": _("This case already has an active application to this programme.")})
    day = on or timezone.localdate()
    _check_date(day, "on")
    with transaction.atomic():
        application = Application(case=case, programme=programme, channel=channel, created_by=actor, last_moved=day)
        application.save()
        application.members.set(members)
        ApplicationEvent(application=application, old="", status=S.DRAFT, happened_on=day, by=actor).save()
        ChecklistItem.objects.bulk_create(ChecklistItem(application=application, kind=kind) for kind in _default_checklist(programme))
        audit.record(actor=actor, action="application.create", obj=application)
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
) -> ApplicationEvent:
    """Move an application along; every move is dated, attributed and explained."""
    _require(actor, "relocation.manage_applications")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the status changes.")})
    if new not in S.values:
        raise ValidationError({"status": _("Unknown status.")})
    if new not in APPLICATION_TRANSITIONS[S(application.status)]:
        raise ValidationError(
            {"status": _("An application cannot go from “%(old)s” to “%(new)s”.") % {"old": application.get_status_display(), "new": S(new).label}}
        )
    day = on or timezone.localdate()
    _check_date(day, "on")
    if day < application.last_moved:
        raise ValidationError({"on": _("The date cannot be before the previous step (%(date)s).") % {"date": application.last_moved.isoformat()}})
    if new == S.REFUSED:
        if refusal_reason not in RefusalReason.values:
            raise ValidationError({"refusal_reason": _("Choose the reason given for the refusal.")})
    elif refusal_reason or refusal_text.strip():
        raise ValidationError({"refusal_reason": _("A refusal reason only applies to a refusal.")})
    with transaction.atomic():
        event = ApplicationEvent(application=application, old=application.status, status=new, happened_on=day, by=actor, reason=reason)
        event.save()
        application.status = new
        application.last_moved = day
        fields = ["status", "last_moved"]
        if new == S.REFUSED:
            application.refusal_reason = refusal_reason
            application.refusal_text = refusal_text.strip() or None
            fields += ["refusal_reason", "refusal_text"]
        application.save(update_fields=fields)
        audit.record(actor=actor, action=f"application.status.{new}", obj=application)
    return event


def set_checklist_item(actor: User, application: Application, kind: str, status: str, note: str = "") -> ChecklistItem:
    _require(actor, "relocation.manage_applications")
    if kind not in ChecklistItemKind.values:
        raise ValidationError({"kind": _("Unknown document.")})
    if status not in ChecklistStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    with transaction.atomic():
        item = ChecklistItem.objects.filter(application=application, kind=kind).select_related("application__case__data_key").first()
        if item is None:
            item = ChecklistItem(application=application, kind=kind)
        item.status = status
        item.note = note.strip() or None
        item.updated = timezone.now()
        item.save()
        audit.record(actor=actor, action="application.checklist", obj=application, details={"kind": kind, "status": status})
    return item


# -- contacts and engagements ------------------------------------------------------------------


def create_contact(actor: User, *, country: Country, kind: str, organisation: str, name: str, details: str = "") -> Contact:
    _require(actor, "relocation.manage_engagements")
    if kind not in ContactKind.values:
        raise ValidationError({"kind": _("Unknown kind of contact.")})
    if not organisation.strip():
        raise ValidationError({"organisation": _("Name the embassy, ministry or organisation.")})
    if not name.strip():
        raise ValidationError({"name": _("Give the contact's name or role.")})
    with transaction.atomic():
        contact = Contact(
            data_key=DataKey.create("contact"),
            country=country,
            kind=kind,
            organisation=organisation.strip(),
            name=name.strip(),
            details=details.strip() or None,
        )
        contact.save()
        audit.record(actor=actor, action="contact.create", obj=contact)
    return contact


def log_engagement(
    actor: User,
    contact: Contact,
    *,
    asked: str,
    on: datetime.date | None = None,
    response: str = "",
    next_step: str = "",
    next_due: datetime.date | None = None,
    programme: Programme | None = None,
) -> Engagement:
    _require(actor, "relocation.manage_engagements")
    if not asked.strip():
        raise ValidationError({"asked": _("Say what was asked.")})
    day = on or timezone.localdate()
    _check_date(day, "on")
    if bool(next_step.strip()) != (next_due is not None):
        raise ValidationError({"next_due": _("A next step needs a due date, and a due date needs a next step.")})
    if next_due is not None and next_due < day:
        raise ValidationError({"next_due": _("The next step cannot be due before the approach.")})
    if programme is not None and programme.country_id != contact.country_id:
        raise ValidationError({"programme": _("The programme must be in the contact's country.")})
    with transaction.atomic():
        engagement = Engagement(
            contact=contact,
            programme=programme,
            happened_on=day,
            by=actor,
            asked=asked.strip(),
            response=response.strip() or None,
            next_step=next_step.strip() or None,
            next_due=next_due,
        )
        engagement.save()
        audit.record(actor=actor, action="engagement.create", obj=engagement)
    return engagement


def close_commitment(actor: User, engagement: Engagement) -> None:
    _require(actor, "relocation.manage_engagements")
    if not engagement.is_open_commitment:
        raise ValidationError({"engagement": _("There is no open next step on this approach.")})
    with transaction.atomic():
        engagement.done = timezone.now()
        engagement.save(update_fields=["done"])
        audit.record(actor=actor, action="engagement.close", obj=engagement)
