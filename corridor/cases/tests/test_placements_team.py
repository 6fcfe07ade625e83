"""Placements stay inside the case's team: the domain refuses another team's safe house (the
API answers 400 with the standard error body), and placing someone ends only placements the
actor may see, each audited on its own case; one hidden from them is named and refused."""

from __future__ import annotations

import datetime
import json
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff, make_world, sign_in
from corridor.audit import log as audit
from corridor.cases import domain, queries
from corridor.cases.models import Case, Placement, SafeHouse

pytestmark = pytest.mark.django_db

API = "/api/v1"
TEAM_RULE = "A person of this case can only be placed in a safe house of the case's team."


def _case(actor: Any, team: Team, name: str) -> Case:
    person = domain.create_person(actor, names=[{"name": name, "kind": "legal"}])
    return domain.open_case(actor, team=team, principal=person)


def _house(actor: Any, team: Team, label: str, capacity: int = 3) -> SafeHouse:
    return domain.create_safe_house(actor, team=team, label=label, address=f"{label}, ул. Ленина 5", capacity=capacity)


def _principal(case: Case) -> Any:
    return case.members.get(role="principal").person


def _post(user: Any, url: str, data: dict[str, Any]) -> Any:
    return sign_in(Client(), user).post(url, json.dumps(data), content_type="application/json")


def test_a_user_in_two_teams_cannot_put_team_a_person_in_team_c_house() -> None:
    world = make_world()
    team_c = Team.objects.create(name="Team C")
    both = make_staff(Role.CASEWORKER, teams=[world.team_a, team_c], username="two-teams")
    case = _case(both, world.team_a, "Адам Ахмадов")
    house_c = _house(both, team_c, "Orange")
    response = _post(
        both, f"{API}/cases/{case.pk}/placements/", {"person": str(_principal(case).pk), "safe_house": str(house_c.pk)}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": "The request has invalid fields.", "fields": {"safe_house": [TEAM_RULE]}}
    }
    assert Placement.objects.count() == 0
    with pytest.raises(ValidationError) as refused:
        domain.place(both, case, _principal(case), house_c)
    assert refused.value.message_dict == {"safe_house": [TEAM_RULE]}


def test_break_glass_cannot_move_team_b_person_nor_end_their_placement() -> None:
    world = make_world()
    case_b = _case(world.outsider, world.team_b, "Ибрагим Хасанов")
    person_b = _principal(case_b)
    stay_b = domain.place(world.outsider, case_b, person_b, _house(world.outsider, world.team_b, "Blue"))
    worker_a = world.users[Role.CASEWORKER]
    house_a = _house(worker_a, world.team_a, "Green")
    domain.break_glass(worker_a, case_b, "The person phoned our line and says the house was found.")
    response = _post(
        worker_a, f"{API}/cases/{case_b.pk}/placements/", {"person": str(person_b.pk), "safe_house": str(house_a.pk)}
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"safe_house": [TEAM_RULE]}
    stay_b.refresh_from_db()
    assert (stay_b.end, Placement.objects.count()) == (None, 1)


def test_a_placement_through_a_hidden_case_is_named_and_not_ended() -> None:
    world = make_world()
    worker_a = world.users[Role.CASEWORKER]
    case_b = _case(world.outsider, world.team_b, "Ибрагим Хасанов")
    person = _principal(case_b)
    stay_b = domain.place(world.outsider, case_b, person, _house(world.outsider, world.team_b, "Blue"))
    # The same person is also on a team A case (say, as a dependant of a relative), put there
    # by someone in both teams: worker_a alone may not carry team B's person into a case.
    case_a = _case(worker_a, world.team_a, "Адам Ахмадов")
    domain.add_member(make_staff(Role.CASEWORKER, teams=[world.team_a, world.team_b], username="both-teams"), case_a, person)
    house_a = _house(worker_a, world.team_a, "Green")
    response = _post(worker_a, f"{API}/cases/{case_a.pk}/placements/", {"person": str(person.pk), "safe_house": str(house_a.pk)})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "person": [
            f"{person.codename} is placed in a safe house through another case, which you cannot see. "
            "Ask that case's team to end that placement first."
        ]
    }
    stay_b.refresh_from_db()
    assert stay_b.end is None
    assert Placement.objects.filter(person=person).count() == 1
    assert list(audit.entries_for(case_b).filter(action="placement.end")) == []


def test_a_visible_placement_elsewhere_is_ended_with_an_entry_on_its_own_case() -> None:
    world = make_world()
    both = make_staff(Role.CASEWORKER, teams=[world.team_a, world.team_b], username="both-teams")
    case_b = _case(world.outsider, world.team_b, "Ибрагим Хасанов")
    person = _principal(case_b)
    stay_b = domain.place(world.outsider, case_b, person, _house(world.outsider, world.team_b, "Blue"), datetime.date(2024, 1, 1))
    case_a = _case(both, world.team_a, "Адам Ахмадов")
    domain.add_member(both, case_a, person)
    moved = domain.place(both, case_a, person, _house(both, world.team_a, "Green"), datetime.date(2024, 3, 1))
    stay_b.refresh_from_db()
    assert (stay_b.end, moved.end, moved.case_id) == (datetime.date(2024, 3, 1), None, case_a.pk)
    assert [(e.action, e.actor_id) for e in audit.entries_for(case_b).filter(action__startswith="placement.")] == [
        ("placement.start", world.outsider.pk),
        ("placement.end", both.pk),
    ]


def test_capacity_is_checked_with_the_house_locked() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    house = _house(worker, world.team_a, "Small", capacity=1)
    first = _case(worker, world.team_a, "Адам Ахмадов")
    second = _case(worker, world.team_a, "Ибрагим Хасанов")
    domain.place(worker, first, _principal(first), house)
    with pytest.raises(ValidationError) as full:
        domain.place(worker, second, _principal(second), house)
    assert full.value.message_dict == {"safe_house": ["This safe house is full on that date."]}
    assert Placement.objects.filter(safe_house=house).count() == 1


def _place_together(monkeypatch: pytest.MonkeyPatch, placements: list[tuple[Any, Case, Any, Any]]) -> list[str]:
    """Run each (actor, case, person, house) placement in its own thread, all reaching the
    capacity check together; what each got: "placed" or the refusal's words."""
    barrier = threading.Barrier(len(placements))
    real_occupancy = queries.occupancy

    def occupancy_together(*args: Any, **kwargs: Any) -> int:
        try:
            barrier.wait(timeout=2)  # with the lock held, the other caller never arrives: go on alone
        except threading.BrokenBarrierError:
            pass
        return real_occupancy(*args, **kwargs)

    monkeypatch.setattr(queries, "occupancy", occupancy_together)
    outcomes: list[str] = []

    def place(actor: Any, case: Case, person: Any, house: Any) -> None:
        try:
            domain.place(actor, case, person, house)
            outcomes.append("placed")
        except ValidationError as refused:
            outcomes.append(" ".join(refused.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=args) for args in placements]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_placements_at_once_do_not_overfill_a_house(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both callers reach the capacity check together; the lock makes the second see the first."""
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    house = _house(worker, world.team_a, "Small", capacity=1)
    cases = [_case(worker, world.team_a, "Адам Ахмадов"), _case(worker, world.team_a, "Ибрагим Хасанов")]
    outcomes = _place_together(monkeypatch, [(worker, case, _principal(case), house) for case in cases])
    assert sorted(outcomes) == ["This safe house is full on that date.", "placed"]
    assert Placement.objects.filter(safe_house=house).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_placements_of_one_person_at_once_leave_one_stay(monkeypatch: pytest.MonkeyPatch) -> None:
    """A person with no stay yet, placed through two cases into two houses at the same moment:
    locking each house is not enough (there is no open placement to lock), the person is locked too,
    so the second caller sees the first stay and ends it (or is refused), never two open stays."""
    world = make_world()
    both = make_staff(Role.CASEWORKER, teams=[world.team_a, world.team_b], username="both-teams")
    case_a = _case(both, world.team_a, "Адам Ахмадов")
    person = _principal(case_a)
    case_b = domain.open_case(both, team=world.team_b, principal=_principal(_case(both, world.team_b, "Ибрагим Хасанов")))
    domain.add_member(both, case_b, person)
    worker_a, worker_b = world.users[Role.CASEWORKER], world.outsider
    houses = {case_a.pk: _house(both, world.team_a, "Green"), case_b.pk: _house(both, world.team_b, "Blue")}
    outcomes = _place_together(
        monkeypatch, [(actor, case, person, houses[case.pk]) for actor, case in ((worker_a, case_a), (worker_b, case_b))]
    )
    hidden = f"{person.codename} is placed in a safe house through another case, which you cannot see. "
    assert sorted(outcomes) == sorted(["placed", hidden + "Ask that case's team to end that placement first."])
    assert Placement.objects.filter(person=person, end__isnull=True).count() == 1
