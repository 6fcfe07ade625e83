"""Hand-offs: a case opened from a request for help goes from the hotline operator to a
caseworker of the team, from a form on the case page; audited, and the new owner is told in
the app (a notification that carries only the link to the case)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import World, make_world, sign_in
from corridor.audit import log as audit
from corridor.cases import domain
from corridor.cases.models import Case
from corridor.intake import domain as intake
from corridor.intake.models import IntakeRequest
from corridor.intake.tests.helpers import submit
from corridor.notifications.api import Kind, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    cache.clear()  # the help form's rate limits
    return make_world()


def _from_a_request(world: World) -> Case:
    response, codename = submit()
    assert response.status_code == 200 and codename is not None
    request = IntakeRequest.objects.get(lookup=intake.derive(codename).lookup.hex())
    return intake.open_case(world.users[Role.HOTLINE], request, name="Ислам", team=world.team_a)


def test_the_hotline_hands_a_case_from_a_request_to_a_caseworker(world: World) -> None:
    hotline, worker = world.users[Role.HOTLINE], world.users[Role.CASEWORKER]
    case = _from_a_request(world)
    assert case.owner == hotline
    page = sign_in(Client(), hotline)
    detail = page.get(reverse("cases:case", args=[case.pk]))
    body = detail.content.decode()
    assert 'id="owner-form"' in body
    choices = [user.username for user in detail.context["owner_form"].fields["owner"].queryset]
    assert worker.username in choices and world.outsider.username not in choices

    done = page.post(reverse("cases:case_owner", args=[case.pk]), {"owner": worker.pk})
    assert (done.status_code, done["Location"]) == (302, reverse("cases:case", args=[case.pk]))
    case.refresh_from_db()
    assert case.owner == worker
    assert [entry.action for entry in audit.entries_for(case)][-1] == "case.owner.assign"
    told = list(Notification.objects.filter(user=worker))
    assert [(n.kind, n.link, n.team_id) for n in told] == [
        (Kind.CASE_ASSIGNED, reverse("cases:case", args=[case.pk]), world.team_a.pk)
    ]
    # Nobody else is told, and the notification names no one.
    assert Notification.objects.exclude(user=worker).filter(kind=Kind.CASE_ASSIGNED).count() == 0
    assert "Ислам" not in told[0].text

    # The new owner sees themselves as owner on the case page.
    mine = sign_in(Client(), worker).get(reverse("cases:case", args=[case.pk])).content.decode()
    assert f'<span id="owner-name">{worker.username}</span>' in mine


def test_taking_a_case_oneself_or_no_change_tells_nobody(world: World) -> None:
    hotline, worker = world.users[Role.HOTLINE], world.users[Role.CASEWORKER]
    case = domain.open_case(worker, team=world.team_a, principal=domain.create_person(worker, names=[{"name": "A"}]))
    domain.assign_owner(worker, case, worker)  # unchanged
    domain.assign_owner(hotline, case, hotline)  # takes it
    domain.assign_owner(hotline, case, None)  # nobody
    assert Notification.objects.filter(kind=Kind.CASE_ASSIGNED).count() == 0


def test_a_refused_hand_off_tells_nobody(world: World) -> None:
    hotline = world.users[Role.HOTLINE]
    case = _from_a_request(world)
    refused = sign_in(Client(), hotline).post(reverse("cases:case_owner", args=[case.pk]), {"owner": world.outsider.pk})
    assert refused.status_code == 400
    assert Notification.objects.filter(kind=Kind.CASE_ASSIGNED).count() == 0


@pytest.mark.parametrize("role", [Role.RELOCATION, Role.DOCUMENTATION])
def test_roles_that_may_not_assign_see_no_form(world: World, role: str) -> None:
    case = domain.open_case(
        world.users[Role.CASEWORKER],
        team=world.team_a,
        principal=domain.create_person(world.users[Role.CASEWORKER], names=[{"name": "A"}]),
    )
    page = sign_in(Client(), world.users[role]).get(reverse("cases:case", args=[case.pk]))
    assert page.status_code == 200
    assert 'id="owner-form"' not in page.content.decode() and page.context["owner_form"] is None
