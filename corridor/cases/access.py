"""Need to know (Invariant 5): who may see which case, person, safe house or document.

A user sees a case when it belongs to one of their teams, or through an unexpired
break-glass grant. Owning a case grants nothing of its own: whoever leaves the team
loses the case at once, owner or not. Every helper answers 404 for "not yours" exactly as for
"does not exist". One helper per model, each condition on its own line.

Each `get_*` helper takes the permission the caller wants the object for (`perm`, reading by
default). A user who may not use a visible object that way gets NotPermitted, itself a 404:
pages answer it like a missing object, the API (which has already shown the object exists)
answers it 403. Refusals of existing objects are audited either way. Views and the API fetch
through these helpers and never ask `has_perm` again before calling a domain action: the
action checks for itself.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from corridor.accounts import roles
from corridor.accounts.models import Role, Team, User
from corridor.audit import log as audit
from corridor.cases.models import BreakGlass, Case, CaseMember, Document, DuplicateReview, Person, SafeHouse
from corridor.core.ids import parse_id

CASE_ROLES = roles.CASE_ROLES  # re-exported: callers still import it from here

VIEW = "cases.view_case"

M = TypeVar("M", bound=models.Model)


class NotPermitted(Http404):
    """The user's role may not use this (visible) object, or this page, for what they asked.

    A 404 on pages, as for anything missing (Invariant 5). The API answers it 403, as its
    schema documents for a visible object the role may not change (corridor/cases/api.py).
    """


def get_visible(user: User, visible: QuerySet[M], object_id: Any, perm: str) -> M:
    """The object `object_id` among those `user` can see, when `perm` lets them use it.

    Not among them: 404, with a refusal audited when it exists (Invariant 6). Visible but not
    for this use: NotPermitted, audited too.
    """
    pk = parse_id(object_id)
    found = visible.filter(pk=pk).first()
    if found is None:
        existing = visible.model._default_manager.filter(pk=pk).first()
        if existing is not None:
            audit.record_decision(user, existing, allowed=False, reason="not visible to this user")
        raise Http404
    if not user.has_perm(perm, found):
        audit.record_decision(user, found, allowed=False, reason=f"role lacks {perm}")
        raise NotPermitted
    return found


def user_with_perm(user: Any, *perms: str) -> User:
    """The signed-in staff user when they hold every one of `perms` (reading cases when none is
    named): for a page or an endpoint that has no object yet.

    NotPermitted otherwise: a page the role cannot use looks like one that does not exist.
    """
    if not all(user.has_perm(perm) for perm in perms or (VIEW,)):
        raise NotPermitted
    assert isinstance(user, User)  # noqa: S101 -- the staff middleware lets only Users through
    return user


def cases_visible_to(user: User) -> QuerySet[Case]:
    if not user.is_authenticated or not user.is_active or user.role not in CASE_ROLES:
        return Case.objects.none()
    # Subqueries rather than joins: no duplicate rows, so no DISTINCT over every case.
    teams = Team.objects.filter(members=user).values("pk")
    grants = BreakGlass.objects.filter(user=user, expires__gt=timezone.now()).values("case_id")
    return Case.objects.filter(Q(team__in=teams) | Q(pk__in=grants))


def get_case_for_user(user: User, case_id: Any, perm: str = VIEW) -> Case:
    return get_visible(user, cases_visible_to(user).select_related("team", "owner", "data_key"), case_id, perm)


def get_case_for_owner_change(user: User, case_id: Any) -> Case:
    """The case whose owner `user` may change: an admin reaches any case here, for its owner only.

    Admins see no case data (they are not in CASE_ROLES); this page shows them the
    reference, the team and the owner, nothing else.
    """
    if user.role != Role.ADMIN:
        return get_case_for_user(user, case_id, "cases.assign_owner")
    user_with_perm(user, "cases.assign_owner")
    pk = parse_id(case_id)
    found = Case.objects.select_related("team", "owner").filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def get_case_child(user: User, model: type[M], case_id: Any, child_id: Any, perm: str = VIEW) -> M:
    """A task, need, consent, placement… of a case `user` may use for `perm`; its `case` is that case."""
    case = get_case_for_user(user, case_id, perm)
    pk = parse_id(child_id)
    child = model._default_manager.filter(case=case, pk=pk).first()
    if child is None:
        # One's own case with another case's child id: a refusal of something that exists,
        # audited like the case itself (Invariant 6); a missing child records nothing.
        existing = model._default_manager.filter(pk=pk).first()
        if existing is not None:
            audit.record_decision(user, existing, allowed=False, reason="not a child of this case")
        raise Http404
    child.case = case  # type: ignore[attr-defined]  # every case child has the `case` foreign key
    return child


def people_visible_to(user: User) -> QuerySet[Person]:
    members = CaseMember.objects.filter(case__in=cases_visible_to(user)).values("person_id")
    return Person.objects.filter(pk__in=members, erased__isnull=True)


def get_person_for_user(user: User, person_id: Any, perm: str = VIEW) -> Person:
    return get_visible(user, people_visible_to(user).select_related("data_key"), person_id, perm)


def safe_houses_visible_to(user: User) -> QuerySet[SafeHouse]:
    if not user.is_authenticated or user.role not in CASE_ROLES:
        return SafeHouse.objects.none()
    return SafeHouse.objects.filter(team__in=Team.objects.filter(members=user).values("pk"))


def get_safe_house_for_user(user: User, house_id: Any, perm: str = VIEW) -> SafeHouse:
    return get_visible(user, safe_houses_visible_to(user).select_related("data_key"), house_id, perm)


def get_document_for_user(user: User, document_id: Any, perm: str = VIEW) -> Document:
    documents = Document.objects.filter(case__in=cases_visible_to(user)).select_related("case", "data_key", "file")
    return get_visible(user, documents, document_id, perm)


# Admins review every break-glass grant and every hidden duplicate match: the review permission
# is the whole access rule for these two, so a user without it gets 404 like a missing one.


def get_grant_for_review(user: User, grant_id: Any) -> BreakGlass:
    user_with_perm(user, "cases.review_break_glass")
    grant = BreakGlass.objects.filter(pk=parse_id(grant_id)).select_related("case").first()
    if grant is None:
        raise Http404
    return grant


def get_duplicate_review(user: User, review_id: Any) -> DuplicateReview:
    user_with_perm(user, "cases.review_break_glass")
    review = DuplicateReview.objects.filter(pk=parse_id(review_id)).first()
    if review is None:
        raise Http404
    return review
