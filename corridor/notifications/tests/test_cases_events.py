"""Cases' events through their real actions: tasks due and overdue (once a day, sealed), a
compromised safe house, a break-glass use; no text carries a title, name or place."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.cases import domain as cases
from corridor.cases.reminders import remind_tasks
from corridor.keys import api as keys_api
from corridor.notifications.models import Kind, Notification
from corridor.relocation.tests.factories import make_case

pytestmark = pytest.mark.django_db

PLANTED = "Tatiana Orlova in Nalchik"


def _kinds(user) -> list[tuple[str, int]]:
    return sorted((n.kind, n.count) for n in Notification.objects.filter(user=user))


def _no_planted_text() -> None:
    for notification in Notification.objects.all():
        for word in PLANTED.split():
            assert word.lower() not in f"{notification.text} {notification.link}".lower()


def test_tasks_due_and_overdue_once_a_day_even_sealed() -> None:
    team = Team.objects.create(name="Caseworkers")
    worker = make_staff(Role.CASEWORKER, teams=[team])
    other = make_staff(Role.CASEWORKER, teams=[team])
    case = make_case(worker, team)
    today = timezone.localdate()
    cases.add_task(worker, case, f"Call {PLANTED}", assignee=worker, due=today)
    cases.add_task(worker, case, f"Visit {PLANTED}", assignee=worker, due=today - datetime.timedelta(days=2))
    cases.add_task(worker, case, "Later", assignee=worker, due=today + datetime.timedelta(days=2))
    keys_api.lockdown(actor=None, reason="cli")
    assert remind_tasks() == 2
    assert remind_tasks() == 0  # the same day: nothing new
    assert _kinds(worker) == [(Kind.TASK_DUE, 1), (Kind.TASK_OVERDUE, 1)]
    assert not Notification.objects.filter(user=other, kind__in=[Kind.TASK_DUE, Kind.TASK_OVERDUE]).exists()
    assert remind_tasks(timezone.now() + datetime.timedelta(days=1)) == 1  # the next day: all three overdue, told again
    _no_planted_text()


def test_compromised_house_tells_owners_with_people_there() -> None:
    from corridor.cases.models import Person

    team = Team.objects.create(name="Caseworkers")
    owner = make_staff(Role.CASEWORKER, teams=[team])
    bystander = make_staff(Role.CASEWORKER, teams=[team])
    case = make_case(owner, team)
    cases.assign_owner(owner, case, owner)
    case.refresh_from_db()
    house = cases.create_safe_house(owner, team=team, label=PLANTED, address=PLANTED, capacity=3)
    person = Person.objects.filter(memberships__case=case).first()
    cases.place(owner, case, person, house)
    cases.mark_compromised(owner, house)
    assert [(n.kind, n.count) for n in Notification.objects.filter(user=owner, kind=Kind.SAFE_HOUSE_COMPROMISED)] == [
        (Kind.SAFE_HOUSE_COMPROMISED, 1)
    ]
    assert not Notification.objects.filter(user=bystander, kind=Kind.SAFE_HOUSE_COMPROMISED).exists()
    _no_planted_text()


def test_break_glass_tells_admins() -> None:
    team = Team.objects.create(name="A")
    elsewhere = Team.objects.create(name="B")
    admin = make_staff(Role.ADMIN)
    owner = make_staff(Role.CASEWORKER, teams=[team])
    curious = make_staff(Role.CASEWORKER, teams=[elsewhere])
    case = make_case(owner, team)
    cases.break_glass(curious, case, f"I need this case because {PLANTED} called us")
    assert _kinds(admin) == [(Kind.BREAK_GLASS, 1)]
    assert _kinds(owner) == []
    _no_planted_text()
