"""Issue 18: answers are checked and stored against the questionnaire version the page showed
(another may go live while a person writes); a required file question on held requests; other
admins told when a questionnaire change waits for their approval."""

from __future__ import annotations

import datetime
import io
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation
from PIL import Image

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.intake import domain, formtoken, questionnaire
from corridor.intake.domain import questionnaires
from corridor.intake.models import IntakeAttachment, IntakeRequest, QuestionnaireVersion, Urgency
from corridor.intake.tests.helpers import HELP, SECRET_STORY, passphrase_in
from corridor.notifications.api import Kind, Notification
from corridor.notifications.models import describe

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _token() -> str:
    return formtoken.issue(now=time.time() - 30)


def _publish(change: dict[str, dict[str, Any]], *, new: list[dict[str, Any]] = ()) -> QuestionnaireVersion:  # type: ignore[assignment]  # an empty tuple as the default of a list parameter
    """A new version from the live one: questions changed by key, questions added; approved by a second admin."""
    author, approver = make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    draft = questionnaires.new_draft(author)
    for key, values in change.items():
        questionnaires.save_question(author, draft, values, draft.questions.get(key=key))
    for values in new:
        questionnaires.save_question(author, draft, values)
    questionnaires.submit_for_approval(author, draft)
    questionnaires.approve(approver, draft)
    draft.refresh_from_db()
    return draft


def _marker(html: str) -> str:
    return html.split('name="questionnaire" value="', 1)[1].split('"', 1)[0]


V2_NEW_REQUIRED = {
    "key": "passport_city",
    "kind": "short",
    "position": 5,
    "required": True,
    "wording": {"en": {"label": "Which city issued your passport?"}, "ru": {"label": "Где выдан паспорт?"}},
}


def test_answers_are_stored_against_the_version_the_page_showed_when_another_went_live_meanwhile() -> None:
    client = Client()
    v1 = questionnaire.live()
    assert v1 is not None
    page = client.get(HELP + "?lang=en").content.decode()
    assert _marker(page) == str(v1.number)
    # While the person writes, v2 goes live: it asks a new required question, and "held now"
    # no longer makes the request an emergency.
    v2 = _publish({"held_now": {"emergency_values": []}}, new=[V2_NEW_REQUIRED])
    assert questionnaire.live() == v2
    # The second step of the form they opened is still v1's, and still carries v1.
    first = {"token": _token(), "questionnaire": str(v1.number), "q_what_happened": SECRET_STORY, "q_safe_now": "yes"}
    step = client.post(HELP + "?step=1&lang=en", {**first, "q_held_now": "yes"})
    second = step.content.decode()
    assert step.status_code == 200 and _marker(second) == str(v1.number)
    assert 'name="q_held_by"' in second and "passport_city" not in second
    sent = client.post(HELP + "?lang=en", {**first, "q_held_now": "yes", "q_held_by": "police"})
    assert passphrase_in(sent) is not None
    request = IntakeRequest.objects.get()
    # Validated against v1 (v2's required question was never asked), stored as v1, urgent by v1's rule.
    assert (request.questionnaire, request.urgency) == (v1, Urgency.EMERGENCY)
    thread = domain.open_thread(make_staff(Role.HOTLINE), request)
    assert {a.key for a in thread[0].answers} == {"what_happened", "safe_now", "held_now", "held_by"}
    # A new page carries v2, and is checked against v2.
    assert _marker(Client().get(HELP).content.decode()) == str(v2.number)


def test_a_page_whose_version_is_gone_keeps_the_answers_and_says_what_happened() -> None:
    v1 = questionnaire.live()
    assert v1 is not None
    v2 = _publish({}, new=[V2_NEW_REQUIRED])
    # v2 replaced v1 longer ago than a form may stay open: v1 is no longer accepted.
    QuestionnaireVersion.objects.filter(pk=v2.pk).update(approved_at=timezone.now() - datetime.timedelta(days=2))
    posted = {"token": _token(), "questionnaire": str(v1.number), "q_what_happened": SECRET_STORY, "q_safe_now": "no"}
    response = Client().post(HELP + "?lang=en", posted)
    html = response.content.decode()
    assert (response.status_code, passphrase_in(response)) == (409, None)
    assert "The questions on this page changed while you were writing." in html
    # The answers are on the page again, now under the live version, whose new question is asked.
    assert SECRET_STORY in html and 'value="no" id="id_q_safe_now_1" required checked' in html
    assert _marker(html) == str(v2.number) and 'name="q_passport_city"' in html
    assert IntakeRequest.objects.count() == 0
    # Sent again from that page, it is accepted under v2.
    again = Client().post(HELP + "?lang=en", {**posted, "questionnaire": str(v2.number), "q_passport_city": "Грозный"})
    assert passphrase_in(again) is not None and IntakeRequest.objects.get().questionnaire == v2


@pytest.mark.parametrize("marker", ["999", "v1", "1" * 20, "-1"])
def test_an_unknown_version_is_refused_with_a_reason_never_a_500(marker: str) -> None:
    posted = {"token": _token(), "questionnaire": marker, "q_what_happened": SECRET_STORY, "q_safe_now": "yes"}
    for url in (HELP + "?lang=en", HELP + "?step=1&lang=en"):
        response = Client().post(url, posted)
        html = response.content.decode()
        assert response.status_code == 409 and "The questions on this page changed" in html and SECRET_STORY in html
    assert IntakeRequest.objects.count() == 0


def test_a_draft_or_a_version_waiting_for_approval_is_not_accepted_from_a_form() -> None:
    author = make_staff(Role.ADMIN)
    draft = questionnaires.new_draft(author)
    posted = {"token": _token(), "questionnaire": str(draft.number), "q_what_happened": SECRET_STORY, "q_safe_now": "yes"}
    assert Client().post(HELP, posted).status_code == 409
    questionnaires.submit_for_approval(author, draft)
    assert Client().post(HELP, posted).status_code == 409
    assert IntakeRequest.objects.count() == 0


def test_a_form_without_the_marker_is_checked_against_the_live_version() -> None:
    # A page served before forms carried their version.
    sent = Client().post(HELP, {"token": _token(), "q_what_happened": SECRET_STORY, "q_safe_now": "yes"})
    assert passphrase_in(sent) is not None
    assert IntakeRequest.objects.get().questionnaire == questionnaire.live()


def test_shown_version_accepts_the_replaced_version_only_while_a_form_may_be_open(settings: Any) -> None:
    settings.INTAKE_FORM_MAX_AGE_SECONDS = 3600
    v1 = questionnaire.live()
    assert v1 is not None
    v2 = _publish({})
    assert v2.approved_at is not None
    marker = str(v1.number)
    assert questionnaire.shown_version(marker, v2, now=v2.approved_at + datetime.timedelta(minutes=59)) == v1
    with pytest.raises(questionnaire.UnknownVersion):
        questionnaire.shown_version(marker, v2, now=v2.approved_at + datetime.timedelta(minutes=61))
    assert questionnaire.shown_version(str(v2.number), v2) == v2
    assert questionnaire.shown_version("0", None) is None  # the shipped defaults, when none is live
    assert questionnaire.shown_version("", v2) == v2


# -- a required file question and held requests ----------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(out, "PNG")
    return out.getvalue()


def _upload() -> io.BytesIO:
    upload = io.BytesIO(_png())
    upload.name = "document.png"
    return upload


FILE_QUESTION = {
    "key": "document_photo",
    "kind": "file",
    "position": 500,
    "required": True,
    "wording": {"en": {"label": "A photo of your document"}, "ru": {"label": "Фото документа"}},
}


def test_a_required_file_question_does_not_stop_a_held_request(settings: Any) -> None:
    version = _publish({}, new=[FILE_QUESTION])
    settings.INTAKE_RATE_LIMITS = {"submit_address": 0, "submit_global": 1}
    base = {"token": _token(), "questionnaire": str(version.number), "q_what_happened": SECRET_STORY, "q_safe_now": "no"}
    first = Client(REMOTE_ADDR="198.51.100.1").post(HELP + "?lang=en", {**base, "q_document_photo": _upload()})
    assert passphrase_in(first) is not None and IntakeAttachment.objects.count() == 1
    # Past the global limit the request is held: its file is let go, so the question it answered
    # cannot be required of it. The request arrives, and the page says the file was not kept.
    held = Client(REMOTE_ADDR="198.51.100.2").post(HELP + "?lang=en", {**base, "token": _token(), "q_document_photo": _upload()})
    html = held.content.decode()
    assert (held.status_code, passphrase_in(held) is not None) == (200, True), html
    assert "Your file was not kept" in html
    request = IntakeRequest.objects.get(held=True)
    assert (request.urgency, IntakeAttachment.objects.count()) == (Urgency.EMERGENCY, 1)
    # A held request that attached nothing is still asked for the required file.
    nothing = Client(REMOTE_ADDR="198.51.100.3").post(HELP + "?lang=en", {**base, "token": _token()})
    assert (nothing.status_code, passphrase_in(nothing)) == (400, None)
    assert 'href="#id_q_document_photo"' in nothing.content.decode()


def test_a_required_file_question_over_the_size_limit_says_the_file_is_too_large(settings: Any) -> None:
    version = _publish({}, new=[FILE_QUESTION])
    settings.INTAKE_MAX_FILE_BYTES = 64
    base = {"token": _token(), "questionnaire": str(version.number), "q_what_happened": SECRET_STORY, "q_safe_now": "yes"}
    response = Client().post(HELP + "?lang=en", {**base, "q_document_photo": _upload()})
    html = response.content.decode()
    assert (response.status_code, passphrase_in(response)) == (400, None)
    assert "The file is larger than" in html and "This field is required" not in html
    assert IntakeRequest.objects.count() == 0


# -- other admins hear of a change waiting for approval ---------------------------------------------


def _waiting(user: Any) -> list[Any]:
    return list(Notification.objects.filter(user=user, kind=Kind.QUESTIONNAIRE_APPROVAL, read__isnull=True))


def test_every_other_admin_is_told_a_change_waits_for_approval_and_approval_settles_it() -> None:
    author, second, third = make_staff(Role.ADMIN), make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    hotline = make_staff(Role.HOTLINE)
    draft = questionnaires.new_draft(author)
    questionnaires.save_question(
        author, draft, {"wording": {"ru": {"label": "СЕКРЕТНАЯ ФОРМУЛИРОВКА"}}}, draft.questions.get(key="where")
    )
    assert Notification.objects.count() == 0  # editing a draft tells nobody yet
    questionnaires.submit_for_approval(author, draft)
    told = {n.user_id: n for n in Notification.objects.filter(kind=Kind.QUESTIONNAIRE_APPROVAL)}
    assert set(told) == {second.pk, third.pk}  # not the author, not staff who cannot approve
    assert hotline.pk not in told and author.pk not in told
    notice = told[second.pk]
    assert notice.link == f"/intake/questionnaire/{draft.number}/"
    with translation.override("ru"):
        # Russian's first plural form serves 21, 31... too, so it carries the number.
        assert describe(notice.kind, notice.count) == "1 изменение анкеты ждёт вашего одобрения"
        assert describe(notice.kind, 21) == "21 изменение анкеты ждёт вашего одобрения"
    with translation.override("en"):
        assert describe(notice.kind, notice.count) == "A questionnaire change waits for your approval"
    # The page shows it to the second admin, and nothing of the change itself.
    page = sign_in(Client(), second).get("/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "A questionnaire change waits for your approval" in page and "СЕКРЕТНАЯ" not in page
    questionnaires.approve(second, draft)
    assert (_waiting(second), _waiting(third)) == ([], [])


def test_a_change_sent_back_is_no_longer_waiting_for_anyone() -> None:
    author, second = make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    draft = questionnaires.new_draft(author)
    questionnaires.submit_for_approval(author, draft)
    assert len(_waiting(second)) == 1
    questionnaires.send_back(second, draft)
    assert _waiting(second) == []
    # Sent again by the second admin: both took part now, so nobody is left to tell.
    questionnaires.submit_for_approval(second, draft)
    assert _waiting(author) == [] and _waiting(second) == []
