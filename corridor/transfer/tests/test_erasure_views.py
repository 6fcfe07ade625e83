"""Erasure and retention pages and API: the access matrix, the preview counting what goes, the
request and a colleague's approval (step-up), English and Russian."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from corridor.accounts import sessions
from corridor.accounts.models import Role
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.cases import domain as cases
from corridor.cases.models import Person
from corridor.transfer.domain import erasure as actions
from corridor.transfer.models import ErasureRequest, ErasureStatus, RecordKind, RetentionPolicy

pytestmark = pytest.mark.django_db

ADMIN = {Role.ADMIN}
WORKER = {Role.CASEWORKER}
API = "/api/v1/transfer"


@pytest.fixture
def world() -> World:
    world = make_world()
    for key, team, actor in (("a", world.team_a, world.users[Role.CASEWORKER]), ("b", world.team_b, world.outsider)):
        colleague = make_staff(Role.CASEWORKER, teams=[team], username=f"colleague-{key}")
        for n in ("", "2", "3"):
            person, _case = cases.create_person_with_case(actor, team=team, names=[{"name": f"Person {key}{n}"}])
            world.extra[f"person_{key}{n}"] = person
        world.extra[f"request_{key}"] = actions.request_erasure(colleague, world.extra[f"person_{key}"])
        world.extra[f"request_{key}2"] = actions.request_erasure(colleague, world.extra[f"person_{key}2"])
    return world


def _person(key: str, suffix: str = "") -> Any:
    return lambda w: f"/transfer/people/{w.extra['person_' + key].pk}/erasure/{suffix}"


def _request(key: str, suffix: str) -> Any:
    return lambda w: f"/transfer/erasures/{w.extra['request_' + key].pk}/{suffix}"


def _reopen(key: str) -> Any:
    def after(world: World) -> None:
        ErasureRequest.objects.filter(pk=world.extra[f"request_{key}"].pk).update(status=ErasureStatus.REQUESTED)

    return after


def _withdraw_new(world: World) -> None:
    ErasureRequest.objects.filter(person=world.extra["person_a3"]).delete()


ROUTES = [
    Route("transfer:erasure", _person("a"), WORKER, other_team_url=_person("b")),
    Route("transfer:erasures", lambda w: "/transfer/erasures/", ADMIN | WORKER),
    Route("transfer:retention", lambda w: "/transfer/retention/", ADMIN),
    Route(
        "transfer:erasure_request",
        lambda w: f"/transfer/people/{w.extra['person_a3'].pk}/erasure/request/",
        WORKER,
        method="post",
        ok_status=(302,),
        other_team_url=lambda w: f"/transfer/people/{w.extra['person_b3'].pk}/erasure/request/",
        after=_withdraw_new,
    ),
    Route(
        "transfer:erasure_cancel",
        _request("a", "cancel/"),
        WORKER,
        method="post",
        ok_status=(302,),
        other_team_url=_request("b", "cancel/"),
        after=_reopen("a"),
    ),
    Route(
        "api-transfer-person-erasure",
        lambda w: f"{API}/people/{w.extra['person_a'].pk}/erasure/",
        WORKER,
        api=True,
        other_team_url=lambda w: f"{API}/people/{w.extra['person_b'].pk}/erasure/",
    ),
    Route(
        "api-transfer-person-erasure",
        lambda w: f"{API}/people/{w.extra['person_a3'].pk}/erasure/",
        WORKER,
        method="post",
        ok_status=(201,),
        api=True,
        after=_withdraw_new,
    ),
    Route(
        "api-transfer-erasure",
        lambda w: f"{API}/erasures/{w.extra['request_a'].pk}/",
        WORKER,
        api=True,
        other_team_url=lambda w: f"{API}/erasures/{w.extra['request_b'].pk}/",
    ),
    Route(
        "api-transfer-erasure-cancel",
        lambda w: f"{API}/erasures/{w.extra['request_a'].pk}/cancel/",
        WORKER,
        method="post",
        api=True,
        other_team_url=lambda w: f"{API}/erasures/{w.extra['request_b'].pk}/cancel/",
        after=_reopen("a"),
    ),
    # Last: the approval erases person a2.
    Route(
        "transfer:erasure_approve",
        _request("a2", "approve/"),
        WORKER,
        method="post",
        ok_status=(302,),
        other_team_url=_request("b2", "approve/"),
    ),
]


def test_matrix(world: World) -> None:
    assert check_matrix(world, ROUTES) > 0


def test_preview_request_and_approval_through_the_pages(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    person = world.extra["person_a3"]
    page = sign_in(Client(), worker).get(f"/transfer/people/{person.pk}/erasure/")
    html = page.content.decode()
    assert page.status_code == 200 and "1 case of which they are the only member" in html and "Request erasure" in html
    with translation.override("ru"):
        client = sign_in(Client(), worker)
        client.cookies["django_language"] = "ru"
        ru = client.get(f"/transfer/people/{person.pk}/erasure/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Запросить удаление" in ru

    assert sign_in(Client(), worker).post(f"/transfer/people/{person.pk}/erasure/request/").status_code == 302
    request = ErasureRequest.objects.get(person=person, status=ErasureStatus.REQUESTED)
    # The requester cannot approve; nothing happens.
    sign_in(Client(), worker).post(f"/transfer/erasures/{request.pk}/approve/")
    assert Person.objects.only("erased").get(pk=person.pk).erased is None
    # A colleague must confirm who they are first.
    colleague = make_staff(Role.CASEWORKER, teams=[world.team_a], username="second")
    stale = sign_in(Client(), colleague)
    session = stale.session
    session[sessions.AUTH_AT] = 0
    session.save()
    response = stale.post(f"/transfer/erasures/{request.pk}/approve/")
    assert response.status_code == 302 and "/accounts/reauth/" in response["Location"]
    assert Person.objects.only("erased").get(pk=person.pk).erased is None
    assert sign_in(Client(), colleague).post(f"/transfer/erasures/{request.pk}/approve/").status_code == 302
    assert Person.objects.only("erased").get(pk=person.pk).erased is not None
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.DONE


def test_retention_page_saves_policies(world: World) -> None:
    admin = world.users[Role.ADMIN]
    client = sign_in(Client(), admin)
    assert client.get("/transfer/retention/").status_code == 200
    data = {kind: "" for kind in RecordKind.values}
    data[RecordKind.CLOSED_CASES] = "1825"
    data[RecordKind.INTAKE_SPAM] = "nonsense"
    assert client.post("/transfer/retention/", data).status_code == 400
    data[RecordKind.INTAKE_SPAM] = "7"
    assert client.post("/transfer/retention/", data).status_code == 302
    assert RetentionPolicy.objects.get(kind=RecordKind.CLOSED_CASES).days == 1825
