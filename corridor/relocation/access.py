"""Need to know for relocation work: one helper per kind of object, each taking the permission
the caller wants it for, and answering 404 for "not yours" exactly as for "does not exist".

Two kinds of objects, two ways to be refused:
- Applications and a case's relocation pages belong to a team's case. A role with no
  relocation view of cases sees none of them: 404 (audited when the object exists), like any
  case that is not yours. A visible one the role may not use for `perm`: NotPermitted.
- Countries, programmes, figures, contacts and engagements are the organisation's, not a
  team's: the role alone decides, and a role without `perm` gets NotPermitted.
NotPermitted is itself a 404, so pages answer it like a missing object (Invariant 5); the API
answers it 403, as its schema says for "your role may not do this". Views and the API fetch
through these helpers and never ask `has_perm` again: the domain action checks for itself.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.cases.access import NotPermitted, cases_visible_to, get_case_for_user
from corridor.cases.models import Case
from corridor.core.ids import parse_id
from corridor.relocation import figures
from corridor.relocation.models import Application, Contact, Country, Engagement, Programme
from corridor.relocation.rules import VIEW_APPLICATIONS, VIEW_ENGAGEMENTS, VIEW_PROGRAMMES

__all__ = [
    "NotPermitted",
    "applications_of_case",
    "applications_visible_to",
    "contacts_for_user",
    "contacts_visible_to",
    "countries_for_user",
    "figures_for_user",
    "get_application_for_user",
    "get_contact_for_user",
    "get_country_for_user",
    "get_engagement_for_user",
    "get_programme_for_user",
    "get_relocation_case",
    "permit",
    "programmes_for_user",
]


def permit(user: Any, perm: str) -> User:
    """`user` when their role holds `perm`; NotPermitted otherwise (what has no object: a list, a page)."""
    if not user.has_perm(perm):
        raise NotPermitted
    assert isinstance(user, User)  # noqa: S101 -- only signed-in staff reach relocation pages and endpoints
    return user


def _permitted(user: User, obj: Any, perm: str) -> None:
    """A visible object `user` may not use for `perm`: audited, then NotPermitted."""
    if not user.has_perm(perm, obj):
        audit.record_decision(user, obj, allowed=False, reason=f"role lacks {perm}")
        raise NotPermitted


def _refuse(user: User, model: Any, pk: Any) -> Http404:
    """Log a refusal of something that exists (Invariant 6), then answer as if it did not."""
    existing = model.objects.filter(pk=pk).first()
    if existing is not None:
        audit.record_decision(user, existing, allowed=False, reason="not visible to this user")
    return Http404()


# -- the organisation's: countries, programmes, figures -------------------------------------------


def countries_for_user(user: User, perm: str = VIEW_PROGRAMMES) -> QuerySet[Country]:
    permit(user, perm)
    return Country.objects.all()


def get_country_for_user(user: User, code: Any, perm: str = VIEW_PROGRAMMES) -> Country:
    country = countries_for_user(user, perm).filter(pk=str(code).upper()[:2]).first()
    if country is None:
        raise Http404
    return country


def programmes_for_user(user: User, perm: str = VIEW_PROGRAMMES) -> QuerySet[Programme]:
    permit(user, perm)
    return Programme.objects.select_related("country")


def get_programme_for_user(user: User, programme_id: Any, perm: str = VIEW_PROGRAMMES) -> Programme:
    programmes = programmes_for_user(user, perm)
    try:
        pk = int(programme_id)
    except (TypeError, ValueError):
        raise Http404 from None
    programme = programmes.filter(pk=pk).first()
    if programme is None:
        raise Http404
    return programme


def figures_for_user(user: User, codes: list[str] | None = None, perm: str = VIEW_PROGRAMMES) -> dict[tuple[str, int], figures.Figures]:
    """The organisation's figures as `user` may see them (small cells of other teams held back)."""
    return figures.compute(codes, viewer=permit(user, perm))


# -- a team's: cases and their applications ----------------------------------------------------------


def get_relocation_case(user: User, case_id: Any, perm: str = VIEW_APPLICATIONS) -> Case:
    """A case's relocation side: the case must be visible and the role must see applications."""
    if not user.has_perm(VIEW_APPLICATIONS):
        raise _refuse(user, Case, parse_id(case_id))
    case = get_case_for_user(user, case_id)
    _permitted(user, case, perm)
    return case


def applications_visible_to(user: User) -> QuerySet[Application]:
    if not user.has_perm(VIEW_APPLICATIONS):
        return Application.objects.none()
    return Application.objects.filter(case__in=cases_visible_to(user))


def applications_of_case(user: User, case_id: Any, perm: str = VIEW_APPLICATIONS) -> tuple[Case, QuerySet[Application]]:
    """A case's applications as a list: a role without `perm` is refused before the case is looked for."""
    permit(user, perm)
    case = get_relocation_case(user, case_id, perm)
    return case, applications_visible_to(user).filter(case=case)


def get_application_for_user(user: User, application_id: Any, perm: str = VIEW_APPLICATIONS) -> Application:
    pk = parse_id(application_id)
    application = (
        applications_visible_to(user).select_related("case", "case__data_key", "case__team", "programme__country").filter(pk=pk).first()
    )
    if application is None:
        raise _refuse(user, Application, pk)
    _permitted(user, application, perm)
    return application


# -- the organisation's: contacts and engagements ------------------------------------------------


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    if not user.has_perm(VIEW_ENGAGEMENTS):
        return Contact.objects.none()
    return Contact.objects.all()


def contacts_for_user(user: User, perm: str = VIEW_ENGAGEMENTS) -> QuerySet[Contact]:
    permit(user, perm)
    return contacts_visible_to(user)


def get_contact_for_user(user: User, contact_id: Any, perm: str = VIEW_ENGAGEMENTS) -> Contact:
    contacts = contacts_for_user(user, perm)
    contact = contacts.select_related("data_key", "country").filter(pk=parse_id(contact_id)).first()
    if contact is None:
        raise Http404
    return contact


def get_engagement_for_user(user: User, engagement_id: Any, perm: str = VIEW_ENGAGEMENTS) -> Engagement:
    contacts = contacts_for_user(user, perm)
    engagement = Engagement.objects.filter(contact__in=contacts).select_related("contact__data_key").filter(pk=parse_id(engagement_id)).first()
    if engagement is None:
        raise Http404
    return engagement
