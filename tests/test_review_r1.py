"""Second review of the day's security code (R1): each test failed before its fix."""

from __future__ import annotations

import pytest
from django.test import Client

from corridor.accounts.models import Role
from corridor.accounts.testing import World, make_world, sign_in
from corridor.cases import domain
from corridor.cases.models import Case, Note, Priority

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def _open(world: World, name: str) -> Case:
    worker = world.users[Role.CASEWORKER]
    return domain.create_person_with_case(worker, team=world.team_a, priority=Priority.NORMAL, names=[{"name": name, "kind": "legal"}])[1]


@pytest.mark.parametrize(
    "created",
    # Well-formed positions whose time cannot be expressed in UTC: the database adapter's
    # conversion overflowed (OverflowError, a 500 on SQLite).
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_position_out_of_the_calendar_is_the_first_page(world: World, created: str, direction: str) -> None:
    import base64

    first = _open(world, "Person One")
    token = base64.urlsafe_b64encode(f"0~2026-01-01~{created}~{'0' * 32}".encode()).decode().rstrip("=")
    response = sign_in(Client(raise_request_exception=False), world.users[Role.CASEWORKER]).get("/cases/", {direction: token})
    assert response.status_code == 200
    assert [case.pk for case in response.context["rows"]] == [first.pk]
    assert response.context["stale_link"] is True
