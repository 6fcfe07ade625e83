"""A button pressed twice (a slow phone, two colleagues at once): the domain action refuses or keeps
the first result under its lock, and the page says so instead of failing or writing again."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role, User
from corridor.accounts.testing import World, make_world, sign_in
from corridor.audit import log as audit
from corridor.cases import domain
from corridor.cases.models import Case, ConsentScope, Status, Task

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world() -> World:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    person = domain.create_person(worker, names=[{"name": "Адам Ахмадов", "kind": "legal"}])
    case = domain.open_case(worker, team=world.team_a, principal=person)
    house = domain.create_safe_house(worker, team=world.team_a, label="Blue", address="Somewhere 1", capacity=3)
    world.extra = {
        "case": case,
        "person": person,
        "house": house,
        "consent": domain.record_consent(worker, case, person, ConsentScope.STORE, datetime.date(2024, 1, 1)),
        "placement": domain.place(worker, case, person, house),
        "task": domain.add_task(worker, case, "call the lawyer"),
    }
    return world


def _said(response: Any) -> list[tuple[int, str]]:
    return [(message.level, message.message) for message in get_messages(response.wsgi_request)]


def _actions(case: Case) -> list[str]:
    return [entry.action for entry in audit.entries_for(case)]


def _worker(world: World) -> tuple[User, Client]:
    worker = world.users[Role.CASEWORKER]
    return worker, sign_in(Client(), worker)


def test_withdrawing_a_consent_twice_says_it_was_withdrawn_and_records_once(world: World) -> None:
    _worker_user, client = _worker(world)
    case, consent = world.extra["case"], world.extra["consent"]
    url = reverse("cases:consent_withdraw", args=[case.pk, consent.pk])
    first = client.post(url, follow=True)
    assert _said(first) == [(messages.SUCCESS, f"Consent withdrawn for {consent.person.codename}.")]
    second = client.post(url, follow=True)
    assert second.redirect_chain == [(reverse("cases:case", args=[case.pk]), 302)]
    assert _said(second) == [(messages.INFO, "This consent was already withdrawn.")]
    assert _actions(case).count("consent.withdraw.store") == 1


def test_ending_a_placement_twice_is_refused_by_the_action_and_shown(world: World) -> None:
    _worker_user, client = _worker(world)
    case, placement = world.extra["case"], world.extra["placement"]
    url = reverse("cases:placement_end", args=[case.pk, placement.pk])
    first = client.post(url, follow=True)
    assert _said(first) == [(messages.SUCCESS, f"Placement of {world.extra['person'].codename} ended.")]
    second = client.post(url, follow=True)
    assert second.redirect_chain == [(reverse("cases:case", args=[case.pk]), 302)]
    assert _said(second) == [(messages.ERROR, "This placement has already ended.")]
    assert _actions(case).count("placement.end") == 1


def test_a_task_done_twice_keeps_its_first_time(world: World) -> None:
    _worker_user, client = _worker(world)
    case, task = world.extra["case"], world.extra["task"]
    url = reverse("cases:case_task_done", args=[case.pk, task.pk])
    assert client.post(url).status_code == 302
    first = Task.objects.get(pk=task.pk).done
    assert first is not None
    assert client.post(url).status_code == 302
    assert Task.objects.get(pk=task.pk).done == first
    assert _actions(case).count("task.done") == 1


def test_marking_a_safe_house_compromised_twice_creates_its_tasks_once(world: World) -> None:
    _worker_user, client = _worker(world)
    house = world.extra["house"]
    url = reverse("cases:safe_house_compromise", args=[house.pk])
    assert client.post(url).status_code == 200
    tasks = Task.objects.filter(case=world.extra["case"], urgent=True).count()
    assert tasks == 1
    already = [(messages.INFO, "This safe house is already marked compromised.")]
    second = client.post(url, follow=True)  # the confirmation page was open in two tabs
    assert second.redirect_chain == [(reverse("cases:safe_house", args=[house.pk]), 302)]
    assert _said(second) == already
    assert Task.objects.filter(case=world.extra["case"], urgent=True).count() == tasks
    shown = client.get(url, follow=True)
    assert shown.redirect_chain == [(reverse("cases:safe_house", args=[house.pk]), 302)]
    assert _said(shown) == already


def test_the_api_answers_a_second_withdrawal_or_end_with_the_actions_refusal(world: World) -> None:
    _worker_user, client = _worker(world)
    case, consent, placement = world.extra["case"], world.extra["consent"], world.extra["placement"]
    base = f"{API}/cases/{case.pk}"

    def post(url: str, body: dict[str, Any]) -> Any:
        return client.post(url, body, content_type="application/json")

    early = post(f"{base}/consents/{consent.pk}/withdraw/", {"on": "2023-12-31"})
    assert early.status_code == 400
    assert early.json()["error"]["fields"] == {"on": ["A consent cannot be withdrawn before it was given."]}
    assert post(f"{base}/consents/{consent.pk}/withdraw/", {"on": "2024-02-01"}).json()["withdrawn"] == "2024-02-01"
    again = post(f"{base}/consents/{consent.pk}/withdraw/", {})
    assert again.status_code == 400 and again.json()["error"]["fields"] == {"on": ["This consent was already withdrawn."]}
    assert post(f"{base}/placements/{placement.pk}/end/", {}).status_code == 200
    ended = post(f"{base}/placements/{placement.pk}/end/", {})
    assert ended.status_code == 400 and ended.json()["error"]["fields"] == {"end": ["This placement has already ended."]}
    assert _actions(case).count("consent.withdraw.store") == 1 and _actions(case).count("placement.end") == 1


def test_a_status_change_chosen_on_a_stale_page_is_a_conflict_and_the_form_starts_again_from_now(world: World) -> None:
    _worker_user, client = _worker(world)
    case = world.extra["case"]
    url = reverse("cases:case_status", args=[case.pk])
    assert 'name="seen" value="new"' in client.get(reverse("cases:case", args=[case.pk])).content.decode()
    domain.transition(world.users[Role.HOTLINE], case, Status.VERIFYING, "referred by a partner")  # a colleague, meanwhile
    stale = client.post(url, {"status": Status.CLOSED, "reason": "no contact", "seen": Status.NEW})
    assert stale.status_code == 400
    assert 'name="seen" value="verifying"' in stale.content.decode()
    case.refresh_from_db()
    assert (case.status, case.status_changes.count()) == (Status.VERIFYING, 1)
    again = client.post(url, {"status": Status.CLOSED, "reason": "no contact", "seen": Status.VERIFYING})
    assert again.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.CLOSED
