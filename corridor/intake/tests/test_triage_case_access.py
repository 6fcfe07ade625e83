"""A help request that became a case belongs to that case: its thread, new messages, files and
replies are for those who may see the case (team or break-glass), 404 for everyone else."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from corridor.accounts.models import Role, User
from corridor.accounts.testing import World, make_staff, make_world, sign_in
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, Document, Note
from corridor.intake import domain
from corridor.intake.models import IntakeAttachment, IntakeMessage, IntakeRequest
from corridor.intake.tests.helpers import SECRET_STORY, SEND, submit

pytestmark = pytest.mark.django_db

LATER = "Меня нашли, я уезжаю в Нальчик"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _file() -> io.BytesIO:
    upload = io.BytesIO("Справка из больницы".encode())
    upload.name = "справка.txt"
    return upload


def _b_case_with_new_message() -> tuple[World, User, IntakeRequest, Case]:
    world = make_world()
    hotline_b = make_staff(Role.HOTLINE, teams=[world.team_b], username="hotline-b")
    _response, codename = submit()
    assert codename is not None
    request = IntakeRequest.objects.get()
    case = domain.open_case(hotline_b, request, name="Ахмед", team=world.team_b)
    # The person writes again, with a file, after team B opened the case.
    answer = Client(REMOTE_ADDR="198.51.100.9").post(SEND, {"codename": codename, "text": LATER, "file": _file()})
    assert answer.status_code == 200
    request.refresh_from_db()
    return world, hotline_b, request, case


def test_another_teams_hotline_gets_404_on_a_request_that_became_a_case() -> None:
    world, _hotline_b, request, case = _b_case_with_new_message()
    attachment = IntakeAttachment.objects.get()
    client = sign_in(Client(), world.users[Role.HOTLINE])
    notes_before = Note.objects.filter(case=case).count()
    documents_before = Document.objects.filter(case=case).count()

    page = client.get(f"/triage/{request.pk}/")
    assert page.status_code == 404
    assert case.reference not in page.content.decode()
    assert LATER not in page.content.decode()
    assert client.get(f"/triage/{request.pk}/files/{attachment.pk}/").status_code == 404
    assert client.post(f"/triage/{request.pk}/", {"action": "move"}).status_code == 404
    assert client.post(f"/triage/{request.pk}/", {"action": "reply", "text": "Это команда Б"}).status_code == 404
    assert client.post(f"/triage/{request.pk}/", {"action": "spam"}).status_code == 404

    # Nothing moved into B's case, no reply went to the person, the new message still waits.
    assert Note.objects.filter(case=case).count() == notes_before
    assert Document.objects.filter(case=case).count() == documents_before
    assert list(IntakeMessage.objects.filter(request=request).values_list("direction", flat=True)) == ["in"]
    # The queue neither lists the request nor names B's case.
    queue = client.get("/triage/")
    assert queue.status_code == 200
    html = queue.content.decode()
    assert request.reference not in html
    assert case.reference not in html


def test_the_domain_refuses_another_team_too() -> None:
    world, _hotline_b, request, _case = _b_case_with_new_message()
    hotline_a = world.users[Role.HOTLINE]
    assert domain.queue(hotline_a) == []
    assert domain.others(hotline_a) == []
    with pytest.raises(PermissionDenied):
        domain.open_thread(hotline_a, request)
    with pytest.raises(PermissionDenied):
        domain.reply(hotline_a, request, "Это команда Б")
    with pytest.raises(PermissionDenied):
        domain.move_new_messages(hotline_a, request)
    with pytest.raises(PermissionDenied):
        domain.open_attachment(hotline_a, IntakeAttachment.objects.get())
    assert IntakeMessage.objects.filter(request=request).count() == 1


def test_the_cases_team_and_break_glass_still_work_the_thread() -> None:
    world, hotline_b, request, case = _b_case_with_new_message()
    assert [r.pk for r in domain.queue(hotline_b)] == [request.pk]
    client_b = sign_in(Client(), hotline_b)
    page = client_b.get(f"/triage/{request.pk}/")
    assert page.status_code == 200
    assert LATER in page.content.decode()
    assert case.reference in page.content.decode()

    # Team A's operator asks for the case with a reason, and then may work its thread.
    hotline_a = world.users[Role.HOTLINE]
    cases_domain.break_glass(hotline_a, case, "The person called our line and says they are in danger now.")
    client_a = sign_in(Client(), hotline_a)
    assert client_a.get(f"/triage/{request.pk}/").status_code == 200
    assert client_a.post(f"/triage/{request.pk}/", {"action": "move"}).status_code == 302
    assert LATER in Note.objects.filter(case=case).order_by("-created").first().body
    assert Document.objects.filter(case=case).count() == 1
    assert IntakeMessage.objects.filter(request=request).count() == 0


def test_a_request_without_a_case_is_open_to_every_hotline_operator() -> None:
    world = make_world()
    hotline_b = make_staff(Role.HOTLINE, teams=[world.team_b], username="hotline-b")
    submit()
    request = IntakeRequest.objects.get()
    for operator in (world.users[Role.HOTLINE], hotline_b):
        page = sign_in(Client(), operator).get(f"/triage/{request.pk}/")
        assert page.status_code == 200
        assert SECRET_STORY in page.content.decode()


def test_two_operators_opening_a_case_at_once_make_one_case() -> None:
    """Both loaded the request before either opened a case (two requests at the same moment):
    the second must be refused, not open a second case and take the request to its own team."""
    world = make_world()
    hotline_b = make_staff(Role.HOTLINE, teams=[world.team_b], username="hotline-b")
    _response, codename = submit()
    seen_by_a, seen_by_b = IntakeRequest.objects.get(), IntakeRequest.objects.get()
    case_b = domain.open_case(hotline_b, seen_by_b, name="Ахмед", team=world.team_b)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        domain.open_case(world.users[Role.HOTLINE], seen_by_a, name="Ахмед", team=world.team_a)
    assert refused.value.messages == ["A case was already opened from this request."]
    assert list(Case.objects.values_list("pk", flat=True)) == [case_b.pk]
    assert IntakeRequest.objects.get().case_id == case_b.pk


def test_a_reply_or_spam_mark_sent_as_the_case_is_opened_is_checked_against_the_case() -> None:
    """Loaded before team B opened the case, answered after: the rule is read under the lock."""
    world = make_world()
    hotline_b = make_staff(Role.HOTLINE, teams=[world.team_b], username="hotline-b")
    submit()
    seen_by_a, seen_by_b = IntakeRequest.objects.get(), IntakeRequest.objects.get()
    domain.open_case(hotline_b, IntakeRequest.objects.get(), name="Ахмед", team=world.team_b)
    replies = IntakeMessage.objects.filter(direction="out").count()
    with pytest.raises(PermissionDenied):
        domain.reply(world.users[Role.HOTLINE], seen_by_a, "Мы из команды А, напишите нам")
    with pytest.raises(PermissionDenied):
        domain.mark_spam(world.users[Role.HOTLINE], seen_by_a)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        domain.mark_spam(hotline_b, seen_by_b)
    assert refused.value.messages == ["A request that became a case cannot be marked as spam."]
    assert IntakeMessage.objects.filter(direction="out").count() == replies
    assert IntakeRequest.objects.get().state == "case"
