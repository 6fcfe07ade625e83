"""The dashboard starts with what needs action today, in this order: emergency requests waiting
in triage (with how long), people living in a compromised safe house, tasks due today or
overdue; repeated relocation alerts are one line with a count; triage is in the menu for those
who triage and for nobody else.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corridor.accounts.models import Role, User
from corridor.accounts.testing import make_world, sign_in
from corridor.cases import domain
from corridor.cases.tests.test_views_workflow import house, open_case, principal
from corridor.intake.models import IntakeRequest, RequestState, Urgency
from corridor.intake.queries import waiting_for
from corridor.relocation.alerts import Alert, grouped

pytestmark = pytest.mark.django_db


def _waiting(urgency: str, hours: int, **fields: object) -> IntakeRequest:
    """A request as the help form leaves it (the form itself is tested in the intake); only
    the workflow state in clear matters to the dashboard."""
    at = (timezone.now() - datetime.timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    values: dict[str, object] = {"urgency": urgency, "activity_hour": at, "created_hour": at} | fields
    return IntakeRequest.objects.create(lookup=uuid.uuid4().hex, recipient="age1test", form_nonce=uuid.uuid4().hex[:32], **values)


def _dashboard(user: User, language: str = "en") -> str:
    response = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), user).get(reverse("web:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_emergency_requests_come_first_with_their_wait_for_the_hotline() -> None:
    world = make_world()
    hotline = world.users[Role.HOTLINE]
    _waiting(Urgency.EMERGENCY, 5)
    _waiting(Urgency.EMERGENCY, 2)
    _waiting(Urgency.NORMAL, 30)
    _waiting(Urgency.EMERGENCY, 40, state=RequestState.SPAM)  # spam is not waiting
    _waiting(Urgency.EMERGENCY, 50, awaiting_reply=False)  # answered

    summary = waiting_for(hotline)
    assert summary is not None
    assert (summary.emergencies, summary.total) == (2, 3)
    assert summary.oldest_emergency is not None
    assert int((timezone.now() - summary.oldest_emergency).total_seconds() // 3600) == 5  # kept to the hour

    body = _dashboard(hotline)
    assert body.index('id="urgent"') < body.index('id="triage-waiting"') < body.index('id="teams"')
    # The first section of the page content is the urgent one: nothing comes between the heading and it.
    assert body.index('id="urgent"') < body.index("<h2")
    assert "2 emergency requests for help are waiting: not safe now." in body
    assert "The oldest has waited 5\xa0hours." in body
    assert 'id="triage-link" href="/triage/"' in body
    assert '<a href="/triage/" id="nav-triage">' in body


def test_within_the_first_hour_the_wait_is_less_than_an_hour() -> None:
    world = make_world()
    _waiting(Urgency.EMERGENCY, 0)
    assert "The oldest has waited less than an hour." in _dashboard(world.users[Role.HOTLINE])
    assert "Самое давнее ждёт уже меньше часа." in _dashboard(world.users[Role.HOTLINE], "ru")


def test_no_emergency_still_links_the_queue_with_its_count() -> None:
    world = make_world()
    _waiting(Urgency.NORMAL, 3)
    body = _dashboard(world.users[Role.HOTLINE])
    assert "No emergency request is waiting." in body
    assert "Triage: 1 request waiting for a reply" in body


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.RELOCATION, Role.DOCUMENTATION, Role.ADMIN, Role.AUDITOR])
def test_roles_that_cannot_triage_see_no_triage_link(role: str) -> None:
    world = make_world()
    _waiting(Urgency.EMERGENCY, 5)
    user = world.users[role]
    assert waiting_for(user) is None
    body = _dashboard(user)
    assert "/triage/" not in body
    assert 'id="urgent"' in body


def test_a_compromise_puts_its_people_and_todays_tasks_on_top() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    burnt = house(worker, world.team_a, "Burnt")
    case = open_case(worker, world.team_a, name="Ислам Гериев")
    domain.place(worker, case, principal(case), burnt, start=timezone.localdate() - datetime.timedelta(days=3))
    late = domain.add_task(worker, case, "renew papers", assignee=worker, due=timezone.localdate() - datetime.timedelta(days=2))
    later = domain.add_task(worker, case, "book a doctor", assignee=worker, due=timezone.localdate() + datetime.timedelta(days=2))
    [rehouse] = domain.mark_compromised(worker, burnt)
    assert rehouse.due == timezone.localdate()

    response = sign_in(Client(), worker).get(reverse("web:dashboard"))
    work = response.context["case_work"]
    # The re-housing task is due today and shows today, urgent first; a task due later does not.
    assert [task.pk for task in work["due_tasks"]] == [rehouse.pk, late.pk]
    assert later.pk not in [task.pk for task in work["due_tasks"]]
    assert [p.person for p in work["in_compromised"]] == [principal(case)]
    body = response.content.decode()
    assert (
        body.index('id="urgent"')
        < body.index('id="in-compromised"')
        < body.index('id="due-tasks"')
        < body.index('id="safe-houses"')
    )
    assert "due today" in body and principal(case).codename in body

    # Moved out: no longer listed as living there.
    elsewhere = house(worker, world.team_a, "Elsewhere")
    domain.place(worker, case, principal(case), elsewhere)
    again = sign_in(Client(), worker).get(reverse("web:dashboard"))
    assert again.context["case_work"]["in_compromised"] == []
    assert 'id="in-compromised"' not in again.content.decode()


def test_an_urgent_task_nobody_holds_shows_to_the_team() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    hotline = world.users[Role.HOTLINE]
    case = open_case(worker, world.team_a, name="Ислам Гериев")
    domain.assign_owner(worker, case, None)
    burnt = house(worker, world.team_a, "Burnt")
    domain.place(worker, case, principal(case), burnt)
    [rehouse] = domain.mark_compromised(worker, burnt)
    assert rehouse.assignee is None
    for user in (worker, hotline):
        work = sign_in(Client(), user).get(reverse("web:dashboard")).context["case_work"]
        assert [task.pk for task in work["due_tasks"]] == [rehouse.pk]
    outsider = sign_in(Client(), world.outsider).get(reverse("web:dashboard")).context["case_work"]
    assert (outsider["due_tasks"], outsider["in_compromised"]) == ([], [])


def test_repeated_alerts_are_one_line_with_a_count() -> None:
    alerts = [
        Alert("emergency_without_application", f"Emergency case C-{n} has no active application.", f"/r/{n}/", None, str(n))
        for n in range(8)
    ] + [Alert("overdue_engagement", "A next step with UNHCR in Turkey was due on 2026-01-01.", "/c/1/", None, "e1")]
    lines = grouped(alerts)
    assert [(line.kind, line.count, line.url) for line in lines] == [
        ("emergency_without_application", 8, reverse("relocation:alerts")),
        ("overdue_engagement", 1, "/c/1/"),
    ]
    assert lines[0].message == "8 emergency cases have no active application."
    assert lines[1].message == alerts[-1].message


def test_grouped_alerts_on_the_dashboard_in_russian() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    for name in ("Ислам Гериев", "Адам Дудаев", "Муса Хаджиев"):
        domain.set_priority(worker, open_case(worker, world.team_a, name=name), "emergency")
    english = _dashboard(worker)
    assert english.count("have no active application") == 1
    russian = _dashboard(worker, "ru")
    assert "экстренных дел нет действующего заявления" in russian
    assert "Нужно сделать сегодня" in russian
