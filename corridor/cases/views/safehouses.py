"""Safe-house pages: the list for one's teams, a new house, its detail with the address and
occupancy, and marking it compromised (step-up, confirmation, then who must be moved).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.accounts import sessions
from corridor.accounts.models import Team, User
from corridor.audit import log as audit
from corridor.cases import access, domain, queries
from corridor.cases.forms_workflow import SafeHouseForm
from corridor.cases.models import Placement, SafeHouse, Task
from corridor.cases.views import staff
from corridor.cases.views.workflow import case_url
from corridor.core.forms import submit_then, succeeded

MONTHS_SHOWN = 12


@never_cache
def safe_house_list_view(request: HttpRequest) -> HttpResponse:
    user = access.user_with_perm(request.user)
    houses = list(access.safe_houses_visible_to(user).select_related("team").order_by("team__name", "label"))
    rows = [{"house": house, "occupied": queries.occupancy(house)} for house in houses]
    return render(request, "cases/safehouses/list.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
def safe_house_new_view(request: HttpRequest) -> HttpResponse:
    user = access.user_with_perm(request.user, "cases.manage_safe_houses")
    teams = Team.objects.filter(members=user).order_by("name")
    form = SafeHouseForm(request.POST or None, teams=teams)
    status = 200
    if request.method == "POST":
        added = submit_then(
            form,
            lambda data: domain.create_safe_house(
                user,
                team=data["team"],
                label=data["label"],
                address=data["address"],
                capacity=data["capacity"],
                notes=data["notes"],
            ),
            lambda house: succeeded(
                request, _("Safe house “%(label)s” added.") % {"label": house.label}, redirect("cases:safe_house", house.pk)
            ),
        )
        if added is not None:
            return added
        status = 400
    return render(request, "cases/safehouses/new.html", {"form": form}, status=status)


@dataclass(frozen=True)
class MonthOccupancy:
    month: datetime.date
    peak: int
    people: int
    capacity: int


def _month_starts(today: datetime.date, count: int) -> list[datetime.date]:
    starts = []
    year, month = today.year, today.month
    for _i in range(count):
        starts.append(datetime.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts


def occupancy_by_month(house: SafeHouse, today: datetime.date | None = None, months: int = MONTHS_SHOWN) -> list[MonthOccupancy]:
    """Peak occupancy and people who stayed, per month, newest first. A few hundred placements
    at most per house, so counting day by day in Python is cheap and obviously right."""
    today = today or timezone.localdate()
    placements = list(house.placements.values_list("person_id", "start", "end"))
    result = []
    for first in _month_starts(today, months):
        next_first = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        last = min(next_first - datetime.timedelta(days=1), today)
        peak = 0
        day = first
        while day <= last:
            # Same rule as queries.living_in: on its end date the person has moved out.
            peak = max(peak, sum(1 for _p, start, end in placements if start <= day and (end is None or end > day)))
            day += datetime.timedelta(days=1)
        people = {person for person, start, end in placements if start <= last and (end is None or end > first)}
        result.append(MonthOccupancy(first, peak, len(people), house.capacity))
    return result


def _residents(user: User, placements: list[Placement]) -> tuple[list[dict[str, Any]], int]:
    """Rows for the people the user may know about; the others are only counted (need to know)."""
    visible = set(access.cases_visible_to(user).filter(pk__in={p.case_id for p in placements}).values_list("pk", flat=True))
    rows = [{"placement": p, "case_url": case_url(p.case)} for p in placements if p.case_id in visible]
    return rows, len(placements) - len(rows)


@never_cache
def safe_house_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = staff(request)
    house = access.get_safe_house_for_user(user, pk)
    audit.record_read(user, house)  # the address is decrypted for this page
    today = timezone.localdate()
    current = list(queries.living_in(house.placements.all(), today).select_related("person", "case").order_by("person__codename"))
    residents, hidden = _residents(user, current)
    context = {
        "house": house,
        "occupied": queries.occupancy(house, today),
        "residents": residents,
        "hidden_residents": hidden,
        "months": occupancy_by_month(house, today),
    }
    return render(request, "cases/safehouses/detail.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def safe_house_compromise_view(request: HttpRequest, pk: Any) -> HttpResponse:
    # Permission and visibility first, so a stranger gets 404 rather than a step-up prompt.
    house = access.get_safe_house_for_user(staff(request), pk, "cases.manage_safe_houses")
    return _compromise(request, house)


@sessions.require_recent_auth
def _compromise(request: HttpRequest, house: SafeHouse) -> HttpResponse:
    user = staff(request)
    # The same placements mark_compromised gives a task: every stay not ended, planned ones too.
    placed = list(queries.not_ended(house.placements.all()).select_related("person", "case").order_by("person__codename"))
    if request.method != "POST":
        if house.compromised is not None:  # nothing left to confirm
            return _marked_already(request, house, [_("This safe house is already marked compromised.")])
        return render(request, "cases/safehouses/compromise_confirm.html", {"house": house, "placed": len(placed)})
    try:
        tasks: list[Task] = domain.mark_compromised(user, house)
    except ValidationError as exc:  # marked already, perhaps by someone else since the page was shown
        return _marked_already(request, house, exc.messages)
    rows, hidden = _residents(user, placed)
    for row in rows:
        placement: Placement = row["placement"]
        # One task per placement, named by codename: match it back for the link.
        row["task"] = next((t for t in tasks if t.case_id == placement.case_id and placement.person.codename in t.title), None)
    messages.warning(request, _("“%(label)s” is marked compromised. Move everyone below now.") % {"label": house.label})
    return render(request, "cases/safehouses/compromised.html", {"house": house, "rows": rows, "hidden": hidden, "tasks": tasks})


def _marked_already(request: HttpRequest, house: SafeHouse, said: list[str]) -> HttpResponse:
    for message in said:
        messages.info(request, message)
    return HttpResponseRedirect(reverse("cases:safe_house", args=[house.pk]))


urlpatterns: list[URLPattern] = [
    path("safe-houses/", safe_house_list_view, name="safe_houses"),
    path("safe-houses/new/", safe_house_new_view, name="safe_house_new"),
    path("safe-houses/<uuid:pk>/", safe_house_view, name="safe_house"),
    path("safe-houses/<uuid:pk>/compromise/", safe_house_compromise_view, name="safe_house_compromise"),
]
