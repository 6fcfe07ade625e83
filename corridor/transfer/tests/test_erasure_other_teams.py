"""Review R2: an erasure reaches every case of the person, so only someone who can see all of
them may preview, ask for or approve it. Otherwise a caseworker of one team saw the counts of
another team's case they cannot open ("1 case of which they are the only member", "7 case
notes") and, with a colleague of their own team, erased that case outright."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from corridor.accounts import sessions
from corridor.accounts.models import Role
from corridor.accounts.testing import World, make_staff, make_world, sign_in
from corridor.cases import domain as cases
from corridor.cases.domain.needs_tasks import add_note
from corridor.cases.models import Case, Person
from corridor.transfer.domain import erasure as actions
from corridor.transfer.models import ErasureRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    """A person on a team-B case of their own (with notes) and on a team-A family case."""
    world = make_world()
    both = make_staff(Role.CASEWORKER, teams=[world.team_a, world.team_b], username="both-teams")
    person, case_b = cases.create_person_with_case(both, team=world.team_b, names=[{"name": "Planted Person"}])
    for n in range(7):
        add_note(both, case_b, f"team B note {n}")
    _relative, case_a = cases.create_person_with_case(both, team=world.team_a, names=[{"name": "Relative"}])
    cases.add_member(both, case_a, person)
    world.extra |= {
        "both": both,
        "person": person,
        "case_b": case_b,
        "colleague_a": make_staff(Role.CASEWORKER, teams=[world.team_a], username="colleague-a"),
        "colleague_both": make_staff(Role.CASEWORKER, teams=[world.team_a, world.team_b], username="colleague-both"),
    }
    return world


def test_preview_of_a_person_with_cases_one_cannot_see_is_not_found(world: World) -> None:
    worker_a = world.users[Role.CASEWORKER]
    person: Person = world.extra["person"]
    page = sign_in(Client(), worker_a).get(f"/transfer/people/{person.pk}/erasure/")
    assert page.status_code == 404
    assert b"case notes" not in page.content
    api = sign_in(Client(), worker_a).get(f"/api/v1/transfer/people/{person.pk}/erasure/")
    assert api.status_code == 404
    assert sign_in(Client(), world.extra["both"]).get(f"/transfer/people/{person.pk}/erasure/").status_code == 200


def test_nobody_who_cannot_see_every_case_asks_for_or_approves_the_erasure(world: World) -> None:
    worker_a = world.users[Role.CASEWORKER]
    person: Person = world.extra["person"]
    with pytest.raises(PermissionDenied):
        actions.request_erasure(worker_a, person)
    asked = actions.request_erasure(world.extra["both"], person)
    with pytest.raises(PermissionDenied):
        actions.approve_erasure(world.extra["colleague_a"], asked)
    client = sign_in(Client(), world.extra["colleague_a"])
    session = client.session
    session[sessions.AUTH_AT] = time.time()
    session.save()
    assert client.post(f"/transfer/erasures/{asked.pk}/approve/").status_code == 404
    assert Case.objects.filter(pk=world.extra["case_b"].pk).exists()
    actions.approve_erasure(world.extra["colleague_both"], ErasureRequest.objects.get(pk=asked.pk))
    assert not Case.objects.filter(pk=world.extra["case_b"].pk).exists()
