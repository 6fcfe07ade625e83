"""Need to know for relocation objects: every helper answers 404 for "not yours" exactly as
for "does not exist", and applications are reached only through cases the user can see.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from corridor.accounts.models import User
from corridor.cases.access import cases_visible_to, get_case_for_user
from corridor.cases.models import Case
from corridor.core.ids import parse_id
from corridor.relocation.models import Application, Contact, Country, Engagement, Programme


def require(user: User, perm: str) -> None:
    """A missing permission looks like a missing page (Invariant 5)."""
    if not user.has_perm(perm):
        raise Http404


def get_relocation_case(user: User, case_id: Any) -> Case:
    require(user, "relocation.view_applications")
    return get_case_for_user(user, case_id)


def applications_visible_to(user: User) -> QuerySet[Application]:
    if not user.has_perm("relocation.view_applications"):
        return Application.objects.none()
    return Application.objects.filter(case__in=cases_visible_to(user))


def get_application_for_user(user: User, application_id: Any) -> Application:
    pk = parse_id(application_id)
    application = (
        applications_visible_to(user).select_related("case", "case__data_key", "case__team", "programme__country").filter(pk=pk).first()
    )
    if application is None:
        raise Http404
    return application


def get_country(user: User, code: Any) -> Country:
    require(user, "relocation.view_programmes")
    country = Country.objects.filter(pk=str(code).upper()[:2]).first()
    if country is None:
        raise Http404
    return country


def get_programme(user: User, programme_id: Any) -> Programme:
    require(user, "relocation.view_programmes")
    try:
        pk = int(programme_id)
    except (TypeError, ValueError):
        raise Http404 from None
    programme = Programme.objects.select_related("country").filter(pk=pk).first()
    if programme is None:
        raise Http404
    return programme


def contacts_visible_to(user: User) -> QuerySet[Contact]:
    if not user.has_perm("relocation.view_engagements"):
        return Contact.objects.none()
    return Contact.objects.all()


def get_contact_for_user(user: User, contact_id: Any) -> Contact:
    pk = parse_id(contact_id)
    contact = contacts_visible_to(user).select_related("data_key", "country").filter(pk=pk).first()
    if contact is None:
        raise Http404
    return contact


def get_engagement_for_user(user: User, engagement_id: Any) -> Engagement:
    pk = parse_id(engagement_id)
    engagement = (
        Engagement.objects.filter(contact__in=contacts_visible_to(user)).select_related("contact__data_key").filter(pk=pk).first()
    )
    if engagement is None:
        raise Http404
    return engagement
