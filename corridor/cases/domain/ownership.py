"""Who owns a case: a responsibility inside the case's team, never a door to the case."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.accounts.roles import CASE_ROLES
from corridor.audit import log as audit
from corridor.audit.actions import act, lock
from corridor.cases.audit_names import CaseAudit
from corridor.cases.models import Case
from corridor.cases.queries import owner_candidates
from corridor.notifications import api as notifications


def assign_owner(actor: User, case: Case, owner: User | None) -> None:
    """Give the case to another member of its team (or to nobody); admins and the team may.

    The hand-off of a case opened from a request for help: the new owner is told in the app
    (a notification carrying only the link to the case, made in this transaction, so it exists
    exactly when the assignment does). Taking a case oneself tells nobody.
    """
    with act(actor, "cases.assign_owner", case) as action:
        locked = lock(case)
        if owner is not None and not owner_candidates(locked).filter(pk=owner.pk).exists():
            raise ValidationError({"owner": _("The owner must be an active member of the case's team who works on cases.")})
        if locked.owner_id == (owner.pk if owner is not None else None):
            action.unchanged()
        else:
            locked.owner = owner
            locked.save(update_fields=["owner", "updated"])
            action.record(CaseAudit.OWNER_ASSIGN, locked)
            if owner is not None and owner.pk != actor.pk:
                notifications.case_assigned(owner, link=reverse("cases:case", args=[locked.pk]), team=locked.team)
    case.owner = owner


def release_ownership(user: User) -> list[Case]:
    """End `user`'s ownership of every case they may no longer work: another team's, or all if
    they were deactivated or moved to a role without cases. Called when an account changes
    (corridor/cases/signals.py), inside the action that changed it."""
    cases = Case.objects.filter(owner=user)
    if user.is_active and user.role in CASE_ROLES:
        cases = cases.exclude(team__in=Team.objects.filter(members=user).values("pk"))
    released: list[Case] = []
    # Not act(): this runs from a signal, inside the transaction of whatever changed the account
    # (an account action, or Django's own atomic block around user.teams.remove()), so it joins
    # that transaction instead of opening a durable one; the change and these entries commit or
    # roll back together. The system acts: the account change that caused it carries the admin's name.
    with transaction.atomic():
        for case in cases.select_for_update():
            case.owner = None
            case.save(update_fields=["owner", "updated"])
            audit.record(actor=None, action=CaseAudit.OWNER_RELEASE, obj=case)
            released.append(case)
    return released
