"""Ownership does not outlive membership: access comes from the team, and an owner who
leaves the team (or the role that works cases) loses the case and its ownership at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from corridor.accounts import domain as accounts
from corridor.accounts.models import ApiToken, Role
from corridor.accounts.testing import World, make_staff, make_world, sign_in
from corridor.audit import log as audit
from corridor.cases import domain
from corridor.cases.models import Case

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _case(actor: Any, team: Any) -> Case:
    person = domain.create_person(actor, names=[{"name": "Зелимхан Planted-Owner", "kind": "legal"}])
    return domain.open_case(actor, team=team, principal=person, summary="Planted owner summary")


def _api(token: str, path: str) -> Any:
    return Client().get(path, headers={"authorization": f"Bearer {token}"})


def _actions(case: Case) -> list[str]:
    return [entry.action for entry in audit.entries_for(case)]


@pytest.fixture
def world() -> World:
    return make_world()


def test_an_owner_moved_out_of_the_team_loses_the_case_at_once(world: World) -> None:
    creator = world.users[Role.CASEWORKER]
    case = _case(creator, world.team_a)
    token = accounts.create_api_token(creator, creator)
    pages = sign_in(Client(), creator)
    assert pages.get(reverse("cases:case", args=[case.pk])).status_code == 200
    assert _api(token, f"{API}/cases/{case.pk}/").status_code == 200
    admin = sign_in(Client(), world.users[Role.ADMIN])
    saved = admin.post(reverse("accounts:user", args=[creator.pk]), {"role": Role.CASEWORKER, "teams": [world.team_b.pk]})
    assert saved.status_code == 302
    # Signed in again, token re-activated: still nothing of team A's case, on pages or through the API.
    creator.refresh_from_db()
    pages = sign_in(Client(), creator)
    accounts.activate_api_token(creator, ApiToken.objects.get(user=creator))
    for path in (reverse("cases:case", args=[case.pk]), reverse("cases:person", args=[case.members.get().person_id])):
        response = pages.get(path)
        assert response.status_code == 404
        assert b"Planted" not in response.content
    listed = pages.get(reverse("cases:cases"))
    assert case.reference.encode() not in listed.content
    assert _api(token, f"{API}/cases/{case.pk}/").status_code == 404
    assert _api(token, f"{API}/cases/").json()["count"] == 0
    case.refresh_from_db()
    assert case.owner is None
    assert _actions(case).count("case.owner.release") == 1
    # The admins' review page lists it, with the way to give it a new owner.
    review = admin.get(reverse("cases:break_glass_review"))
    assert review.content.count(reverse("cases:case_owner", args=[case.pk]).encode()) == 1
    assert b"Planted" not in review.content


def test_removal_from_the_team_ends_access_without_ending_sessions(world: World) -> None:
    creator = world.users[Role.CASEWORKER]
    case = _case(creator, world.team_a)
    token = accounts.create_api_token(creator, creator)
    pages = sign_in(Client(), creator)
    world.team_a.members.remove(creator)
    assert pages.get(reverse("cases:case", args=[case.pk])).status_code == 404
    assert _api(token, f"{API}/cases/{case.pk}/").status_code == 404
    assert Case.objects.get(pk=case.pk).owner_id is None


def test_a_new_role_without_cases_ends_ownership(world: World) -> None:
    creator = world.users[Role.CASEWORKER]
    case = _case(creator, world.team_a)
    accounts.set_role_and_teams(world.users[Role.ADMIN], creator, role=Role.AUDITOR, teams=[world.team_a])
    assert Case.objects.get(pk=case.pk).owner_id is None
    # A move that keeps the team and a role that works cases keeps the ownership.
    other = make_staff(Role.CASEWORKER, teams=[world.team_a])
    kept = _case(other, world.team_a)
    accounts.set_role_and_teams(world.users[Role.ADMIN], other, role=Role.HOTLINE, teams=[world.team_a, world.team_b])
    assert Case.objects.get(pk=kept.pk).owner_id == other.pk


def test_the_team_reassigns_the_owner_through_the_page(world: World) -> None:
    creator = world.users[Role.CASEWORKER]
    hotline = world.users[Role.HOTLINE]
    case = _case(creator, world.team_a)
    page = sign_in(Client(), hotline)
    form = page.get(reverse("cases:case_owner", args=[case.pk]))
    assert form.status_code == 200
    assert world.outsider.username.encode() not in form.content
    # Someone outside the team cannot be made owner (it would give them nothing, and confuse).
    refused = page.post(reverse("cases:case_owner", args=[case.pk]), {"owner": world.outsider.pk})
    assert refused.status_code == 400
    assert Case.objects.get(pk=case.pk).owner_id == creator.pk
    done = page.post(reverse("cases:case_owner", args=[case.pk]), {"owner": hotline.pk})
    assert (done.status_code, done["Location"]) == (302, reverse("cases:case", args=[case.pk]))
    assert Case.objects.get(pk=case.pk).owner_id == hotline.pk
    assert _actions(case)[-1] == "case.owner.assign"


def test_who_may_reassign(world: World) -> None:
    case = _case(world.users[Role.CASEWORKER], world.team_a)
    url = reverse("cases:case_owner", args=[case.pk])
    for role in (Role.RELOCATION, Role.DOCUMENTATION, Role.AUDITOR, Role.TRUSTEE):
        assert sign_in(Client(), world.users[role]).get(url).status_code == 404, role
    outsider = sign_in(Client(), world.outsider)
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"owner": world.outsider.pk}).status_code == 404
    # An admin sees reference, team and owner only, and may hand the case on.
    admin = sign_in(Client(), world.users[Role.ADMIN])
    page = admin.get(url)
    assert page.status_code == 200
    assert b"Planted" not in page.content
    assert admin.post(url, {"owner": ""}).status_code == 302
    assert Case.objects.get(pk=case.pk).owner_id is None


def test_the_owner_must_be_in_the_team_when_the_case_is_opened(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    person = domain.create_person(worker, names=[{"name": "Someone", "kind": "legal"}])
    with pytest.raises(ValidationError):
        domain.open_case(worker, team=world.team_a, principal=person, owner=world.outsider)
