"""Need to know (Invariant 5): who may see which case, person, safe house or document.

A user sees a case when it belongs to one of their teams, or through an unexpired
break-glass grant. Owning a case grants nothing of its own: whoever leaves the team
loses the case at once, owner or not. Every helper answers 404 for "not yours" exactly as for
"does not exist". One helper per model, each condition on its own line.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from corridor.accounts import roles
from corridor.accounts.models import Role, Team, User
from corridor.audit import log as audit
from corridor.cases.models import BreakGlass, Case, CaseMember, Document, Person, SafeHouse
from corridor.core.ids import parse_id

CASE_ROLES = roles.CASE_ROLES  # re-exported: callers still import it from here



def _refuse(user: User, model: Any, pk: uuid.UUID) -> Http404:
    """Log a refusal of something that exists (Invariant 6), then answer as if it did not."""
    existing = model.objects.filter(pk=pk).first()
    if existing is not None:
        audit.record_decision(user, existing, allowed=False, reason="not visible to this user")
    return Http404()


def cases_visible_to(user: User) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active or user.role not in CASE_ROLES:
        return Case.objects.none()
    # Subqueries rather than joins: no duplicate rows, so no DISTINCT over every case.
    teams = Team.objects.filter(members=user).values("pk")
    grants = BreakGlass.objects.filter(user=user, expires__gt=timezone.now()).values("case_id")
    return Case.objects.filter(Q(team__in=teams) | Q(pk__in=grants))


def get_case_for_user(user: User, case_id: Any) -> Case:
    pk = parse_id(case_id)
    case = cases_visible_to(user).select_related("team", "owner", "data_key").filter(pk=pk).first()
    if case is None:
        raise _refuse(user, Case, pk)
    return case


def get_case_for_owner_change(user: User, case_id: Any) -> Case:
    """The case whose owner `user` may change: an admin reaches any case here, for its owner only.

    Admins see no case data (they are not in CASE_ROLES); this page shows them the
    reference, the team and the owner, nothing else.
    """
    if user.role != Role.ADMIN:
        case = get_case_for_user(user, case_id)
        if not user.has_perm("cases.assign_owner", case):
            raise Http404
        return case
    if not user.has_perm("cases.assign_owner"):
        raise Http404
    pk = parse_id(case_id)
    found = Case.objects.select_related("team", "owner").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def people_visible_to(user: User) -> QuerySet[Person]:
    members = CaseMember.objects.filter(case__in=cases_visible_to(user)).values("person_id")
    return Person.objects.filter(pk__in=members, erased__isnull=True)


def get_person_for_user(user: User, person_id: Any) -> Person:
    pk = parse_id(person_id)
    person = people_visible_to(user).select_related("data_key").filter(pk=pk).first()
    if person is None:
        raise _refuse(user, Person, pk)
    return person


def safe_houses_visible_to(user: User) -> QuerySet[SafeHouse]:
    if not user.is_authenticated or user.role not in CASE_ROLES:
        return SafeHouse.objects.none()
    return SafeHouse.objects.filter(team__in=Team.objects.filter(members=user).values("pk"))


def get_safe_house_for_user(user: User, house_id: Any) -> SafeHouse:
    pk = parse_id(house_id)
    house = safe_houses_visible_to(user).select_related("data_key").filter(pk=pk).first()
    if house is None:
        raise _refuse(user, SafeHouse, pk)
    return house


def get_document_for_user(user: User, document_id: Any) -> Document:
    pk = parse_id(document_id)
    document = (
        Document.objects.filter(case__in=cases_visible_to(user)).select_related("case", "data_key", "file").filter(pk=pk).first()
    )
    if document is None:
        raise _refuse(user, Document, pk)
    return document


def get_case_child(user: User, case: Case, model: Any, child_id: Any) -> Any:
    """A task, need, note, placement… of a case the user already reached through get_case_for_user."""
    pk = parse_id(child_id)
    child = model.objects.filter(case=case, pk=pk).first()
    if child is None:
        raise Http404
    return child
