"""The access helpers (corridor/cases/access.py): one per object kind, each taking the permission
wanted. Missing and not-yours answer the same 404; a visible object the role may not use for
that is NotPermitted (404 on pages, 403 in the API); refusals of existing objects are audited.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role, User
from corridor.accounts.testing import World, make_world, sign_in
from corridor.audit.models import AuditEntry
from corridor.cases import access, domain
from corridor.cases.models import BreakGlass, Case, Need, Person, SafeHouse, Status, Task

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _case(actor: User, team: Any, name: str) -> Case:
    person = domain.create_person(actor, names=[{"name": name, "kind": "legal"}], birth_date=datetime.date(1990, 1, 1))
    return domain.open_case(actor, team=team, principal=person)


@pytest.fixture
def world() -> World:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    ours = _case(worker, world.team_a, "Адам Ахмадов")
    theirs = _case(world.outsider, world.team_b, "Зелимхан Бакаев")
    world.extra = {
        "ours": ours,
        "theirs": theirs,
        "our_person": ours.members.get().person,
        "their_person": theirs.members.get().person,
        "our_house": domain.create_safe_house(worker, team=world.team_a, label="Blue", address="Somewhere 1", capacity=3),
        "their_house": domain.create_safe_house(
            world.outsider, team=world.team_b, label="Red", address="Elsewhere 2", capacity=3
        ),
        "our_task": domain.add_task(worker, ours, "call the lawyer"),
        "their_task": domain.add_task(world.outsider, theirs, "call the embassy"),
    }
    return world


def _denials(actor: User) -> list[tuple[str, str]]:
    return list(AuditEntry.objects.filter(action="access.deny", actor_id=actor.pk).values_list("object_type", "object_id"))


# Each helper, team A's object and team B's, and a permission the relocation role lacks on it.
HELPERS = pytest.mark.parametrize(
    ("helper", "ours", "theirs", "perm"),
    [
        (access.get_case_for_user, "ours", "theirs", "cases.change_case"),
        (access.get_person_for_user, "our_person", "their_person", "cases.change_case"),
        (access.get_safe_house_for_user, "our_house", "their_house", "cases.manage_safe_houses"),
    ],
)


@HELPERS
def test_missing_and_not_yours_are_the_same_404_and_only_an_existing_one_is_audited(
    world: World, helper: Any, ours: str, theirs: str, perm: str
) -> None:
    worker = world.users[Role.CASEWORKER]
    assert helper(worker, world.extra[ours].pk) == world.extra[ours]
    for missing in (uuid.uuid4(), "not-an-id", None):
        with pytest.raises(Http404) as refused:
            helper(worker, missing)
        assert type(refused.value) is Http404
    assert _denials(worker) == []
    with pytest.raises(Http404) as refused:
        helper(worker, world.extra[theirs].pk)
    assert type(refused.value) is Http404  # not NotPermitted: the API must not answer 403 for it
    assert [object_id for _type, object_id in _denials(worker)] == [str(world.extra[theirs].pk)]


@HELPERS
def test_a_visible_object_the_role_may_not_use_is_not_permitted_and_audited(
    world: World, helper: Any, ours: str, theirs: str, perm: str
) -> None:
    relocation = world.users[Role.RELOCATION]
    obj = world.extra[ours]
    assert helper(relocation, obj.pk) == obj  # reading is fine
    assert _denials(relocation) == []
    with pytest.raises(access.NotPermitted):
        helper(relocation, obj.pk, perm)
    assert [object_id for _type, object_id in _denials(relocation)] == [str(obj.pk)]
    assert helper(world.users[Role.CASEWORKER], obj.pk, perm) == obj


def test_a_case_child_is_reached_through_its_own_case_and_the_permission(world: World) -> None:
    worker, documentation = world.users[Role.CASEWORKER], world.users[Role.DOCUMENTATION]
    ours, task = world.extra["ours"], world.extra["our_task"]
    found = access.get_case_child(worker, Task, ours.pk, task.pk, "cases.manage_tasks")
    assert found == task and found.case is not None and found.case.team == world.team_a
    # Another case's child, through a case one can see, is simply not there.
    with pytest.raises(Http404):
        access.get_case_child(worker, Task, ours.pk, world.extra["their_task"].pk)
    with pytest.raises(Http404):
        access.get_case_child(worker, Task, world.extra["theirs"].pk, world.extra["their_task"].pk)
    with pytest.raises(Http404):
        access.get_case_child(worker, Need, ours.pk, task.pk)  # right id, wrong kind
    assert access.get_case_child(documentation, Task, ours.pk, task.pk, "cases.manage_tasks") == task
    with pytest.raises(access.NotPermitted):
        access.get_case_child(documentation, Task, ours.pk, task.pk, "cases.change_case")


def test_pages_and_endpoints_without_an_object_check_the_role(world: World) -> None:
    worker, admin = world.users[Role.CASEWORKER], world.users[Role.ADMIN]
    assert access.user_with_perm(worker) == worker
    assert access.user_with_perm(worker, "cases.add_case", "cases.change_case") == worker
    with pytest.raises(access.NotPermitted):
        access.user_with_perm(admin)
    with pytest.raises(access.NotPermitted):
        access.user_with_perm(world.users[Role.RELOCATION], "cases.view_case", "cases.add_case")


def test_break_glass_grants_are_reviewed_by_admins_only(world: World) -> None:
    grant = domain.break_glass(world.outsider, world.extra["ours"], "The owner is unreachable and he calls now.")
    admin = world.users[Role.ADMIN]
    assert access.get_grant_for_review(admin, grant.pk) == grant
    with pytest.raises(Http404):
        access.get_grant_for_review(admin, uuid.uuid4())
    with pytest.raises(access.NotPermitted):
        access.get_grant_for_review(world.users[Role.CASEWORKER], grant.pk)
    assert BreakGlass.objects.get(pk=grant.pk).reviewed is None


# -- what the two kinds of callers answer -------------------------------------------------------


def _api(user: User) -> Client:
    return sign_in(Client(), user)


def test_the_api_answers_403_for_a_visible_case_before_reading_the_body_and_404_for_another_teams(world: World) -> None:
    relocation = _api(world.users[Role.RELOCATION])
    ours, theirs = world.extra["ours"], world.extra["theirs"]
    for body in ({"status": "verifying", "reason": "referred"}, {"status": 12}):
        refused = relocation.post(f"{API}/cases/{ours.pk}/transition/", body, content_type="application/json")
        assert refused.status_code == 403
        assert refused.json()["error"] == {
            "code": "permission_denied",
            "message": "Your role may not change this.",
            "fields": {},
        }
    hidden = relocation.post(f"{API}/cases/{theirs.pk}/transition/", {"status": 12}, content_type="application/json")
    assert hidden.status_code == 404 and hidden.json()["error"]["code"] == "not_found"
    task = _api(world.users[Role.DOCUMENTATION]).post(
        f"{API}/cases/{ours.pk}/tasks/{world.extra['our_task'].pk}/complete/", content_type="application/json"
    )
    assert task.status_code == 200  # documentation manages tasks
    ours.refresh_from_db()
    assert ours.status == Status.NEW


def test_the_api_create_endpoints_refuse_the_role_before_reading_the_body(world: World) -> None:
    documentation = _api(world.users[Role.DOCUMENTATION])
    people, houses = Person.objects.count(), SafeHouse.objects.count()
    for url in (f"{API}/people/", f"{API}/cases/", f"{API}/safe-houses/"):
        refused = documentation.post(url, "{not json", content_type="application/json")
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "permission_denied"), url
    assert (Person.objects.count(), SafeHouse.objects.count()) == (people, houses)


def test_pages_answer_404_where_the_role_may_not_change_and_nothing_changes(world: World) -> None:
    ours = world.extra["ours"]
    relocation = sign_in(Client(), world.users[Role.RELOCATION])
    assert relocation.get(reverse("cases:verification", args=[ours.pk])).status_code == 200
    refused = relocation.post(reverse("cases:verification", args=[ours.pk]), {"method": "interview"})
    assert refused.status_code == 404
    assert ours.verifications.count() == 0
    assert [object_id for _type, object_id in _denials(world.users[Role.RELOCATION])] == [str(ours.pk)]
