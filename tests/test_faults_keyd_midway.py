"""keyd stops answering (or seals) after a request passed the sealed wall: the request is
answered sealed (503, the sealed page or the API's sealed error), not with a 500, and writes
nothing. tests/test_faults_keyd.py kills the real keyd under the real server.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from corridor.accounts.models import ApiToken, Role
from corridor.accounts.testing import World, make_world, sign_in
from corridor.cases import domain as cases
from corridor.cases.models import Note
from corridor.keys import api as keys
from corridor.keys import instance

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


@pytest.fixture(params=[keys.KeyServiceUnavailable, keys.Sealed])
def keyd_lost(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Status still says unsealed (the wall lets the request through); every key operation fails."""
    ring = instance.keyring()
    error = request.param

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise error("keyd went away")

    for operation in ("unwrap", "wrap", "generate_data_keys", "blind_index"):
        monkeypatch.setattr(ring, operation, fail)


@pytest.fixture
def case(world: World) -> Any:
    worker = world.users[Role.CASEWORKER]
    case = cases.create_person_with_case(worker, team=world.team_a, names=[{"name": "Someone"}])[1]
    cases.add_note(worker, case, "a note")
    return case


def test_a_page_reading_encrypted_data_answers_sealed(world: World, case: Any, keyd_lost: None) -> None:
    client = sign_in(Client(raise_request_exception=False), world.users[Role.CASEWORKER])
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "The instance is sealed" in response.content.decode()


def test_an_api_write_answers_sealed_and_writes_nothing(world: World, case: Any, keyd_lost: None) -> None:
    token = ApiToken.issue(world.users[Role.CASEWORKER])[1]
    client = Client(headers={"authorization": f"Bearer {token}"}, raise_request_exception=False)
    before = Note.objects.count()
    response = client.post(f"/api/v1/cases/{case.pk}/notes/", {"body": "lost"}, content_type="application/json")
    assert response.status_code == 503
    assert response.json() == {"error": {"code": "sealed", "message": "The instance is sealed. Trustees must unseal it."}}
    assert Note.objects.count() == before
    listing = client.get(f"/api/v1/cases/{case.pk}/notes/")
    assert (listing.status_code, listing.json()["error"]["code"]) == (503, "sealed")
