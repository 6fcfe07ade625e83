"""Case-work pages: people — search, new person (with duplicate check), detail, edit.

Views parse, call corridor.cases.domain, and render; people are reached only through
corridor.cases.access, so anything not the user's answers 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.cases import access, domain
from corridor.cases.forms import CONTACT_KINDS, NAME_KINDS, NewPersonForm, PersonForm, SearchForm
from corridor.cases.models import CaseMember, Person, Placement
from corridor.cases.views import staff
from corridor.core.forms import submit_then, succeeded
from corridor.keys.fields import preload_keys


def search(request: HttpRequest, user: User) -> dict[str, Any]:
    """A page's people search: the form, and the people found when terms were sent.

    The terms travel in a POST body and the results are rendered in its answer, so a searched
    name or phone never sits in a URL, a log line or a browser's history."""
    form = SearchForm(request.POST if request.method == "POST" else None)
    results: list[Person] = []
    searched = form.is_valid() and bool(form.cleaned_data["q"].strip())
    if searched:
        results = domain.search_people(user, form.cleaned_data["q"])
        preload_keys(results)
    return {"form": form, "results": results, "searched": searched}


@never_cache
@require_http_methods(["GET", "POST"])
def search_view(request: HttpRequest) -> HttpResponse:
    """GET shows the form; POST shows it again with the people found."""
    user = access.user_with_perm(request.user)
    can_add = user.has_perm("cases.add_case") and user.has_perm("cases.change_case")
    return render(request, "cases/people/search.html", search(request, user) | {"can_add": can_add})


@never_cache
@require_http_methods(["GET", "POST"])
def new_view(request: HttpRequest) -> HttpResponse:
    user = access.user_with_perm(request.user, "cases.add_case", "cases.change_case")
    form = NewPersonForm(request.POST or None)
    form.set_teams(user)
    duplicates: list[domain.PossibleDuplicate] = []
    status = 200
    if request.method == "POST":
        limited = False
        if form.is_valid():
            try:
                duplicates = domain.find_duplicates(user, **form.duplicate_query())
            except domain.DuplicateCheckLimited as exc:
                form.add_error(None, str(exc))
                limited = True
        # A possible duplicate stops here unless the user says it is someone else; a refused
        # form (a limited check included) is not submitted at all.
        if not duplicates or form.cleaned_data["different_person"]:
            created = submit_then(
                form,
                lambda data: domain.create_person_with_case(
                    user, team=data["team"], priority=data["priority"], summary=data["summary"].strip(), **form.person_values()
                ),
                lambda made: succeeded(
                    request,
                    _("%(codename)s was added and case %(reference)s opened.")
                    % {"codename": made[0].codename, "reference": made[1].reference},
                    redirect("cases:case", made[1].pk),
                ),
            )
            if created is not None:
                return created
        if duplicates:
            preload_keys([d.person for d in duplicates])
        else:
            status = 429 if limited else 400
    return render(
        request,
        "cases/people/form.html",
        {"form": form, "duplicates": duplicates, "is_new": True, "title": _("New person")},
        status=status,
    )


@never_cache
@require_GET
def detail_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    person = access.get_person_for_user(user, pk)
    visible_cases = access.cases_visible_to(user)
    memberships = list(
        CaseMember.objects.filter(person=person, case__in=visible_cases)
        .select_related("case", "case__team", "case__owner")
        .order_by("-case__created")
    )
    placements = list(Placement.objects.filter(person=person, case__in=visible_cases).select_related("safe_house", "case"))
    preload_keys([person])
    audit.record_read(user, person)
    name_kinds, contact_kinds = dict(NAME_KINDS), dict(CONTACT_KINDS)
    context = {
        "person": person,
        "names": [(entry.get("name", ""), name_kinds.get(entry.get("kind"), "")) for entry in person.names or []],
        "contacts": [
            (contact_kinds.get(c.get("kind"), ""), c.get("value", ""), c.get("note", "")) for c in person.contacts or []
        ],
        "memberships": memberships,
        "placements": placements,
        "can_edit": user.has_perm("cases.change_case"),
        "can_open_case": user.has_perm("cases.add_case"),
    }
    return render(request, "cases/people/detail.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def edit_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = staff(request)
    person = access.get_person_for_user(user, pk, "cases.change_case")
    preload_keys([person])
    form = PersonForm(request.POST or None, person=person)
    status = 200
    if request.method == "POST":
        saved = submit_then(
            form,
            lambda _data: domain.update_person(user, person, **form.person_values()),
            lambda _person: succeeded(request, _("Saved."), redirect("cases:person", person.pk)),
        )
        if saved is not None:
            return saved
        status = 400
    else:
        audit.record_read(user, person)
    context = {"form": form, "person": person, "is_new": False, "title": _("Edit %(codename)s") % {"codename": person.codename}}
    return render(request, "cases/people/form.html", context, status=status)


urlpatterns: list[URLPattern] = [
    path("people/", search_view, name="people"),
    path("people/new/", new_view, name="person_new"),
    path("people/<uuid:pk>/", detail_view, name="person"),
    path("people/<uuid:pk>/edit/", edit_view, name="person_edit"),
]
