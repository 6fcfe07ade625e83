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
from corridor.cases.access import NotPermitted, cases_visible_to, get_visible
from corridor.cases.access import user_with_perm as permit  # one check for a page with no object yet
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
    cases = cases_visible_to(user) if user.has_perm(VIEW_APPLICATIONS) else Case.objects.none()
    return get_visible(user, cases.select_related("team", "owner", "data_key"), case_id, perm)


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
    visible = applications_visible_to(user).select_related("case", "case__data_key", "case__team", "programme__country")
    return get_visible(user, visible, application_id, perm)


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
