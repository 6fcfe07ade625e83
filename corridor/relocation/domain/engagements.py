"""Contacts at embassies, ministries, UNHCR and partners, and the approaches made to them."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.keys.api import DataKey
from corridor.relocation.audit_names import RelocationAudit
from corridor.relocation.domain.checks import check_not_future
from corridor.relocation.models import Contact, ContactKind, Country, Engagement, Programme
from corridor.relocation.rules import MANAGE_ENGAGEMENTS


def create_contact(actor: User, *, country: Country, kind: str, organisation: str, name: str, details: str = "") -> Contact:
    with act(actor, MANAGE_ENGAGEMENTS) as action:
        if kind not in ContactKind.values:
            raise ValidationError({"kind": _("Unknown kind of contact.")})
        if not organisation.strip():
            raise ValidationError({"organisation": _("Name the embassy, ministry or organisation.")})
        if not name.strip():
            raise ValidationError({"name": _("Give the contact's name or role.")})
        contact = Contact(
            data_key=DataKey.create("contact"),
            country=country,
            kind=kind,
            organisation=organisation.strip(),
            name=name.strip(),
            details=details.strip() or None,
        )
        contact.save()
        action.record(RelocationAudit.CONTACT_CREATE, contact)
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
    with act(actor, MANAGE_ENGAGEMENTS, contact) as action:
        if not asked.strip():
            raise ValidationError({"asked": _("Say what was asked.")})
        day = on or timezone.localdate()
        check_not_future(day, "on")
        if bool(next_step.strip()) != (next_due is not None):
            raise ValidationError({"next_due": _("A next step needs a due date, and a due date needs a next step.")})
        if next_due is not None and next_due < day:
            raise ValidationError({"next_due": _("The next step cannot be due before the approach.")})
        if programme is not None and programme.country_id != contact.country_id:
            raise ValidationError({"programme": _("The programme must be in the contact's country.")})
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
        action.record(RelocationAudit.ENGAGEMENT_CREATE, engagement)
    return engagement


def close_commitment(actor: User, engagement: Engagement) -> Engagement:
    """Mark an approach's next step done; refused when it has none open (already done, say).

    Decided on the locked row, so two people marking it at once record it once. The caller's
    copy is brought up to date and returned.
    """
    with act(actor, MANAGE_ENGAGEMENTS, engagement) as action:
        current = lock(engagement)
        if not current.is_open_commitment:
            raise ValidationError({"engagement": _("There is no open next step on this approach.")})
        engagement.done = timezone.now()
        engagement.save(update_fields=["done"])
        action.record(RelocationAudit.ENGAGEMENT_CLOSE, engagement)
    return engagement
