"""The people and cases API: the access matrix over every endpoint, and its behaviour.

Every test has data that could leak (team B's case, planted identities) and asserts it
stays out; every write goes through the domain, so the tests check the domain's rules
arrive intact as 400/403/409 with the standard error body.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from corridor.accounts.models import ApiToken, Role
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.audit import log as audit
from corridor.cases import domain
from corridor.cases.models import Case, DuplicateReview, Person, Priority, SafeHouse, Status

pytestmark = pytest.mark.django_db

VIEW = {Role.HOTLINE, Role.CASEWORKER, Role.RELOCATION, Role.DOCUMENTATION}
CHANGE = {Role.HOTLINE, Role.CASEWORKER}
SAFE_HOUSES = {Role.CASEWORKER}
API = "/api/v1"
# This area's endpoints; /api/v1/relocation/, documents etc. are tested by their own apps.
OUR_PATHS = (f"{API}/people/", f"{API}/cases/", f"{API}/safe-houses/")


def _person(actor: Any, name: str = "Магомед Исаев", **extra: Any) -> Person:
    return domain.create_person(actor, names=[{"name": name, "kind": "legal"}], **extra)


def _case(actor: Any, team: Any, *, name: str = "Адам Ахмадов", priority: str = Priority.NORMAL) -> Case:
    principal = _person(actor, name)
    dependant = _person(actor, f"{name} младший")
    return domain.open_case(actor, team=team, principal=principal, dependants=[dependant], priority=priority)


def _objects(actor: Any, team: Any) -> dict[str, Any]:
    """A case with one of every sub-record, for one team."""
    case = _case(actor, team)
    principal = case.members.get(role="principal").person
    house = domain.create_safe_house(actor, team=team, label="Blue", address="Somewhere 1", capacity=5)
    return {
        "case": case,
        "person": principal,
        "dependant": case.members.get(role="dependant").person,
        "task": domain.add_task(actor, case, "call the lawyer"),
        "need": domain.add_need(actor, case, "medical"),
        "consent": domain.record_consent(actor, case, principal, "store", datetime.date(2024, 1, 1)),
        "placement": domain.place(actor, case, principal, house),
        "house": house,
        "spare_house": domain.create_safe_house(actor, team=team, label="Green", address="Elsewhere 2", capacity=5),
    }


@pytest.fixture
def world() -> World:
    world = make_world()
    world.extra["b"] = _objects(world.outsider, world.team_b)
    return world


def _fresh(world: World) -> dict[str, Any]:
    return _objects(world.users[Role.CASEWORKER], world.team_a)


def _in_role(world: World, users: dict[str, Any]) -> World:
    """The world seen by `users` only, with fresh team A objects ("o") so writes never collide."""
    return World(
        team_a=world.team_a, team_b=world.team_b, users=users, outsider=world.outsider, extra=world.extra | {"o": _fresh(world)}
    )


def _matrix(world: World, route: Route) -> int:
    """check_matrix, with fresh team A objects for every allowed role."""
    denied = {role: user for role, user in world.users.items() if role not in route.roles}
    checks = check_matrix(_in_role(world, denied), [route])
    for role in sorted(route.roles):
        checks += check_matrix(_in_role(world, {role: world.users[role]}), [route])
    return checks


def _o(w: World) -> dict[str, Any]:
    return dict(w.extra["o"])


def _both(name: str, tail: Callable[[dict[str, Any]], str], roles: set[str], **options: Any) -> Route:
    """An endpoint on team A's fresh object (`tail` of the objects), tried on team B's too."""
    return Route(
        name,
        lambda w: f"{API}/{tail(_o(w))}",
        roles,
        api=True,
        other_team_url=lambda w: f"{API}/{tail(w.extra['b'])}",
        **options,
    )


def _create(name: str, path: str, roles: set[str], data: Any) -> Route:
    """A POST to a top-level list that creates (201) for the roles allowed."""
    return Route(name, lambda w: f"{API}/{path}", roles, method="post", data=data, ok_status=(201,), api=True)


def _child_list(name: str, key: str) -> Route:
    return _both(name, lambda o: f"cases/{o['case'].pk}/{key}/", VIEW)


def _child_create(name: str, key: str, roles: set[str], data: Callable[[dict[str, Any]], dict[str, Any]]) -> Route:
    return _both(
        name, lambda o: f"cases/{o['case'].pk}/{key}/", roles, method="post", data=lambda w: data(_o(w)), ok_status=(201,)
    )


CHILDREN = {
    "notes": "api-case-notes",
    "tasks": "api-case-tasks",
    "needs": "api-case-needs",
    "verifications": "api-case-verifications",
    "consents": "api-case-consents",
    "risk-assessments": "api-case-risk",
    "placements": "api-case-placements",
}

ROUTES = [
    Route("api-person-list", lambda w: f"{API}/people/", VIEW, api=True),
    Route("api-person-search", lambda w: f"{API}/people/search/", VIEW, method="post", data={"q": "Magomed"}, api=True),
    _both("api-person-detail", lambda o: f"people/{o['person'].pk}/", VIEW),
    _create(
        "api-person-list",
        "people/",
        CHANGE,
        lambda w: {"names": [{"name": "Ислам Ахмедов"}], "team": w.team_a.pk, "confirm_not_duplicate": True},
    ),
    _both("api-person-detail", lambda o: f"people/{o['person'].pk}/", CHANGE, method="patch", data={"languages": ["Chechen"]}),
    Route("api-case-list", lambda w: f"{API}/cases/", VIEW, api=True),
    _both("api-case-detail", lambda o: f"cases/{o['case'].pk}/", VIEW),
    _create(
        "api-case-list",
        "cases/",
        CHANGE,
        lambda w: {"principal": str(_o(w)["person"].pk), "team": w.team_a.pk, "priority": "urgent"},
    ),
    _both(
        "api-case-transition",
        lambda o: f"cases/{o['case'].pk}/transition/",
        CHANGE,
        method="post",
        data={"status": "verifying", "reason": "referred by a partner"},
    ),
    *[_child_list(name, key) for key, name in CHILDREN.items()],
    _child_create(CHILDREN["notes"], "notes", VIEW, lambda o: {"body": "called back"}),
    _child_create(CHILDREN["tasks"], "tasks", VIEW, lambda o: {"title": "book a ticket", "due": "2030-01-01"}),
    _child_create(CHILDREN["needs"], "needs", VIEW, lambda o: {"kind": "legal", "details": "asylum lawyer"}),
    _child_create(CHILDREN["verifications"], "verifications", CHANGE, lambda o: {"method": "interview", "details": "video call"}),
    _child_create(CHILDREN["consents"], "consents", CHANGE, lambda o: {"person": str(o["person"].pk), "scope": "statistics"}),
    _child_create(
        CHILDREN["risk-assessments"], "risk-assessments", CHANGE, lambda o: {"factors": ["health"], "priority": "urgent"}
    ),
    _child_create(
        CHILDREN["placements"],
        "placements",
        CHANGE,
        lambda o: {"person": str(o["dependant"].pk), "safe_house": str(o["spare_house"].pk)},
    ),
    _both("api-case-task-complete", lambda o: f"cases/{o['case'].pk}/tasks/{o['task'].pk}/complete/", VIEW, method="post"),
    _both("api-case-need", lambda o: f"cases/{o['case'].pk}/needs/{o['need'].pk}/", VIEW, method="patch", data={"status": "met"}),
    _both(
        "api-case-consent-withdraw", lambda o: f"cases/{o['case'].pk}/consents/{o['consent'].pk}/withdraw/", CHANGE, method="post"
    ),
    _both("api-case-placement-end", lambda o: f"cases/{o['case'].pk}/placements/{o['placement'].pk}/end/", CHANGE, method="post"),
    Route("api-safe-house-list", lambda w: f"{API}/safe-houses/", VIEW, api=True),
    _both("api-safe-house-detail", lambda o: f"safe-houses/{o['house'].pk}/", VIEW),
    _create(
        "api-safe-house-list",
        "safe-houses/",
        SAFE_HOUSES,
        lambda w: {"label": "Yellow", "address": "Street 3", "capacity": 2, "team": w.team_a.pk},
    ),
    _both("api-safe-house-compromised", lambda o: f"safe-houses/{o['house'].pk}/compromised/", SAFE_HOUSES, method="post"),
]


def test_access_matrix_over_every_endpoint_and_method(world: World) -> None:
    checks = sum(_matrix(world, route) for route in ROUTES)
    # 30 operations (see the schema test) plus search; each: anonymous and 8 roles, plus
    # the other team's object for allowed roles, repeated for every allowed role.
    assert len(ROUTES) == 31
    assert checks > 31 * 9


def test_every_route_in_the_matrix_is_in_the_schema(world: World) -> None:
    schema = Client().get("/api/schema/", headers={"accept": "application/json"}).json()
    documented = {(path, method) for path, item in schema["paths"].items() for method in item if path.startswith(OUR_PATHS)}
    assert len(documented) == 31
    for path, method in documented:
        operation = schema["paths"][path][method]
        assert operation["responses"], (path, method)
        if method in ("post", "patch") and not path.endswith(("/complete/", "/compromised/")):
            assert "requestBody" in operation, (path, method)


# -- helpers for behaviour tests --------------------------------------------------------------


def _client(user: Any) -> Client:
    return sign_in(Client(), user)


def _post(client: Client, url: str, data: Any, method: str = "post") -> Any:
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def worker(world: World) -> Any:
    return world.users[Role.CASEWORKER]


# -- people -------------------------------------------------------------------------------------


def test_create_person_reports_duplicates_then_accepts_confirmation(world: World, worker: Any) -> None:
    known = domain.open_case(
        worker, team=world.team_a, principal=_person(worker, "Магомед Исаев", birth_date=datetime.date(1994, 3, 1))
    )
    known_person = known.members.get().person
    client = _client(worker)
    entry = {"names": [{"name": "Magomed Isaev", "kind": "transliteration"}], "birth_date": "1994-05-05", "team": world.team_a.pk}

    response = _post(client, f"{API}/people/", entry)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "possible_duplicate"
    assert error["duplicates"] == [
        {"id": str(known_person.pk), "codename": known_person.codename, "reason": "same name and year of birth"}
    ]
    assert Person.objects.count() == 3  # team B's two and the known one: nothing saved

    response = _post(client, f"{API}/people/", {**entry, "confirm_not_duplicate": True})
    assert response.status_code == 201
    body = response.json()
    assert body["names"] == [{"name": "Magomed Isaev", "kind": "transliteration"}]
    assert body["birth_date"] == "1994-05-05"
    assert Person.objects.filter(pk=body["id"], memberships__case=body["case"]).exists()


def test_duplicate_in_another_team_is_neutral(world: World, worker: Any) -> None:
    b_person = world.extra["b"]["person"]  # "Магомед Исаев" in team B, no birth date; match by phone
    domain.update_person(world.outsider, b_person, contacts=[{"kind": "phone", "value": "+7 928 555 44 33"}])
    response = _post(
        _client(worker),
        f"{API}/people/",
        {"names": [{"name": "Someone"}], "contacts": [{"kind": "phone", "value": "89285554433"}], "team": world.team_a.pk},
    )
    # Neither confirmed nor denied: the same answer as for someone unknown; an admin reviews it.
    assert response.status_code == 201
    assert b_person.codename not in response.content.decode()
    assert list(DuplicateReview.objects.values_list("user", "person")) == [(worker.pk, b_person.pk)]


def test_search_finds_any_spelling_and_codename(world: World, worker: Any) -> None:
    person = domain.create_person(worker, names=[{"name": "Магомед Исаев", "kind": "legal"}, {"name": "Магомед", "kind": "used"}])
    case = domain.open_case(worker, team=world.team_a, principal=person)
    client = _client(world.users[Role.RELOCATION])
    for query in ("Magomed", "magomed isaev", person.codename):
        response = _post(client, f"{API}/people/search/", {"q": query})
        assert response.status_code == 200, query
        assert [p["id"] for p in response.json()["results"]] == [str(person.pk)], query
    assert _post(client, f"{API}/people/search/", {"q": "Ahmed"}).json()["results"] == []
    assert case.pk  # the case is what makes the person visible


def test_lists_never_show_gender_identity_or_orientation(world: World, worker: Any) -> None:
    person = domain.create_person(
        worker,
        names=[{"name": "Ислам Садулаев", "kind": "legal"}],
        gender_identity="PLANTED-GENDER-7f3a",
        orientation="PLANTED-ORIENTATION-91bc",
    )
    domain.open_case(worker, team=world.team_a, principal=person)
    client = _client(worker)
    for response in (client.get(f"{API}/people/"), _post(client, f"{API}/people/search/", {"q": "Islam Sadulaev"})):
        assert response.status_code == 200
        assert str(person.pk) in [p["id"] for p in response.json()["results"]]
        text = response.content.decode()
        assert "PLANTED-GENDER-7f3a" not in text and "PLANTED-ORIENTATION-91bc" not in text
        assert all("gender_identity" not in p and "orientation" not in p for p in response.json()["results"])
    detail = client.get(f"{API}/people/{person.pk}/").json()
    assert (detail["gender_identity"], detail["orientation"]) == ("PLANTED-GENDER-7f3a", "PLANTED-ORIENTATION-91bc")


def test_person_read_is_audited_and_update_goes_through_domain(world: World, worker: Any) -> None:
    person = world.extra["b"]["person"]
    own = _fresh(world)["person"]
    client = _client(worker)
    assert client.get(f"{API}/people/{own.pk}/").status_code == 200
    assert list(audit.entries_for(own).filter(action="read.api").values_list("actor_id", flat=True)) == [worker.pk]
    response = _post(client, f"{API}/people/{own.pk}/", {"languages": ["ru", "ce"], "birth_date": "2999-01-01"}, "patch")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["birth_date"]
    response = _post(client, f"{API}/people/{own.pk}/", {"languages": ["ru", "ce"]}, "patch")
    assert response.status_code == 200 and response.json()["languages"] == ["ru", "ce"]
    own.refresh_from_db()
    assert own.languages == ["ru", "ce"]
    assert audit.entries_for(person).filter(action__in=["read", "read.api"]).count() == 0


def test_team_b_never_appears_for_team_a(world: World, worker: Any) -> None:
    b = world.extra["b"]
    domain.update_person(world.outsider, b["person"], names=[{"name": "Зелимхан Уникальный", "kind": "legal"}])
    client = _client(worker)
    assert _post(client, f"{API}/people/search/", {"q": "Zelimkhan Unikalnyj"}).json()["results"] == []
    assert _post(client, f"{API}/people/search/", {"q": b["person"].codename}).json()["results"] == []
    _fresh(world)
    people = client.get(f"{API}/people/").json()["results"]
    cases = client.get(f"{API}/cases/").json()["results"]
    assert len(people) == 2 and b["person"].codename not in json.dumps(people)
    assert [c["reference"] for c in cases] == [Case.objects.get(team=world.team_a).reference]
    missing = client.get(f"{API}/cases/{uuid.uuid4()}/")
    hidden = client.get(f"{API}/cases/{b['case'].pk}/")
    malformed = client.get(f"{API}/cases/not-a-uuid/")
    assert hidden.status_code == missing.status_code == malformed.status_code == 404
    assert (
        hidden.json()
        == missing.json()
        == malformed.json()
        == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    )


# -- cases ----------------------------------------------------------------------------------------


def test_open_case_for_a_person_just_entered_and_only_own_team(world: World, worker: Any) -> None:
    client = _client(worker)
    created = _post(
        client, f"{API}/people/", {"names": [{"name": "Руслан Новый"}], "team": world.team_a.pk, "confirm_not_duplicate": True}
    ).json()
    # Entered with a case of the team, the person is the team's: another of its members may open a second case too.
    other = _post(_client(world.users[Role.HOTLINE]), f"{API}/cases/", {"principal": created["id"], "team": world.team_a.pk})
    assert other.status_code == 201
    foreign_team = _post(client, f"{API}/cases/", {"principal": created["id"], "team": world.team_b.pk})
    assert foreign_team.status_code == 400 and foreign_team.json()["error"]["fields"] == {
        "team": ["You can only open cases for your own teams."]
    }
    foreign_person = _post(client, f"{API}/cases/", {"principal": str(world.extra["b"]["person"].pk), "team": world.team_a.pk})
    assert foreign_person.status_code == 400 and foreign_person.json()["error"]["fields"] == {"principal": ["Unknown person."]}

    response = _post(
        client,
        f"{API}/cases/",
        {"principal": created["id"], "team": world.team_a.pk, "priority": "emergency", "summary": "hiding"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["priority"], body["summary"], body["team"]) == ("new", "emergency", "hiding", world.team_a.pk)
    assert body["members"] == [{"person": created["id"], "codename": created["codename"], "role": "principal"}]
    assert [event["kind"] for event in body["timeline"]] == ["opened"]


def test_case_list_filters_orders_emergencies_first_and_pages(world: World, worker: Any) -> None:
    normal = _case(worker, world.team_a, name="Первый Один", priority=Priority.NORMAL)
    emergency = _case(worker, world.team_a, name="Второй Два", priority=Priority.EMERGENCY)
    urgent = _case(worker, world.team_a, name="Третий Три", priority=Priority.URGENT)
    client = _client(worker)
    body = client.get(f"{API}/cases/").json()
    assert [c["id"] for c in body["results"]] == [str(emergency.pk), str(urgent.pk), str(normal.pk)]
    assert body["count"] == 3
    assert [c["id"] for c in client.get(f"{API}/cases/", {"priority": "urgent"}).json()["results"]] == [str(urgent.pk)]
    assert client.get(f"{API}/cases/", {"status": "closed"}).json()["results"] == []
    assert client.get(f"{API}/cases/", {"team": world.team_b.pk}).json()["results"] == []
    assert client.get(f"{API}/cases/", {"owner": worker.pk}).json()["count"] == 3
    bad = client.get(f"{API}/cases/", {"status": "lost", "team": "x"})
    assert bad.status_code == 400 and sorted(bad.json()["error"]["fields"]) == ["status", "team"]
    for _index in range(48):
        domain.open_case(worker, team=world.team_a, principal=normal.members.get(role="principal").person)
    first = client.get(f"{API}/cases/").json()
    assert (first["count"], len(first["results"])) == (51, 50)
    assert len(client.get(first["next"]).json()["results"]) == 1
    assert client.get(f"{API}/cases/", {"page": 9}).status_code == 404


def test_transition_rules_and_reasons(world: World, worker: Any) -> None:
    case = _fresh(world)["case"]
    client = _client(worker)
    url = f"{API}/cases/{case.pk}/transition/"
    jump = _post(client, url, {"status": "active", "reason": "looks fine"})
    assert jump.status_code == 400 and list(jump.json()["error"]["fields"]) == ["status"]
    silent = _post(client, url, {"status": "verifying", "reason": "   "})
    assert silent.status_code == 400 and list(silent.json()["error"]["fields"]) == ["reason"]
    unknown = _post(client, url, {"status": "teleported", "reason": "x"})
    assert unknown.status_code == 400 and list(unknown.json()["error"]["fields"]) == ["status"]
    assert _post(client, url, {"status": "verifying", "reason": "referred"}).status_code == 200
    unverified = _post(client, url, {"status": "active", "reason": "fine"})
    assert unverified.json()["error"]["fields"] == {"status": ["Record how the case was verified before making it active."]}
    relocation = _post(_client(world.users[Role.RELOCATION]), url, {"status": "active", "reason": "fine"})
    assert relocation.status_code == 403 and relocation.json()["error"]["code"] == "permission_denied"
    assert _post(client, f"{API}/cases/{case.pk}/verifications/", {"method": "interview"}).status_code == 201
    done = _post(client, url, {"status": "active", "reason": "interviewed"})
    assert done.status_code == 200
    assert (done.json()["old"], done.json()["new"], done.json()["reason"]) == ("verifying", "active", "interviewed")
    case.refresh_from_db()
    assert case.status == Status.ACTIVE
    timeline = client.get(f"{API}/cases/{case.pk}/").json()["timeline"]
    assert [e["kind"] for e in timeline if e["kind"] in ("status", "verification")] == ["status", "verification", "status"]


def test_sub_records_go_through_domain_rules(world: World, worker: Any) -> None:
    o = _fresh(world)
    case, client = o["case"], _client(worker)
    base = f"{API}/cases/{case.pk}"
    risk = _post(client, f"{base}/risk-assessments/", {"factors": ["being_searched"], "priority": "normal"})
    assert risk.json()["error"]["fields"] == {"override_reason": ["Explain why the priority differs from the suggestion."]}
    risk = _post(client, f"{base}/risk-assessments/", {"factors": ["being_searched"], "priority": "emergency"})
    assert risk.status_code == 201 and risk.json()["suggested_priority"] == "emergency"
    case.refresh_from_db()
    assert case.priority == Priority.EMERGENCY
    share = _post(client, f"{base}/consents/", {"person": str(o["person"].pk), "scope": "share"})
    assert share.json()["error"]["fields"] == {"partner": ["Name the partner this person agreed to share with."]}
    stranger = _post(client, f"{base}/consents/", {"person": str(world.extra["b"]["person"].pk), "scope": "store"})
    assert stranger.json()["error"]["fields"] == {"person": ["This person is not on the case."]}
    withdraw = f"{base}/consents/{o['consent'].pk}/withdraw/"
    assert _post(client, withdraw, {"on": "2024-02-01"}).json()["withdrawn"] == "2024-02-01"
    assert _post(client, withdraw, {}).status_code == 400
    foreign_house = _post(
        client, f"{base}/placements/", {"person": str(o["dependant"].pk), "safe_house": str(world.extra["b"]["house"].pk)}
    )
    assert foreign_house.json()["error"]["fields"] == {"safe_house": ["Unknown safe house."]}
    outsider_task = _post(client, f"{base}/tasks/", {"title": "x", "assignee": world.outsider.pk})
    assert list(outsider_task.json()["error"]["fields"]) == ["assignee"]
    assert [n["kind"] for n in client.get(f"{base}/needs/").json()] == ["medical"]
    need = _post(client, f"{base}/needs/{o['need'].pk}/", {"status": "nonsense"}, "patch")
    assert list(need.json()["error"]["fields"]) == ["status"]
    note = _post(_client(world.users[Role.DOCUMENTATION]), f"{base}/notes/", {"body": "testimony taken"})
    assert note.status_code == 201
    assert [n["body"] for n in client.get(f"{base}/notes/").json()] == ["testimony taken"]


def test_compromised_safe_house_creates_urgent_tasks(world: World, worker: Any) -> None:
    o = _fresh(world)
    client = _client(worker)
    listed = client.get(f"{API}/safe-houses/").json()
    assert [h["label"] for h in listed] == ["Blue", "Green"] and "address" not in listed[0]
    assert client.get(f"{API}/safe-houses/{o['house'].pk}/").json()["address"] == "Somewhere 1"
    response = _post(client, f"{API}/safe-houses/{o['house'].pk}/compromised/", {})
    assert response.status_code == 200 and response.json()["tasks_created"] == 1
    tasks = client.get(f"{API}/cases/{o['case'].pk}/tasks/").json()
    assert [t["urgent"] for t in tasks] == [True, False]
    place = _post(
        client, f"{API}/cases/{o['case'].pk}/placements/", {"person": str(o["dependant"].pk), "safe_house": str(o["house"].pk)}
    )
    assert place.json()["error"]["fields"] == {"safe_house": ["This safe house is marked compromised. Choose another."]}
    relocation = _post(
        _client(world.users[Role.RELOCATION]), f"{API}/safe-houses/", {"label": "x", "address": "y", "capacity": 1, "team": 1}
    )
    assert relocation.status_code == 403
    assert SafeHouse.objects.filter(team=world.team_a).count() == 2


# -- bad input never gives a 500 ----------------------------------------------------------------


def test_bad_input_is_a_clear_400_and_saves_nothing(world: World, worker: Any) -> None:
    case = _fresh(world)["case"]
    client = _client(worker)
    people_before, notes_before = Person.objects.count(), case.notes.count()
    cases = [
        (f"{API}/people/", "{not json", "parse_error"),
        (f"{API}/people/", json.dumps(["a", "list"]), "invalid"),
        (f"{API}/people/", json.dumps({"names": "Magomed"}), "invalid"),
        (f"{API}/people/", json.dumps({"names": [{"name": "A"}], "birth_date": "yesterday"}), "invalid"),
        (f"{API}/people/", json.dumps({"names": [{"name": "A\u0000B"}]}), "invalid"),
        (f"{API}/people/", json.dumps({"names": [{"name": "A" * 1_000_000}]}), "invalid"),
        (f"{API}/people/", json.dumps({"names": [{"name": "A"}], "documents_held": "diplomatic"}), "invalid"),
        (f"{API}/people/", '{"names": [{"name": "\\ud800"}]}', "invalid"),
        (f"{API}/cases/", json.dumps({"principal": "not-a-uuid", "team": 2**70}), "invalid"),
        (
            f"{API}/cases/",
            json.dumps({"principal": str(uuid.uuid4()), "team": world.team_a.pk, "priority": "apocalyptic"}),
            "invalid",
        ),
        (f"{API}/cases/{case.pk}/notes/", json.dumps({"body": "x" * 30_000}), "invalid"),
        (f"{API}/cases/{case.pk}/notes/", json.dumps({"body": 12}), "invalid"),
        (f"{API}/cases/{case.pk}/notes/", json.dumps({"body": "\u0000"}), "invalid"),
    ]
    for url, body, code in cases:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, (url, body[:80], response.status_code)
        assert response.json()["error"]["code"] == code, (url, body[:80])
    assert _post(client, f"{API}/people/search/", {"q": "a\u0000b"}).status_code == 400
    assert _post(client, f"{API}/people/search/", {"q": "x" * 5000}).status_code == 400
    assert client.get(f"{API}/cases/{case.pk}/tasks/{'9' * 100}/complete/").status_code == 405
    assert client.post(f"{API}/cases/{case.pk}/tasks/{'9' * 100}/complete/").status_code == 404
    assert (Person.objects.count(), case.notes.count()) == (people_before, notes_before)


def test_tokens_work_and_trustees_and_strangers_do_not(world: World, worker: Any) -> None:
    _fresh(world)
    _record, token = ApiToken.issue(worker)
    response = Client().get(f"{API}/cases/", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.json()["count"] == 1
    trustee_token = ApiToken.issue(make_staff(Role.TRUSTEE, teams=[world.team_a]))[1]
    assert Client().get(f"{API}/cases/", headers={"authorization": f"Bearer {trustee_token}"}).status_code == 401
    assert Client().get(f"{API}/cases/").status_code == 401
    admin = Client().get(f"{API}/people/", headers={"authorization": f"Bearer {ApiToken.issue(world.users[Role.ADMIN])[1]}"})
    assert admin.status_code == 403 and admin.json()["error"]["code"] == "permission_denied"


# -- fuzzing against the schema -----------------------------------------------------------------

FUZZ_EXAMPLES = 12  # per operation and generation mode: 30 operations x 2 modes x 12 = 720 requests
FUZZ_SECONDS = 240


@pytest.mark.integration
def test_schemathesis_finds_no_server_error(world: World, worker: Any) -> None:
    """Schema-driven fuzzing through the WSGI app with a real token: never a 500, and 2xx bodies match the schema."""
    schemathesis = pytest.importorskip("schemathesis")
    from django.core import signals
    from django.core.wsgi import get_wsgi_application
    from django.db import close_old_connections

    o = _fresh(world)
    token = ApiToken.issue(worker)[1]
    # As django.test.Client does: the WSGI handler must not close the test's connection
    # (and with it the transaction holding this test's data) at the end of each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        _fuzz_api(world, o, token, schemathesis, get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _fuzz_api(world: World, o: dict[str, Any], token: str, schemathesis: Any, app: Any) -> None:
    import time

    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import response_schema_conformance

    schema = schemathesis.openapi.from_wsgi("/api/schema/", app)
    # Real ids half the time, so bodies reach the domain and not only the 404 of a random id.
    ids = {
        "people": str(o["person"].pk),
        "cases": str(o["case"].pk),
        "safe-houses": str(o["spare_house"].pk),
        "tasks": str(o["task"].pk),
        "needs": str(o["need"].pk),
        "consents": str(o["consent"].pk),
        "placements": str(o["placement"].pk),
    }
    started = time.monotonic()
    failures: list[str] = []
    seen: Counter[int] = Counter()
    operations = [op for op in (result.ok() for result in schema.get_all_operations()) if op.path.startswith(OUR_PATHS)]
    assert len(operations) == 31

    def fuzz(strategy: Any, parts: list[str]) -> Callable[[], None]:
        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case: Any) -> None:
            if time.monotonic() - started > FUZZ_SECONDS:
                return
            params = case.path_parameters or {}
            if "case_id" in params and hash(str(params["case_id"])) % 2:
                params["case_id"] = ids["cases"]
            if "id" in params and hash(str(params["id"])) % 2:
                params["id"] = ids[parts[-2] if parts[-1] == "{id}" else parts[-3]]
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            seen[response.status_code] += 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {case.body!r:.200}")
            elif 200 <= response.status_code < 300:
                try:
                    case.validate_response(response, checks=[response_schema_conformance])
                except Exception as exc:  # collect, so one run reports every mismatch
                    failures.append(f"{case.method} {case.formatted_path} schema: {str(exc)[:300]}")

        return run

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation.as_strategy(generation_mode=mode), [p for p in operation.path.split("/") if p])()
    print("schemathesis statuses:", dict(sorted(seen.items())))  # noqa: T201 -- shown with -s, for the record
    assert failures == []
    # The run reached the domain, not only the validators: successes, refusals and 404s all occurred.
    assert seen[200] + seen[201] > 0 and seen[400] > 0 and seen[404] > 0
