"""Safe-house pages through the views: the access matrix, the address shown only on the house's
own page, occupancy, and marking a house compromised behind step-up.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corridor.accounts import sessions
from corridor.accounts.models import Role, Team
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.cases import domain
from corridor.cases.models import Placement, SafeHouse, Task
from corridor.cases.tests.test_views_workflow import VIEW, actions, house, open_case, principal
from corridor.cases.views.safehouses import occupancy_by_month

pytestmark = pytest.mark.django_db

ADDRESS = "ул. Ленина 1, кв. 5"


def _house(name: str, key: str) -> Callable[[World], str]:
    return lambda w: reverse(f"cases:{name}", args=[w.extra[key].pk])


CASEWORKER = {Role.CASEWORKER}
ROUTES = [
    Route("cases:safe_houses", lambda w: reverse("cases:safe_houses"), VIEW),
    Route("cases:safe_house_new", lambda w: reverse("cases:safe_house_new"), CASEWORKER),
    Route(
        "cases:safe_house_new",
        lambda w: reverse("cases:safe_house_new"),
        CASEWORKER,
        method="post",
        data=lambda w: {"team": w.team_a.pk, "label": "Attic", "address": "somewhere", "capacity": 2},
        ok_status=(302,),
    ),
    Route("cases:safe_house", _house("safe_house", "house_a"), VIEW, other_team_url=_house("safe_house", "house_b")),
    Route(
        "cases:safe_house_compromise",
        _house("safe_house_compromise", "compromise_a"),
        CASEWORKER,
        other_team_url=_house("safe_house_compromise", "compromise_b"),
    ),
    Route(
        "cases:safe_house_compromise",
        _house("safe_house_compromise", "compromise_a"),
        CASEWORKER,
        method="post",
        other_team_url=_house("safe_house_compromise", "compromise_b"),
    ),
]


def test_safe_house_matrix() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    world.extra["house_a"] = house(worker, world.team_a)
    world.extra["house_b"] = house(world.outsider, world.team_b, "Green gate")
    compromise_a = world.extra["compromise_a"] = house(worker, world.team_a, "Second flat")
    compromise_b = world.extra["compromise_b"] = house(world.outsider, world.team_b, "Second gate")
    routes = ROUTES
    checks = check_matrix(world, routes)
    assert checks == len(routes) * (1 + len(Role.values)) + sum(len(r.roles - {Role.ADMIN}) for r in routes if r.other_team_url)
    compromise_a.refresh_from_db()
    compromise_b.refresh_from_db()
    assert compromise_a.compromised is not None and compromise_b.compromised is None
    assert SafeHouse.objects.filter(label="Attic", team=world.team_a).count() == 1


def test_address_only_on_the_house_page_and_read_is_audited() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    house_a = house(worker, world.team_a)
    house(world.outsider, world.team_b, "Green gate")
    client = sign_in(Client(), worker)
    listing = client.get(reverse("cases:safe_houses")).content.decode()
    assert "Blue door" in listing and "0 of 10" in listing
    assert ADDRESS not in listing and "Green gate" not in listing
    detail = client.get(reverse("cases:safe_house", args=[house_a.pk])).content.decode()
    assert ADDRESS in detail
    assert actions(house_a) == ["safehouse.create", "read"]


def test_create_refuses_a_team_that_is_not_yours_and_bad_capacity() -> None:
    world = make_world()
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    url = reverse("cases:safe_house_new")
    other = client.post(url, {"team": world.team_b.pk, "label": "X", "address": "Y", "capacity": 2})
    assert other.status_code == 400 and "team" in other.context["form"].errors
    zero = client.post(url, {"team": world.team_a.pk, "label": "X", "address": "Y", "capacity": 0})
    assert zero.status_code == 400 and "capacity" in zero.context["form"].errors
    assert SafeHouse.objects.count() == 0
    created = client.post(
        url, {"team": world.team_a.pk, "label": "  Attic ", "address": "Y", "capacity": 2, "notes": "keys at B"}
    )
    made = SafeHouse.objects.get()
    assert created.status_code == 302 and created["Location"] == reverse("cases:safe_house", args=[made.pk])
    assert (made.label, made.address, made.capacity, made.notes, made.team) == ("Attic", "Y", 2, "keys at B", world.team_a)


def test_compromise_needs_step_up_lists_everyone_and_creates_one_task_per_case() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    burnt = house(worker, world.team_a)
    elsewhere = house(worker, world.team_a, "Elsewhere")
    first, second, untouched = (open_case(worker, world.team_a, name=n) for n in ("Ислам Гериев", "Адам Дудаев", "Муса Хаджиев"))
    domain.place(worker, first, principal(first), burnt)
    domain.place(worker, second, principal(second), burnt)
    domain.place(worker, untouched, principal(untouched), elsewhere)
    # Someone who left before: not asked to move again.
    left_case = open_case(worker, world.team_a, name="Рамзан Ахмадов")
    gone = domain.place(worker, left_case, principal(left_case), burnt, start=timezone.localdate() - datetime.timedelta(days=30))
    domain.end_placement(worker, gone, timezone.localdate() - datetime.timedelta(days=10))

    client = sign_in(Client(), worker)
    url = reverse("cases:safe_house_compromise", args=[burnt.pk])
    session = client.session
    session[sessions.AUTH_AT] = 0
    session.save()
    stale = client.post(url)
    assert stale.status_code == 302 and stale["Location"].startswith(reverse("accounts:reauth"))
    burnt.refresh_from_db()
    assert burnt.compromised is None

    sign_in(client, worker)
    confirm = client.get(url)
    assert confirm.status_code == 200 and confirm.context["placed"] == 2
    response = client.post(url)
    assert response.status_code == 200
    body = response.content.decode()
    rows = response.context["rows"]
    assert sorted(row["placement"].person.codename for row in rows) == sorted(
        [principal(first).codename, principal(second).codename]
    )
    assert principal(untouched).codename not in body and principal(left_case).codename not in body
    for row in rows:
        task = row["task"]
        assert (task.case, task.urgent, task.due, task.assignee) == (row["placement"].case, True, timezone.localdate(), worker)
        assert f"#task-{task.pk}" in body
    counts = {case.pk: Task.objects.filter(case=case, urgent=True).count() for case in (first, second, untouched, left_case)}
    assert counts == {first.pk: 1, second.pk: 1, untouched.pk: 0, left_case.pk: 0}
    burnt.refresh_from_db()
    assert burnt.compromised is not None
    assert actions(burnt).count("safehouse.compromised") == 1

    # A second press creates no second round of tasks.
    again = client.post(url)
    assert again.status_code == 302
    assert Task.objects.filter(urgent=True).count() == 2
    detail = client.get(reverse("cases:safe_house", args=[burnt.pk])).content.decode()
    assert "compromised" in detail and reverse("cases:safe_house_compromise", args=[burnt.pk]) not in detail


def test_residents_of_cases_you_cannot_see_are_only_counted() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    shared = house(worker, world.team_a)
    mine = open_case(worker, world.team_a, name="Ислам Гериев")
    domain.place(worker, mine, principal(mine), shared)
    other_team = Team.objects.create(name="Team C")
    stranger = make_staff(Role.CASEWORKER, teams=[other_team], username="stranger")
    theirs = open_case(stranger, other_team, name="Адам Дудаев")
    # The domain now keeps placements inside the case's team, but rows from before that rule
    # (or a case handed to another team) can still put a stranger's resident here: the page must not tell.
    Placement.objects.create(safe_house=shared, case=theirs, person=principal(theirs))
    page = sign_in(Client(), worker).get(reverse("cases:safe_house", args=[shared.pk]))
    body = page.content.decode()
    assert [row["placement"].case for row in page.context["residents"]] == [mine]
    assert page.context["hidden_residents"] == 1
    assert principal(theirs).codename not in body and theirs.reference not in body


def test_occupancy_by_month_counts_peaks_and_people() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    flat = house(worker, world.team_a, capacity=3)
    today = datetime.date(2025, 3, 15)
    one, two = open_case(worker, world.team_a, name="Ислам Гериев"), open_case(worker, world.team_a, name="Адам Дудаев")
    first = domain.place(worker, one, principal(one), flat, start=datetime.date(2025, 1, 10))
    domain.end_placement(worker, first, datetime.date(2025, 2, 5))
    domain.place(worker, two, principal(two), flat, start=datetime.date(2025, 2, 1))
    months = occupancy_by_month(flat, today, months=4)
    assert [(m.month, m.peak, m.people) for m in months] == [
        (datetime.date(2025, 3, 1), 1, 1),
        (datetime.date(2025, 2, 1), 2, 2),
        (datetime.date(2025, 1, 1), 1, 1),
        (datetime.date(2024, 12, 1), 0, 0),
    ]
