"""Break-glass lends another team's case for hours; it must not become a permanent copy
by putting that team's person on a case of one's own."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from corridor.accounts import domain as accounts
from corridor.accounts.models import Role
from corridor.accounts.testing import World, make_world, sign_in
from corridor.cases import domain
from corridor.cases.models import Case, CaseMember

pytestmark = pytest.mark.django_db

API = "/api/v1"
REFUSAL = "which you see only through emergency access"


@pytest.fixture
def world() -> World:
    world = make_world()
    outsider = world.outsider
    hidden = domain.create_person(outsider, names=[{"name": "Хасан Planted-BG", "kind": "legal"}])
    world.extra["hidden"] = hidden
    world.extra["case_b"] = domain.open_case(outsider, team=world.team_b, principal=hidden)
    worker = world.users[Role.CASEWORKER]
    own = domain.create_person(worker, names=[{"name": "Own Person", "kind": "legal"}])
    world.extra["own"] = own
    world.extra["case_a"] = domain.open_case(worker, team=world.team_a, principal=own)
    domain.break_glass(worker, world.extra["case_b"], "Someone is in danger and team B does not answer the phone.")
    return world


def _cases_of(person: Any) -> list[Any]:
    return sorted(CaseMember.objects.filter(person=person).values_list("case__reference", flat=True))


def test_a_person_reached_by_break_glass_cannot_be_put_on_a_new_case_through_the_page(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    hidden = world.extra["hidden"]
    client = sign_in(Client(), worker)
    before = Case.objects.count()
    response = client.post(
        "/cases/new/", {"person": str(hidden.pk), "team": str(world.team_a.pk), "priority": "normal", "summary": "copy"}
    )
    assert response.status_code == 400
    assert response.content.decode().count(REFUSAL) == 1
    assert Case.objects.count() == before
    assert _cases_of(hidden) == [world.extra["case_b"].reference]
    # One's own team's people still open cases as before.
    fine = client.post(
        "/cases/new/", {"person": str(world.extra["own"].pk), "team": str(world.team_a.pk), "priority": "normal", "summary": "x"}
    )
    assert fine.status_code == 302


def test_nor_through_the_api_as_principal_or_dependant(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    hidden = world.extra["hidden"]
    token = accounts.create_api_token(worker, worker)
    headers = {"authorization": f"Bearer {token}"}
    for body, field in (
        ({"principal": str(hidden.pk), "team": world.team_a.pk}, "principal"),
        ({"principal": str(world.extra["own"].pk), "dependants": [str(hidden.pk)], "team": world.team_a.pk}, "dependants"),
    ):
        response = Client().post(f"{API}/cases/", json.dumps(body), content_type="application/json", headers=headers)
        assert response.status_code == 400
        assert list(response.json()["error"]["fields"]) == [field]
        assert REFUSAL in response.json()["error"]["fields"][field][0]
    assert _cases_of(hidden) == [world.extra["case_b"].reference]


def test_nor_added_to_an_existing_case(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    with pytest.raises(ValidationError) as refused:
        domain.add_member(worker, world.extra["case_a"], world.extra["hidden"])
    assert list(refused.value.message_dict) == ["person"]
    assert _cases_of(world.extra["hidden"]) == [world.extra["case_b"].reference]
