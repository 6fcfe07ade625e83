"""Second review of issue 10 ("One way to act"): an insider of team B, and roles that see no
cases, against team A's objects through the pages and the API after the refactoring.

Every door here takes an id the attacker chose: a child of team A's case reached through
team B's own case, a person / safe house / assignee of the other team in a body, and the
relocation and intake doors that take a case's id. Each must answer like a missing object,
write nothing, and (when the object exists) leave an audited refusal.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client

from corridor.accounts.models import Role
from corridor.accounts.testing import World, make_staff, make_world, sign_in
from corridor.audit.models import AuditEntry
from corridor.cases import domain
from corridor.cases.models import Case, Consent, Placement, Priority, Task

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _case(actor: Any, team: Any, name: str) -> Case:
    principal = domain.create_person(actor, names=[{"name": name, "kind": "legal"}])
    return domain.open_case(actor, team=team, principal=principal, priority=Priority.NORMAL)


def _objects(actor: Any, team: Any, name: str) -> dict[str, Any]:
    case = _case(actor, team, name)
    person = case.members.get().person
    house = domain.create_safe_house(actor, team=team, label=f"house {name}", address="Somewhere 1", capacity=5)
    return {
        "case": case,
        "person": person,
        "house": house,
        "task": domain.add_task(actor, case, "call the lawyer"),
        "need": domain.add_need(actor, case, "medical"),
        "consent": domain.record_consent(actor, case, person, "store", datetime.date(2024, 1, 1)),
        "placement": domain.place(actor, case, person, house),
    }


@pytest.fixture
def world() -> World:
    world = make_world()
    world.extra = {
        "a": _objects(world.users[Role.CASEWORKER], world.team_a, "Адам Ахмадов"),
        "b": _objects(world.outsider, world.team_b, "Зелимхан Бакаев"),
    }
    return world


def _denied(user: Any, obj: Any) -> bool:
    return AuditEntry.objects.filter(
        action="access.deny", actor_id=user.pk, object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).exists()


def _state(a: dict[str, Any]) -> tuple[Any, ...]:
    a["task"].refresh_from_db()
    a["need"].refresh_from_db()
    a["consent"].refresh_from_db()
    a["placement"].refresh_from_db()
    return (a["task"].done, a["need"].status, a["consent"].withdrawn, a["placement"].end)


# -- a child of team A's case through team B's own case ---------------------------------------


CHILD_DOORS = [
    ("page", "task", lambda b, a: f"/cases/{b['case'].pk}/tasks/{a['task'].pk}/done/", {}),
    ("page", "need", lambda b, a: f"/cases/{b['case'].pk}/needs/{a['need'].pk}/status/", {"status": "met"}),
    ("page", "consent", lambda b, a: f"/cases/{b['case'].pk}/consent/{a['consent'].pk}/withdraw/", {}),
    ("page", "placement", lambda b, a: f"/cases/{b['case'].pk}/placements/{a['placement'].pk}/end/", {}),
    ("api", "task", lambda b, a: f"{API}/cases/{b['case'].pk}/tasks/{a['task'].pk}/complete/", {}),
    ("api", "consent", lambda b, a: f"{API}/cases/{b['case'].pk}/consents/{a['consent'].pk}/withdraw/", {}),
    ("api", "placement", lambda b, a: f"{API}/cases/{b['case'].pk}/placements/{a['placement'].pk}/end/", {}),
]


@pytest.mark.parametrize(("door", "key", "url", "data"), CHILD_DOORS)
def test_a_child_of_another_teams_case_through_ones_own_case_is_404_and_audited(
    world: World, door: str, key: str, url: Any, data: dict[str, Any]
) -> None:
    a, b = world.extra["a"], world.extra["b"]
    before = _state(a)
    client = sign_in(Client(), world.outsider)
    if door == "api":
        response = client.post(url(b, a), data, content_type="application/json")
    else:
        response = client.post(url(b, a), data)
    assert response.status_code == 404
    assert _state(a) == before
    # The object exists: its refusal is audited (Invariant 6), as for the case itself.
    assert _denied(world.outsider, a[key])


def test_need_status_patch_through_own_case_is_404_and_audited(world: World) -> None:
    a, b = world.extra["a"], world.extra["b"]
    client = sign_in(Client(), world.outsider)
    response = client.patch(
        f"{API}/cases/{b['case'].pk}/needs/{a['need'].pk}/", {"status": "met"}, content_type="application/json"
    )
    assert response.status_code == 404
    a["need"].refresh_from_db()
    assert a["need"].status != "met"
    assert _denied(world.outsider, a["need"])


def test_a_missing_child_is_the_same_404_and_audits_nothing(world: World) -> None:
    b = world.extra["b"]
    client = sign_in(Client(), world.outsider)
    before = AuditEntry.objects.filter(action="access.deny").count()
    response = client.post(f"/cases/{b['case'].pk}/tasks/00000000-0000-4000-8000-000000000000/done/")
    assert response.status_code == 404
    assert AuditEntry.objects.filter(action="access.deny").count() == before


# -- ids of team A's objects in team B's bodies -----------------------------------------------


def test_api_bodies_with_another_teams_people_houses_and_users_are_refused(world: World) -> None:
    a, b = world.extra["a"], world.extra["b"]
    client = sign_in(Client(), world.outsider)
    placements = Placement.objects.count()
    # A safe house of team A for team B's person.
    response = client.post(
        f"{API}/cases/{b['case'].pk}/placements/",
        {"person_id": str(b["person"].pk), "safe_house_id": str(a["house"].pk)},
        content_type="application/json",
    )
    assert response.status_code == 400
    # Team A's person placed through team B's case, in team B's house.
    response = client.post(
        f"{API}/cases/{b['case'].pk}/placements/",
        {"person_id": str(a["person"].pk), "safe_house_id": str(b["house"].pk)},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Placement.objects.count() == placements
    # A consent for team A's person on team B's case.
    consents = Consent.objects.count()
    response = client.post(
        f"{API}/cases/{b['case'].pk}/consents/",
        {"person_id": str(a["person"].pk), "scope": "store"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Consent.objects.count() == consents
    # A task of team B's case assigned to a member of team A only.
    tasks = Task.objects.count()
    response = client.post(
        f"{API}/cases/{b['case'].pk}/tasks/",
        {"title": "x", "assignee": world.users[Role.CASEWORKER].pk},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Task.objects.count() == tasks
    # A new case of team B's with team A's person as principal, or for team A.
    cases = Case.objects.count()
    response = client.post(
        f"{API}/cases/", {"team": world.team_b.pk, "principal": str(a["person"].pk)}, content_type="application/json"
    )
    assert response.status_code == 400
    response = client.post(
        f"{API}/cases/", {"team": world.team_a.pk, "principal": str(b["person"].pk)}, content_type="application/json"
    )
    assert response.status_code == 400
    assert Case.objects.count() == cases


def test_pages_with_another_teams_people_and_houses_in_the_form_are_refused(world: World) -> None:
    a, b = world.extra["a"], world.extra["b"]
    client = sign_in(Client(), world.outsider)
    placements = Placement.objects.count()
    response = client.post(
        f"/cases/{b['case'].pk}/placements/",
        {"person": str(b["person"].pk), "safe_house": str(a["house"].pk), "start": datetime.date.today().isoformat()},
    )
    assert response.status_code == 400
    response = client.post(
        f"/cases/{b['case'].pk}/consent/",
        {"person": str(a["person"].pk), "scope": "store", "given": "2024-01-01"},
    )
    assert response.status_code == 400
    assert Placement.objects.count() == placements
    # A new case whose principal is team A's person: 404, like the person.
    response = client.post("/cases/new/", {"person": str(a["person"].pk), "team": world.team_b.pk, "priority": "normal"})
    assert response.status_code == 404
    assert _denied(world.outsider, a["person"])
    # A task assigned to someone outside the case's team.
    tasks = Task.objects.count()
    response = client.post(f"/cases/{b['case'].pk}/tasks/", {"title": "x", "assignee": world.users[Role.CASEWORKER].pk})
    assert response.status_code == 400
    assert Task.objects.count() == tasks


# -- roles that see no cases, and the relocation doors ---------------------------------------


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMIN])
def test_roles_without_cases_reach_no_case_door(world: World, role: str) -> None:
    a = world.extra["a"]
    user = world.users[role]
    client = sign_in(Client(), user)
    for url in (
        f"/cases/{a['case'].pk}/",
        f"/people/{a['person'].pk}/",
        f"/safe-houses/{a['house'].pk}/",
        f"/cases/{a['case'].pk}/workflow/",
        f"/relocation/cases/{a['case'].pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (f"{API}/cases/{a['case'].pk}/", f"{API}/people/{a['person'].pk}/", f"{API}/cases/{a['case'].pk}/notes/"):
        assert client.get(url).status_code in (403, 404), url
    assert client.post(f"/cases/{a['case'].pk}/tasks/{a['task'].pk}/done/").status_code == 404
    a["task"].refresh_from_db()
    assert a["task"].done is None


def test_relocation_doors_of_another_teams_case(world: World) -> None:
    from corridor.relocation import domain as relocation_domain
    from corridor.relocation.models import Application, Country, Programme

    a, b = world.extra["a"], world.extra["b"]
    country = Country.objects.get_or_create(code="LT", defaults={"name_en": "Lithuania", "name_ru": "Литва"})[0]
    programme = Programme.objects.create(country=country, name="Humanitarian visa", kind="humanitarian_visa", is_open=True)
    coordinator_b = make_staff(Role.RELOCATION, teams=[world.team_b], username="reloc-b")
    client = sign_in(Client(), coordinator_b)
    # Team A's case: 404 for the page, the list, the profile and a new application.
    assert client.get(f"/relocation/cases/{a['case'].pk}/").status_code == 404
    assert client.get(f"{API}/relocation/cases/{a['case'].pk}/applications/").status_code == 404
    response = client.post(
        f"{API}/relocation/cases/{a['case'].pk}/applications/",
        {"programme": programme.pk, "channel": "Vilnius", "members": [str(a["person"].pk)]},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert (
        client.put(
            f"{API}/relocation/cases/{a['case'].pk}/profile/",
            {"referral": "none", "family_ties": []},
            content_type="application/json",
        ).status_code
        == 404
    )
    # Team B's own case, with team A's person among the members: refused.
    response = client.post(
        f"{API}/relocation/cases/{b['case'].pk}/applications/",
        {"programme": programme.pk, "channel": "Vilnius", "members": [str(a["person"].pk)]},
        content_type="application/json",
    )
    assert response.status_code == 400
    response = client.post(
        f"/relocation/cases/{b['case'].pk}/applications/new/",
        {"programme": programme.pk, "channel": "Vilnius", "members": [str(a["person"].pk)]},
    )
    assert response.status_code == 400
    assert Application.objects.count() == 0
    # Team A's application: 404 to read, move or tick.
    application = relocation_domain.create_application(
        world.users[Role.RELOCATION], a["case"], programme, channel="Vilnius", members=[a["person"]]
    )
    for url in (f"/relocation/applications/{application.pk}/", f"{API}/relocation/applications/{application.pk}/"):
        assert client.get(url).status_code == 404
    response = client.post(
        f"{API}/relocation/applications/{application.pk}/transitions/",
        {"status": "submitted", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    application.refresh_from_db()
    assert application.status == "draft"
    assert _denied(coordinator_b, application)
    # A hotline operator of team A sees the case but not its applications.
    hotline = sign_in(Client(), world.users[Role.HOTLINE])
    assert hotline.get(f"{API}/relocation/applications/{application.pk}/").status_code in (403, 404)
    assert hotline.get(f"/relocation/applications/{application.pk}/").status_code == 404
