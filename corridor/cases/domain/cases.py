"""Cases: opening one, its members, verification, risk and priority, and break-glass access.

Every change is an action (corridor/audit/actions.py): permission, lock, checks, write and
audit entry in one durable transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import Role, Team, User
from corridor.audit.actions import act, lock, stamp_once
from corridor.audit.names import name
from corridor.cases.audit_names import CaseAudit
from corridor.cases.domain.people import create_person
from corridor.cases.models import (
    BreakGlass,
    Case,
    CaseMember,
    MemberRole,
    Person,
    Priority,
    RiskAssessment,
    RiskFactor,
    Verification,
)
from corridor.core.errors import Conflict
from corridor.keys.api import DataKey
from corridor.notifications import api as notifications

BREAK_GLASS_HOURS = 8

# Factors that alone make a case an emergency (days) or urgent (weeks).
EMERGENCY_FACTORS = {RiskFactor.BEING_SEARCHED, RiskFactor.FAMILY_THREATS}
URGENT_FACTORS = {RiskFactor.KNOWN_TO_AUTHORITIES, RiskFactor.DETENTION_HISTORY, RiskFactor.HEALTH, RiskFactor.DEPENDANTS_AT_RISK}


def _next_reference() -> str:
    year = timezone.now().year
    prefix = f"C-{year}-"
    # As text "C-2026-9999" sorts after "C-2026-10000": order by length first.
    last = (
        Case.objects.filter(reference__startswith=prefix)
        .annotate(width=Length("reference"))
        .order_by("-width", "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _save_with_next_reference(case: Case) -> None:
    """Give `case` the next free reference and insert it.

    Two cases opened at the same moment both read the same last reference; the unique index
    refuses the second insert, which then takes the number after. Each try has its own
    savepoint, so a refused one leaves the action's transaction usable.
    """
    for _attempt in range(20):
        case.reference = _next_reference()
        try:
            with transaction.atomic():
                case.save(force_insert=True)
            return
        except IntegrityError:
            if not Case.objects.filter(reference=case.reference).exists():
                raise
    raise Conflict(_("Many cases are being opened at this moment; nothing was changed. Try again."))


def _review_date(priority: str) -> datetime.date:
    days = {Priority.EMERGENCY: 1, Priority.URGENT: 7, Priority.NORMAL: 30}[Priority(priority)]
    return timezone.localdate() + datetime.timedelta(days=days)


def _refuse_break_glass_only(actor: User, people: Iterable[Person], field: str) -> None:
    """Break-glass lends another team's case for hours; it must not become a permanent copy.

    A person already on cases, none of them in the actor's teams, can only have been
    reached through emergency access: they are not carried into another case.
    """
    own_teams = Team.objects.filter(members=actor).values("pk")
    for person in people:
        memberships = CaseMember.objects.filter(person=person)
        if memberships.exists() and not memberships.filter(case__team__in=own_teams).exists():
            raise ValidationError(
                {
                    field: _(
                        "%(codename)s is on another team's case, which you see only through emergency access. "
                        "They cannot be added to a case of yours: ask that team, or an administrator, to do it."
                    )
                    % {"codename": person.codename}
                }
            )


def open_case(
    actor: User,
    *,
    team: Team,
    principal: Person,
    dependants: Sequence[Person] = (),
    priority: str = Priority.NORMAL,
    summary: str = "",
    owner: User | None = None,
) -> Case:
    with act(actor, "cases.add_case") as action:
        if actor.role != Role.ADMIN and not team.members.filter(pk=actor.pk).exists():
            raise ValidationError({"team": _("You can only open cases for your own teams.")})
        if priority not in Priority.values:
            raise ValidationError({"priority": _("Unknown priority.")})
        if owner is not None and not owner.teams.filter(pk=team.pk).exists():
            raise ValidationError({"owner": _("The owner must be an active member of the case's team who works on cases.")})
        _refuse_break_glass_only(actor, [principal], "principal")
        _refuse_break_glass_only(actor, dependants, "dependants")
        case = Case(
            data_key=DataKey.create("case"),
            team=team,
            owner=owner or actor,
            priority=priority,
            summary=summary or None,
            priority_review=_review_date(priority),
        )
        _save_with_next_reference(case)
        CaseMember.objects.create(case=case, person=principal, role=MemberRole.PRINCIPAL)
        for person in dependants:
            CaseMember.objects.create(case=case, person=person, role=MemberRole.DEPENDANT)
        action.record(CaseAudit.CASE_OPEN, case)
    return case


def create_person_with_case(
    actor: User, *, team: Team, priority: str = Priority.NORMAL, summary: str = "", **values: Any
) -> tuple[Person, Case]:
    """A new person and the case they are the principal of, or neither.

    A person outside every case is visible to nobody (access.people_visible_to), so the
    pages never create one alone.
    """
    with act(actor, "cases.add_case"):  # audited by the two actions inside
        person = create_person(actor, **values)
        case = open_case(actor, team=team, principal=person, priority=priority, summary=summary)
    return person, case


def create_person_in_case(actor: User, case: Case, **values: Any) -> Person:
    """A new person who joins `case` as a dependant, or nothing: like create_person_with_case,
    never a person on no case (whom nobody, the creator included, could see)."""
    with act(actor, "cases.change_case", case):  # audited by the two actions inside
        person = create_person(actor, **values)
        add_member(actor, case, person)
    return person


def add_member(actor: User, case: Case, person: Person, role: str = MemberRole.DEPENDANT) -> CaseMember:
    with act(actor, "cases.change_case", case) as action:
        _refuse_break_glass_only(actor, [person], "person")
        member, created = CaseMember.objects.get_or_create(case=case, person=person, defaults={"role": role})
        if created:
            action.record(CaseAudit.ADD_MEMBER, case)
        else:
            action.unchanged()
    return member


def set_priority(actor: User, case: Case, priority: str, review: datetime.date | None = None) -> None:
    """A new priority and review date, set on the case as it is now (the priority is not a
    condition of anything, so a change in between is not a conflict: the last word counts)."""
    with act(actor, "cases.change_case", case) as action:
        if priority not in Priority.values:
            raise ValidationError({"priority": _("Unknown priority.")})
        locked = lock(case)
        locked.priority = priority
        locked.priority_review = review or _review_date(priority)
        locked.save(update_fields=["priority", "priority_review", "updated"])
        action.record(name(f"case.priority.{priority}"), locked)
    case.priority, case.priority_review = locked.priority, locked.priority_review


def record_verification(actor: User, case: Case, method: str, details: str = "") -> Verification:
    with act(actor, "cases.change_case", case) as action:
        verification = Verification(case=case, method=method, by=actor, details=details or None)
        verification.full_clean(exclude=["case", "by", "details"])
        verification.save()
        action.record(CaseAudit.VERIFY, case)
    return verification


# -- risk --------------------------------------------------------------------------------


def suggest_priority(factors: Iterable[str]) -> str:
    chosen = set(factors)
    if chosen & EMERGENCY_FACTORS or len(chosen & URGENT_FACTORS) >= 3:
        return Priority.EMERGENCY
    if chosen & URGENT_FACTORS:
        return Priority.URGENT
    return Priority.NORMAL


def assess_risk(actor: User, case: Case, factors: Sequence[str], priority: str, override_reason: str = "") -> RiskAssessment:
    """The caseworker confirms the suggested priority or overrides it with a reason."""
    with act(actor, "cases.change_case", case) as action:
        unknown = set(factors) - set(RiskFactor.values)
        if unknown:
            raise ValidationError({"factors": _("Unknown risk factor.")})
        suggested = suggest_priority(factors)
        if priority != suggested and not override_reason.strip():
            raise ValidationError({"override_reason": _("Explain why the priority differs from the suggestion.")})
        locked = lock(case)
        assessment = RiskAssessment(
            case=locked,
            factors=sorted(set(factors)),
            suggested_priority=suggested,
            priority=priority,
            override_reason=override_reason.strip() or None,
            by=actor,
        )
        assessment.save()
        if locked.priority != priority:
            locked.priority = priority
            locked.priority_review = _review_date(priority)
            locked.save(update_fields=["priority", "priority_review", "updated"])
        action.record(CaseAudit.RISK, locked)
    case.priority, case.priority_review = locked.priority, locked.priority_review
    return assessment


# -- break glass -------------------------------------------------------------------------


def break_glass(actor: User, case: Case, reason: str) -> BreakGlass:
    """Reach a case outside one's teams for a few hours, with a written reason; admins see it."""
    with act(actor, "cases.break_glass") as action:
        if len(reason.strip()) < 20:
            raise ValidationError({"reason": _("Explain in a sentence or two why you need this case (at least 20 characters).")})
        grant = BreakGlass(
            case=case, user=actor, reason=reason.strip(), expires=timezone.now() + datetime.timedelta(hours=BREAK_GLASS_HOURS)
        )
        grant.save()
        action.record(CaseAudit.BREAK_GLASS, case)
        notifications.break_glass_used(link=reverse("cases:break_glass_review"))  # admins review every use
    return grant


def review_break_glass(actor: User, grant: BreakGlass) -> None:
    """An admin has read the reason; the grant itself runs out on its own."""
    with act(actor, "cases.review_break_glass") as action:
        refusal = ValidationError(_("This access was already reviewed."))
        stamp_once(action, grant, "reviewed", refusal, CaseAudit.BREAK_GLASS_REVIEWED)
