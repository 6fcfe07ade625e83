"""POST /api/v1/people/ needs the team or the case the person belongs to, as the web form does:
the creator can then see the person (no 201 followed by 404s), and a body without either is a
400 that says what to send."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from corridor.accounts.models import ApiToken, Role
from corridor.accounts.testing import World, make_world
from corridor.cases import domain
from corridor.cases.models import CaseMember, Person

pytestmark = pytest.mark.django_db

PEOPLE = "/api/v1/people/"
NAMES = {"names": [{"name": "Руслан Новый"}], "confirm_not_duplicate": True}


@pytest.fixture
def world() -> World:
    return make_world()


def _client(user: Any) -> Client:
    return Client(headers={"authorization": f"Bearer {ApiToken.issue(user)[1]}"})


def _post(client: Client, body: dict[str, Any]) -> Any:
    return client.post(PEOPLE, body, content_type="application/json")


def test_without_team_or_case_is_refused_with_a_clear_error(world: World) -> None:
    response = _post(_client(world.users[Role.CASEWORKER]), NAMES)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "team": ["Say where the person belongs: send team (a new case of one of your teams) or case (an existing case)."]
    }
    assert Person.objects.count() == 0


def test_with_both_or_a_summary_for_an_existing_case_is_refused(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    case = domain.open_case(worker, team=world.team_a, principal=domain.create_person(worker, names=[{"name": "A"}]))
    client = _client(worker)
    both = _post(client, NAMES | {"team": world.team_a.pk, "case": str(case.pk)})
    assert (both.status_code, both.json()["error"]["fields"]) == (400, {"case": ["Send team or case, not both."]})
    summary = _post(client, NAMES | {"case": str(case.pk), "summary": "hiding"})
    assert summary.status_code == 400 and list(summary.json()["error"]["fields"]) == ["summary"]
    assert Person.objects.count() == 1


def test_with_a_team_the_person_is_on_a_new_case_and_the_creator_sees_them(world: World) -> None:
    hotline = world.users[Role.HOTLINE]
    client = _client(hotline)
    created = _post(client, NAMES | {"team": world.team_a.pk, "priority": "urgent", "summary": "hiding"})
    assert created.status_code == 201
    body = created.json()
    member = CaseMember.objects.select_related("case").get(person=body["id"])
    assert (str(member.case.pk), member.role, member.case.priority, member.case.team) == (
        body["case"],
        "principal",
        "urgent",
        world.team_a,
    )
    assert client.get(f"{PEOPLE}{body['id']}/").status_code == 200
    assert client.get(f"/api/v1/cases/{body['case']}/").status_code == 200
    # Team B does not see them.
    assert _client(world.outsider).get(f"{PEOPLE}{body['id']}/").status_code == 404


def test_with_a_case_the_person_joins_it_as_a_dependant(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    case = domain.open_case(worker, team=world.team_a, principal=domain.create_person(worker, names=[{"name": "A"}]))
    client = _client(worker)
    created = _post(client, NAMES | {"case": str(case.pk)})
    assert created.status_code == 201
    body = created.json()
    assert body["case"] == str(case.pk)
    assert list(case.members.filter(person=body["id"]).values_list("role", flat=True)) == ["dependant"]
    assert client.get(f"{PEOPLE}{body['id']}/").status_code == 200


def test_another_teams_team_or_case_is_refused_like_one_that_does_not_exist(world: World) -> None:
    outsider = world.outsider
    theirs = domain.open_case(outsider, team=world.team_b, principal=domain.create_person(outsider, names=[{"name": "B"}]))
    client = _client(world.users[Role.CASEWORKER])
    team = _post(client, NAMES | {"team": world.team_b.pk})
    assert team.json()["error"]["fields"] == {"team": ["You can only open cases for your own teams."]}
    missing_team = _post(client, NAMES | {"team": 999_999})
    assert missing_team.json()["error"]["fields"] == team.json()["error"]["fields"]
    case = _post(client, NAMES | {"case": str(theirs.pk)})
    missing_case = _post(client, NAMES | {"case": "00000000-0000-4000-8000-000000000000"})
    assert (case.status_code, missing_case.status_code) == (400, 400)
    assert case.json()["error"]["fields"] == missing_case.json()["error"]["fields"] == {"case": ["Unknown case."]}
    assert Person.objects.count() == 1


def test_the_schema_declares_team_and_case(world: World) -> None:
    schema = Client().get("/api/schema/", headers={"accept": "application/json"}).json()
    operation = schema["paths"][PEOPLE]["post"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][request]["properties"]
    assert {"team", "case", "priority", "summary"} <= set(properties)
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "case" in schema["components"]["schemas"][created]["properties"]
