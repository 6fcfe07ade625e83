"""Moving someone out of a safe house ends their stay there: the house page, occupancy, the
compromise list and the dashboard follow the placements that are open (no end, or an end
after today), so a person moved today lives in the new house only.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corridor.accounts.models import Role
from corridor.accounts.testing import make_world, sign_in
from corridor.cases import domain, queries
from corridor.cases.models import Placement, Task
from corridor.cases.tests.test_views_workflow import house, open_case, principal
from corridor.cases.views.safehouses import occupancy_by_month

pytestmark = pytest.mark.django_db


def test_a_person_moved_today_is_gone_from_the_old_house() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    old, new = house(worker, world.team_a, "Old flat"), house(worker, world.team_a, "New flat")
    case = open_case(worker, world.team_a, name="Ислам Гериев")
    person = principal(case)
    domain.place(worker, case, person, old, start=timezone.localdate() - datetime.timedelta(days=20))
    domain.mark_compromised(worker, old)
    domain.place(worker, case, person, new)

    assert (queries.occupancy(old), queries.occupancy(new)) == (0, 1)
    client = sign_in(Client(), worker)
    old_page = client.get(reverse("cases:safe_house", args=[old.pk]))
    assert (old_page.context["occupied"], old_page.context["residents"]) == (0, [])
    assert person.codename not in old_page.content.decode()
    new_page = client.get(reverse("cases:safe_house", args=[new.pk]))
    assert [row["placement"].person for row in new_page.context["residents"]] == [person]
    listed = client.get(reverse("cases:safe_houses")).context["rows"]
    assert {row["house"].label: row["occupied"] for row in listed} == {"Old flat": 0, "New flat": 1}

    dashboard = client.get(reverse("web:dashboard"))
    houses = {row["house"].label: row["occupancy"] for row in dashboard.context["case_work"]["safe_houses"]}
    assert houses == {"Old flat": 0, "New flat": 1}
    assert dashboard.context["case_work"]["in_compromised"] == []
    # The stay in the old house is over, and its end date is today.
    assert list(Placement.objects.filter(safe_house=old).values_list("end", flat=True)) == [timezone.localdate()]


def test_the_compromise_list_follows_open_placements() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    burnt, elsewhere = house(worker, world.team_a, "Burnt"), house(worker, world.team_a, "Elsewhere")
    staying, moved, leaving = (open_case(worker, world.team_a, name=n) for n in ("Ислам Гериев", "Адам Дудаев", "Муса Хаджиев"))
    today = timezone.localdate()
    domain.place(worker, staying, principal(staying), burnt, start=today - datetime.timedelta(days=5))
    domain.place(worker, moved, principal(moved), burnt, start=today - datetime.timedelta(days=5))
    domain.place(worker, moved, principal(moved), elsewhere)  # moved out today
    ends_later = domain.place(worker, leaving, principal(leaving), burnt, start=today - datetime.timedelta(days=5))
    Placement.objects.filter(pk=ends_later.pk).update(end=today + datetime.timedelta(days=3))  # a stay planned to end

    tasks = domain.mark_compromised(worker, burnt)
    assert sorted(task.case.reference for task in tasks) == sorted([staying.reference, leaving.reference])
    assert Task.objects.filter(case=moved, urgent=True).count() == 0


def test_a_stay_ends_on_its_end_date_in_the_monthly_counts() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    flat = house(worker, world.team_a)
    one, two = open_case(worker, world.team_a, name="Ислам Гериев"), open_case(worker, world.team_a, name="Адам Дудаев")
    first = domain.place(worker, one, principal(one), flat, start=datetime.date(2025, 1, 10))
    domain.end_placement(worker, first, datetime.date(2025, 2, 1))
    domain.place(worker, two, principal(two), flat, start=datetime.date(2025, 2, 1))
    months = occupancy_by_month(flat, datetime.date(2025, 2, 20), months=2)
    # One moved out on 1 February as the other moved in: never two at once.
    assert [(m.month, m.peak, m.people) for m in months] == [(datetime.date(2025, 2, 1), 1, 1), (datetime.date(2025, 1, 1), 1, 1)]
