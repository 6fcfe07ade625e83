"""Consent: what each person on a case agreed to (storing, sharing with a named partner, statistics).

A change that relies on consent asks require_consent inside its own action: the consent rows are
read under a lock there, so a withdrawal that commits first is seen, and one that starts later
waits until the change is done.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.audit.names import name
from corridor.cases.models import Case, Consent, ConsentScope, Person


def record_consent(actor: User, case: Case, person: Person, scope: str, given: datetime.date, partner: str = "") -> Consent:
    with act(actor, "cases.change_case", case) as action:
        if scope == ConsentScope.SHARE and not partner.strip():
            raise ValidationError({"partner": _("Name the partner this person agreed to share with.")})
        if given > timezone.localdate():
            raise ValidationError({"given": _("Consent cannot be dated in the future.")})
        if not case.members.filter(person=person).exists():
            raise ValidationError({"person": _("This person is not on the case.")})
        consent = Consent(case=case, person=person, scope=scope, given=given, partner=partner or None, recorded_by=actor)
        consent.save()
        action.record(name(f"consent.give.{scope}"), case)
    return consent


def withdraw_consent(actor: User, consent: Consent, on: datetime.date | None = None) -> None:
    """The person takes their consent back (on a day, today by default); from then on nothing relies on it."""
    with act(actor, "cases.change_case", consent.case) as action:
        locked = lock(consent)
        if locked.withdrawn is not None:
            raise ValidationError({"on": _("This consent was already withdrawn.")})
        if on is not None and on < locked.given:
            raise ValidationError({"on": _("A consent cannot be withdrawn before it was given.")})
        locked.withdrawn = on or timezone.localdate()
        locked.save(update_fields=["withdrawn"])
        action.record(name(f"consent.withdraw.{locked.scope}"), consent.case)
    consent.withdrawn = locked.withdrawn


def has_consent(case: Case, person: Person, scope: str, partner: str | None = None) -> bool:
    """Whether `person` has a standing consent of `scope` on `case` (with `partner`, for sharing).

    Inside an action the consent rows are locked (SELECT … FOR UPDATE) until the action ends: a
    withdrawal committed meanwhile is seen (the lock waits for it, then the row no longer
    matches), and a withdrawal that starts later waits for the action.
    """
    consents = case.consents.filter(person=person, scope=scope, withdrawn__isnull=True).order_by("pk")
    if transaction.get_connection().in_atomic_block:
        consents = consents.select_for_update()
    for consent in consents:
        if partner is None or (consent.partner or "").strip().casefold() == partner.strip().casefold():
            return True
    return False


def require_consent(case: Case, person: Person, scope: str, partner: str | None = None) -> None:
    """Refuse unless the consent stands; call it inside the action that relies on it (see has_consent)."""
    if not has_consent(case, person, scope, partner):
        raise PermissionDenied(_("%(codename)s has not consented to this.") % {"codename": person.codename})
