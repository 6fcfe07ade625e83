"""Staff triage: only hotline operators, oldest emergency first, reply, spam, open a case,
and retention. Times staff see are whole hours."""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from corridor.accounts.models import Role
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.cases.models import Case, Document, Note
from corridor.intake import domain
from corridor.intake.models import IntakeAttachment, IntakeMessage, IntakeRequest, RequestState, Urgency
from corridor.intake.tests.helpers import RETURN, SECRET_STORY, submit
from corridor.keys import files as encrypted_files
from corridor.keys import instance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _request(**overrides: Any) -> IntakeRequest:
    response, codename = submit(**overrides)
    assert response.status_code == 200 and codename is not None, response.content.decode()[:500]
    return IntakeRequest.objects.get(lookup=domain.derive(codename).lookup.hex())


def _triage(key: str, tail: str = "") -> Callable[[World], str]:
    return lambda w: f"/triage/{w.extra[key].pk}/{tail}"


ROUTES = [
    Route("intake:queue", lambda w: "/triage/", {Role.HOTLINE}),
    Route("intake:request", _triage("request"), {Role.HOTLINE}),
    Route(
        "intake:attachment",
        lambda w: f"/triage/{w.extra['attachment_request'].pk}/files/{w.extra['attachment'].pk}/",
        {Role.HOTLINE},
    ),
    Route(
        "intake:request",
        _triage("request"),
        {Role.HOTLINE},
        method="post",
        data={"action": "reply", "text": "Здравствуйте"},
        ok_status=(302,),
    ),
]


def test_permission_matrix_only_hotline_operators() -> None:
    world = make_world()
    request = world.extra["request"] = _request()
    world.extra["attachment_request"] = _request(file=_text_file())
    world.extra["attachment"] = IntakeAttachment.objects.get()
    assert check_matrix(world, ROUTES) == len(ROUTES) * (1 + len(world.users))
    # Only the hotline operator's reply went through, once.
    assert IntakeMessage.objects.filter(request=request, direction="out").count() == 1


def test_file_of_another_request_is_404() -> None:
    hotline = make_staff(Role.HOTLINE)
    one = _request()
    other = _request(file=_text_file())
    attachment = IntakeAttachment.objects.get(message__request=other)
    client = sign_in(Client(), hotline)
    assert client.get(f"/triage/{one.pk}/files/{attachment.pk}/").status_code == 404
    response = client.get(f"/triage/{other.pk}/files/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="intake-{other.reference}.txt"'
    assert response.content == "Письмо от соседа".encode()


def _text_file() -> io.BytesIO:
    upload = io.BytesIO("Письмо от соседа".encode())
    upload.name = "письмо.txt"
    return upload


def test_queue_puts_the_oldest_emergency_first_and_shows_hours() -> None:
    hotline = make_staff(Role.HOTLINE)
    normal = _request(q_safe_now="yes")
    unsure = _request(q_safe_now="unsure")
    new_emergency = _request(q_safe_now="no")
    old_emergency = _request(q_safe_now="no")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    IntakeRequest.objects.filter(pk=old_emergency.pk).update(created_hour=hour - datetime.timedelta(hours=5))
    IntakeRequest.objects.filter(pk=normal.pk).update(created_hour=hour - datetime.timedelta(hours=9))
    assert [r.pk for r in domain.queue(hotline)] == [old_emergency.pk, new_emergency.pk, unsure.pk, normal.pk]
    assert [r.urgency for r in domain.queue(hotline)] == [Urgency.EMERGENCY, Urgency.EMERGENCY, Urgency.UNSURE, Urgency.NORMAL]
    html = sign_in(Client(), hotline).get("/triage/").content.decode()
    assert (
        html.index(old_emergency.reference)
        < html.index(new_emergency.reference)
        < html.index(unsure.reference)
        < html.index(normal.reference)
    )
    assert date_format(hour - datetime.timedelta(hours=5), "SHORT_DATETIME_FORMAT") in html


def test_reply_is_readable_with_the_codename_and_by_staff() -> None:
    hotline = make_staff(Role.HOTLINE, username="olga")
    response, codename = submit()
    request = IntakeRequest.objects.get()
    client = sign_in(Client(), hotline)
    page = client.get(f"/triage/{request.pk}/").content.decode()
    assert SECRET_STORY in page
    answer = client.post(f"/triage/{request.pk}/", {"action": "reply", "text": "Мы на связи. Оставайтесь на месте."})
    assert answer.status_code == 302
    request.refresh_from_db()
    assert (request.awaiting_reply, request.answered) == (False, True)
    reply = IntakeMessage.objects.get(direction="out")
    assert bytes(reply.ciphertext).startswith(b"age-encryption.org/v1\n")
    assert "Мы на связи. Оставайтесь на месте." in Client().post(RETURN, {"codename": codename}).content.decode()
    assert "Мы на связи. Оставайтесь на месте." in client.get(f"/triage/{request.pk}/").content.decode()
    assert domain.queue(hotline) == []


def test_an_empty_reply_is_explained_and_nothing_is_written() -> None:
    hotline = make_staff(Role.HOTLINE)
    request = _request()
    response = sign_in(Client(), hotline).post(f"/triage/{request.pk}/", {"action": "reply", "text": "   "})
    assert response.status_code == 400
    assert IntakeMessage.objects.filter(direction="out").count() == 0


def test_spam_leaves_the_queue_and_can_be_restored() -> None:
    hotline = make_staff(Role.HOTLINE)
    request = _request()
    client = sign_in(Client(), hotline)
    # Without the box ticked nothing changes, and the page says why.
    unconfirmed = client.post(f"/triage/{request.pk}/", {"action": "spam"}, follow=True)
    assert unconfirmed.status_code == 400
    assert "Nothing was changed: tick the box to confirm that this request is spam." in unconfirmed.content.decode()
    request.refresh_from_db()
    assert request.state != RequestState.SPAM
    assert client.post(f"/triage/{request.pk}/", {"action": "spam", "confirm": "yes"}).status_code == 302
    request.refresh_from_db()
    assert request.state == RequestState.SPAM
    assert domain.queue(hotline) == []
    assert client.post(f"/triage/{request.pk}/", {"action": "reply", "text": "x"}).status_code == 400
    assert client.post(f"/triage/{request.pk}/", {"action": "unspam"}).status_code == 302
    assert [r.pk for r in domain.queue(hotline)] == [request.pk]


def test_open_a_case_moves_the_thread_under_the_case_key() -> None:
    world = make_world()
    hotline = world.users[Role.HOTLINE]
    response, codename = submit(file=_text_file())
    request = IntakeRequest.objects.get()
    domain.reply(hotline, request, "Мы вам поможем.")
    client = sign_in(Client(), hotline)
    answer = client.post(
        f"/triage/{request.pk}/", {"action": "open_case", "name": "Ислам", "team": world.team_a.pk, "priority": "emergency"}
    )
    assert answer.status_code == 302
    case = Case.objects.get()
    request.refresh_from_db()
    assert (request.state, request.case_id, case.priority, case.team_id) == (
        RequestState.CASE,
        case.pk,
        "emergency",
        world.team_a.pk,
    )
    note = Note.objects.get(case=case)
    assert SECRET_STORY in note.body
    assert "Мы вам поможем." in note.body
    document = Document.objects.get(case=case)
    assert encrypted_files.open_encrypted(document.file) == "Письмо от соседа".encode()
    # The person's own words left the intake; the reply stays for them to read.
    assert list(IntakeMessage.objects.values_list("direction", flat=True)) == ["out"]
    assert IntakeAttachment.objects.count() == 0
    assert "Мы вам поможем." in Client().post(RETURN, {"codename": codename}).content.decode()
    # A later message arrives in the intake and can be moved to the same case.
    from corridor.intake.tests.helpers import SEND

    Client().post(SEND, {"codename": codename, "text": "Я уже в поезде."})
    assert client.post(f"/triage/{request.pk}/", {"action": "move"}).status_code == 302
    assert "Я уже в поезде." in Note.objects.filter(case=case).order_by("-created").first().body
    assert list(IntakeMessage.objects.values_list("direction", flat=True)) == ["out"]


def test_open_case_needs_one_of_the_operators_teams() -> None:
    world = make_world()
    hotline = world.users[Role.HOTLINE]
    request = _request()
    response = sign_in(Client(), hotline).post(
        f"/triage/{request.pk}/", {"action": "open_case", "name": "Ислам", "team": world.team_b.pk, "priority": "normal"}
    )
    assert response.status_code == 400
    assert Case.objects.count() == 0
    assert IntakeMessage.objects.count() == 1


def test_purge_deletes_old_spam_and_unanswered_requests_only() -> None:
    hotline = make_staff(Role.HOTLINE)
    now = timezone.now()
    old_spam = _request()
    old_unanswered = _request()
    old_answered = _request()
    recent = _request()
    domain.mark_spam(hotline, old_spam)
    domain.reply(hotline, old_answered, "Ответ")
    IntakeRequest.objects.filter(pk=old_spam.pk).update(activity_hour=now - datetime.timedelta(days=8))
    IntakeRequest.objects.filter(pk__in=[old_unanswered.pk, old_answered.pk]).update(
        activity_hour=now - datetime.timedelta(days=61)
    )
    instance.keyring().seal()  # retention runs from cron, whether or not anyone unsealed
    out = io.StringIO()
    call_command("intake_purge", stdout=out)
    assert out.getvalue().strip() == "deleted 1 spam request(s) idle > 7 days, 1 unanswered request(s) idle > 60 days"
    assert set(IntakeRequest.objects.values_list("pk", flat=True)) == {old_answered.pk, recent.pk}
    assert IntakeMessage.objects.filter(request_id__in=[old_spam.pk, old_unanswered.pk]).count() == 0


def test_mark_as_spam_stands_apart_from_reply_and_asks_for_a_tick() -> None:
    hotline = make_staff(Role.HOTLINE)
    request = _request()
    page = sign_in(Client(), hotline).get(f"/triage/{request.pk}/").content.decode()
    reply_form = page.split('value="reply">', 1)[1].split("</form>", 1)[0]
    assert "Mark as spam" not in reply_form
    spam = page.split('<section class="intake-spam" id="spam">', 1)[1].split("</section>", 1)[0]
    assert '<input type="checkbox" name="confirm" value="yes" required>' in spam
    assert spam.index('name="confirm"') < spam.index("Mark as spam")
