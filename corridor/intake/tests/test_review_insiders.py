"""Second review of issue 10: a hotline operator of team B against a request that became team
A's case, through every triage door; and the anonymous door (act(None, None), unaudited) is
not a way for staff to change anything without an entry."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, make_world, sign_in
from corridor.audit.actions import act
from corridor.audit.models import AuditEntry
from corridor.cases.models import Case, Note
from corridor.intake import domain
from corridor.intake.models import IntakeAttachment, IntakeMessage, IntakeRequest, RequestState
from corridor.intake.tests.helpers import SECRET_STORY, submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _request(**overrides: Any) -> tuple[IntakeRequest, str]:
    response, passphrase = submit(**overrides)
    assert response.status_code == 200 and passphrase is not None
    return IntakeRequest.objects.get(lookup=domain.derive(passphrase).lookup.hex()), passphrase


def _file() -> io.BytesIO:
    upload = io.BytesIO("Письмо от соседа".encode())
    upload.name = "письмо.txt"
    return upload


def test_a_request_of_team_as_case_is_404_for_team_bs_hotline_at_every_door() -> None:
    world = make_world()
    hotline_a = world.users[Role.HOTLINE]
    hotline_b = make_staff(Role.HOTLINE, teams=[world.team_b], username="hotline-b")
    request, passphrase = _request()
    case = domain.open_case(hotline_a, request, name="Ислам", team=world.team_a)
    # A later message with a file, waiting to be moved into team A's case.
    Client().post("/help/return/send/", {"codename": passphrase, "text": "Я уже в поезде.", "file": _file()})
    attachment = IntakeAttachment.objects.filter(message__request=request).first()
    messages_before = IntakeMessage.objects.count()
    notes_before = Note.objects.filter(case=case).count()
    client = sign_in(Client(), hotline_b)
    assert client.get(f"/triage/{request.pk}/").status_code == 404
    for data in (
        {"action": "reply", "text": "Здравствуйте"},
        {"action": "spam"},
        {"action": "move"},
        {"action": "open_case", "name": "Ислам", "team": world.team_b.pk, "priority": "normal"},
    ):
        assert client.post(f"/triage/{request.pk}/", data).status_code == 404, data
    if attachment is not None:
        assert client.get(f"/triage/{request.pk}/files/{attachment.pk}/").status_code == 404
    # Nothing written, nothing read; the queue does not list it.
    request.refresh_from_db()
    assert (request.state, request.case_id) == (RequestState.CASE, case.pk)
    assert IntakeMessage.objects.count() == messages_before
    assert Note.objects.filter(case=case).count() == notes_before
    assert Case.objects.count() == 1
    assert request.pk not in {r.pk for r in domain.others(hotline_b) + domain.queue(hotline_b)}
    page = client.get("/triage/").content.decode()
    assert str(request.pk) not in page and SECRET_STORY not in page
    # Every refusal of the existing request is audited under team B's operator.
    assert AuditEntry.objects.filter(action="access.deny", actor_id=hotline_b.pk, object_id=str(request.pk)).count() >= 5


def test_other_roles_of_team_a_get_404_at_every_triage_door() -> None:
    world = make_world()
    request, _passphrase = _request(file=_file())
    attachment = IntakeAttachment.objects.get()
    for role in (Role.CASEWORKER, Role.RELOCATION, Role.DOCUMENTATION, Role.AUDITOR, Role.ADMIN):
        client = sign_in(Client(), world.users[role])
        assert client.get("/triage/").status_code == 404, role
        assert client.get(f"/triage/{request.pk}/").status_code == 404, role
        assert client.post(f"/triage/{request.pk}/", {"action": "reply", "text": "x"}).status_code == 404, role
        assert client.get(f"/triage/{request.pk}/files/{attachment.pk}/").status_code == 404, role
    assert IntakeMessage.objects.filter(direction="out").count() == 0


def test_staff_cannot_act_as_the_anonymous_door() -> None:
    world = make_world()
    hotline = world.users[Role.HOTLINE]
    # A signed-in user never acts without a named permission ...
    with pytest.raises(ValueError), act(hotline, None):
        pass
    # ... and only the system may change state without an entry.
    with pytest.raises(ValueError), act(None, None) as action:
        action.unaudited("")
    with pytest.raises(ValueError), act(hotline, "intake.handle_request") as action:
        action.unaudited("the intake's anonymous door")


def test_the_passphrase_stays_out_of_reprs_and_audit_entries() -> None:
    request, passphrase = _request()
    thread = domain.find(passphrase)
    assert thread is not None
    assert passphrase not in repr(thread)
    for word in passphrase.split():
        assert word not in repr(thread.keys)
    world = make_world()
    domain.reply(world.users[Role.HOTLINE], request, "Мы вам поможем.")
    for entry in AuditEntry.objects.all():
        assert passphrase not in repr(entry.__dict__)


def test_a_file_of_another_request_through_ones_own_request_is_an_audited_refusal() -> None:
    hotline = make_staff(Role.HOTLINE)
    one, _p = _request()
    other, _q = _request(file=_file())
    attachment = IntakeAttachment.objects.get(message__request=other)
    assert sign_in(Client(), hotline).get(f"/triage/{one.pk}/files/{attachment.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="access.deny", actor_id=hotline.pk, object_id=str(attachment.pk)).exists()
