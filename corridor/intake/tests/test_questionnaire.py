"""Issue 18: the questionnaire's versions, approval, conditions without JavaScript, emergency
answers, languages, and triage showing the questions as they were asked."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from corridor.accounts.models import Role
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.audit.models import AuditEntry
from corridor.audit.names import LogAudit
from corridor.intake import domain, formtoken, questionnaire
from corridor.intake.domain import questionnaires
from corridor.intake.models import IntakeRequest, QuestionnaireVersion, Urgency, VersionState
from corridor.intake.tests.helpers import HELP, SECRET_STORY, passphrase_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _token() -> str:
    return formtoken.issue(now=time.time() - 30)


def _retitle(admin: Any, approver: Any, label_en: str) -> QuestionnaireVersion:
    """A new version where "what happened" is asked in other words, approved by a second admin."""
    draft = questionnaires.new_draft(admin)
    question = draft.questions.get(key="what_happened")
    questionnaires.save_question(admin, draft, {"wording": {"en": {"label": label_en}, "ru": {"label": "Расскажите"}}}, question)
    questionnaires.submit_for_approval(admin, draft)
    questionnaires.approve(approver, draft)
    draft.refresh_from_db()
    return draft


def test_a_new_instance_has_an_approved_questionnaire_in_both_languages() -> None:
    live = questionnaire.live()
    assert live is not None and live.state == VersionState.LIVE
    keys = [q.key for q in questionnaire.questions_of(live)]
    for key in ("safe_now", "held_now", "held_by", "where", "documents", "can_travel", "referred_by", "contact"):
        assert key in keys
    for question in questionnaire.questions_of(live):
        assert question.wording["ru"]["label"] and question.wording["en"]["label"]


def test_an_unapproved_change_never_reaches_the_public_page() -> None:
    admin, other = make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    draft = questionnaires.new_draft(admin)
    question = draft.questions.get(key="what_happened")
    questionnaires.save_question(admin, draft, {"wording": {"ru": {"label": "НЕОДОБРЕННЫЙ ВОПРОС"}}}, question)
    assert "НЕОДОБРЕННЫЙ" not in Client().get(HELP).content.decode()
    questionnaires.submit_for_approval(admin, draft)
    assert "НЕОДОБРЕННЫЙ" not in Client().get(HELP).content.decode()
    # The author cannot approve their own version; a second admin can.
    with pytest.raises(ValidationError):
        questionnaires.approve(admin, draft)
    assert "НЕОДОБРЕННЫЙ" not in Client().get(HELP).content.decode()
    with pytest.raises(PermissionDenied):
        questionnaires.approve(make_staff(Role.HOTLINE), draft)
    questionnaires.approve(other, draft)
    assert "НЕОДОБРЕННЫЙ" in Client().get(HELP).content.decode()
    assert QuestionnaireVersion.objects.filter(state=VersionState.LIVE).count() == 1
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    for name in (
        "intake.questionnaire.draft",
        "intake.questionnaire.edit",
        "intake.questionnaire.submit",
        "intake.questionnaire.approve",
    ):
        assert name in actions


def test_a_live_version_is_never_edited() -> None:
    admin = make_staff(Role.ADMIN)
    live = questionnaire.live()
    assert live is not None
    with pytest.raises(ValidationError):
        questionnaires.save_question(admin, live, {"wording": {"en": {"label": "x"}}}, live.questions.get(key="where"))


def test_a_request_answered_under_v1_shows_v1_questions_after_v2_goes_live() -> None:
    v1 = questionnaire.live()
    response = Client().post(HELP + "?lang=en", {"token": _token(), "q_what_happened": SECRET_STORY, "q_safe_now": "yes"})
    assert passphrase_in(response) is not None
    request = IntakeRequest.objects.get()
    assert request.questionnaire == v1
    v2 = _retitle(make_staff(Role.ADMIN), make_staff(Role.ADMIN), "Tell us your story")
    assert questionnaire.live() == v2
    assert "Tell us your story" in Client().get(HELP + "?lang=en").content.decode()
    hotline = make_staff(Role.HOTLINE)
    with translation.override("en"):
        thread = domain.open_thread(hotline, request)
    labels = {a.key: a.label for a in thread[0].answers}
    assert labels["what_happened"] == "What happened? How can we help?"
    values = {a.key: a.value for a in thread[0].answers}
    assert values["what_happened"] == SECRET_STORY and values["safe_now"] == "Yes"


def test_a_follow_up_is_asked_on_a_second_step_without_javascript_or_cookies() -> None:
    client = Client()
    first = client.get(HELP)
    html = first.content.decode()
    assert 'name="q_held_now"' in html and 'name="q_held_by"' not in html and 'name="file"' not in html
    assert "<script" not in html
    step = client.post(
        HELP + "?step=1", {"token": _token(), "q_what_happened": SECRET_STORY, "q_safe_now": "yes", "q_held_now": "yes"}
    )
    assert step.status_code == 200 and step.cookies == {}
    second = step.content.decode()
    # The follow-up is asked; the first answers travel in hidden fields; nothing was stored.
    assert 'name="q_held_by"' in second and 'name="file"' in second
    assert 'type="hidden" name="q_held_now" value="yes"' in second
    assert IntakeRequest.objects.count() == 0
    sent = client.post(
        HELP,
        {"token": _token(), "q_what_happened": SECRET_STORY, "q_safe_now": "yes", "q_held_now": "yes", "q_held_by": "полиция"},
    )
    assert passphrase_in(sent) is not None and sent.cookies == {}
    # "held right now" is an emergency rule of the default questionnaire.
    assert IntakeRequest.objects.get().urgency == Urgency.EMERGENCY


def test_no_follow_up_when_the_first_answer_does_not_call_for_it() -> None:
    step = Client().post(
        HELP + "?step=1", {"token": _token(), "q_what_happened": SECRET_STORY, "q_safe_now": "yes", "q_held_now": "no"}
    )
    assert 'name="q_held_by"' not in step.content.decode()
    # A follow-up posted without its condition is not asked, so not stored.
    Client().post(
        HELP, {"token": _token(), "q_what_happened": SECRET_STORY, "q_safe_now": "yes", "q_held_now": "no", "q_held_by": "x"}
    )
    request = IntakeRequest.objects.get()
    assert request.urgency == Urgency.NORMAL
    thread = domain.open_thread(make_staff(Role.HOTLINE), request)
    assert "held_by" not in {a.key for a in thread[0].answers}


def test_an_added_language_is_offered_by_its_own_name_with_its_own_texts() -> None:
    admin, other = make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    questionnaires.save_language(admin, "uk", "Українська", {"Write to us": "Напишіть нам", "Send": "Надіслати"})
    questionnaires.set_languages(admin, ["ru", "en", "uk"])
    draft = questionnaires.new_draft(admin)
    question = draft.questions.get(key="what_happened")
    wording = {**question.wording, "uk": {"label": "Що сталося?"}}
    questionnaires.save_question(admin, draft, {"wording": wording}, question)
    questionnaires.submit_for_approval(admin, draft)
    questionnaires.approve(other, draft)
    assert ">Українська</a>" in Client().get(HELP).content.decode()
    html = Client().get(HELP + "?lang=uk").content.decode()
    assert '<html lang="uk">' in html and "Напишіть нам" in html and "Що сталося?" in html
    # A question not yet written in Ukrainian falls back to English.
    assert "Where are you now?" in html


def test_only_admins_edit_the_questionnaire() -> None:
    with pytest.raises(PermissionDenied):
        questionnaires.new_draft(make_staff(Role.HOTLINE))


# -- the admins' pages ---------------------------------------------------------------------------

ADMIN = {Role.ADMIN}


def _draft_url(tail: str = "") -> Any:
    return lambda w: f"/intake/questionnaire/{w.extra['draft'].number}/{tail}"


ROUTES = [
    Route("intake:questionnaire", lambda w: "/intake/questionnaire/", ADMIN),
    Route("intake:questionnaire", lambda w: "/intake/questionnaire/", ADMIN, method="post", ok_status=(302,)),
    Route("intake:version", lambda w: "/intake/questionnaire/1/", ADMIN),
    Route("intake:preview", lambda w: "/intake/questionnaire/1/preview/?lang=en", ADMIN),
    Route("intake:question_new", _draft_url("questions/new/"), ADMIN),
    Route("intake:question", _draft_url("questions/where/"), ADMIN),
    Route("intake:languages", lambda w: "/intake/languages/", ADMIN),
]


def test_permission_matrix_only_admins() -> None:
    world: World = make_world()
    world.extra["draft"] = questionnaires.new_draft(make_staff(Role.ADMIN))
    assert check_matrix(world, ROUTES) == len(ROUTES) * (1 + len(world.users))


def test_two_admins_build_a_conditional_question_in_two_languages_through_the_pages() -> None:
    author, second = make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    client = sign_in(Client(), author)
    response = client.post("/intake/questionnaire/", {"note": "ask about family"})
    draft = QuestionnaireVersion.objects.get(state=VersionState.DRAFT)
    assert response.status_code == 302 and response["Location"].endswith(f"/intake/questionnaire/{draft.number}/")
    page = client.get(f"/intake/questionnaire/{draft.number}/questions/new/")
    assert page.status_code == 200 and 'name="label_uk"' not in page.content.decode()
    response = client.post(
        f"/intake/questionnaire/{draft.number}/questions/new/",
        {
            "key": "family_knows",
            "kind": "yesno",
            "position": "25",
            "label_ru": "Семья знает, где вы?",
            "label_en": "Does your family know where you are?",
            "condition_key": "safe_now",
            "condition_values": "no, unsure",
            "emergency_values": "yes",
            "summary": "on",
            "maps_to": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    question = draft.questions.get(key="family_knows")
    assert question.condition_values == ["no", "unsure"] and question.wording["ru"]["label"] == "Семья знает, где вы?"
    preview = client.get(f"/intake/questionnaire/{draft.number}/preview/?lang=ru").content.decode()
    assert "Семья знает, где вы?" in preview
    assert "Семья знает" not in Client().get(HELP).content.decode()
    client.post(f"/intake/questionnaire/{draft.number}/", {"action": "submit"})
    client.post(f"/intake/questionnaire/{draft.number}/", {"action": "approve"})  # refused: the author
    draft.refresh_from_db()
    assert draft.state == VersionState.PENDING
    sign_in(Client(), second).post(f"/intake/questionnaire/{draft.number}/", {"action": "approve"})
    draft.refresh_from_db()
    assert draft.state == VersionState.LIVE
    # The follow-up is asked on the second step, in English, after "not safe".
    step = Client().post(
        HELP + "?step=1&lang=en", {"token": _token(), "q_what_happened": SECRET_STORY, "q_safe_now": "no", "q_held_now": "no"}
    )
    assert "Does your family know where you are?" in step.content.decode()


def test_an_admin_adds_a_language_through_the_page() -> None:
    client = sign_in(Client(), make_staff(Role.ADMIN))
    form = client.get("/intake/languages/").content.decode()
    assert "Write to us" in form  # a fixed text to translate
    response = client.post("/intake/languages/", {"action": "add", "code": "ce", "name": "Нохчийн", "t0": ""})
    assert response.status_code == 302
    response = client.post("/intake/languages/", {"action": "choose", "languages": ["ru", "ce"], "default": "ru"})
    assert response.status_code == 302
    assert ">Нохчийн</a>" in Client().get(HELP).content.decode()
    assert ">English</a>" not in Client().get(HELP).content.decode()


# -- triage and cases ------------------------------------------------------------------------------


def test_the_triage_list_shows_summary_answers_and_a_case_gets_the_mapped_fields() -> None:
    Client().post(
        HELP + "?lang=en",
        {
            "token": _token(),
            "q_what_happened": SECRET_STORY,
            "q_safe_now": "no",
            "q_held_now": "no",
            "q_where": "Назрань",
            "q_contact": "signal 555",
        },
    )
    request = IntakeRequest.objects.get()
    hotline = make_staff(Role.HOTLINE)
    team = hotline.teams.first() or _team_for(hotline)
    client = sign_in(Client(), hotline)
    with translation.override("en"):
        queue = client.get("/triage/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Summary questions of the default questionnaire: safe now, held now, where.
    assert "Назрань" in queue and SECRET_STORY not in queue
    # Showing them decrypted is a read of the request, audited.
    assert AuditEntry.objects.filter(action=LogAudit.READ).count() == 1
    page = client.get(f"/triage/{request.pk}/").content.decode()
    # The open-case form is filled in from the mapped answers, for the caseworker to confirm.
    assert 'value="Назрань"' in page and 'value="signal 555"' in page
    response = client.post(
        f"/triage/{request.pk}/",
        {
            "action": "open_case",
            "name": "Ахмед",
            "team": str(team.pk),
            "priority": "emergency",
            "location": "Назрань, у друзей",  # changed by the caseworker
            "contact": "",  # cleared: left out
            "summary": SECRET_STORY,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    request.refresh_from_db()
    case = request.case
    assert case is not None and case.summary == SECRET_STORY
    person = case.members.get().person
    assert person.location == "Назрань, у друзей" and not person.contacts


def _team_for(user: Any) -> Any:
    from corridor.accounts import domain as accounts_domain

    team = accounts_domain.create_team(None, "Hotline")
    team.members.add(user)
    return team


def test_the_editor_refuses_bad_input_with_a_clear_error_in_russian() -> None:
    admin = make_staff(Role.ADMIN)
    client = sign_in(Client(), admin)
    draft = questionnaires.new_draft(admin)
    url = f"/intake/questionnaire/{draft.number}/questions/new/"
    cases = [
        ({"key": "pick", "kind": "choice", "position": "5", "label_ru": "Выберите", "choice_values": "a"}, "не меньше двух"),
        ({"key": "Bad-Key", "kind": "short", "position": "5", "label_ru": "Вопрос"}, "Ключ"),
        ({"key": "empty", "kind": "short", "position": "5"}, "хотя бы на одном языке"),
        ({"key": "where", "kind": "short", "position": "5", "label_ru": "Дубль"}, "такой же ключ"),
        ({"key": "cond", "kind": "short", "position": "x", "label_ru": "Вопрос"}, "error-summary"),
        (
            {"key": "cond", "kind": "short", "position": "5", "label_ru": "Вопрос", "condition_key": "held_by"},
            "error-summary",
        ),
    ]
    for data, expected in cases:
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="ru")
        assert response.status_code == 400, data
        assert expected in response.content.decode(), (data, response.content.decode()[:3000])
    assert not draft.questions.filter(key__in=["pick", "empty", "cond"]).exists()
    page = client.get(f"/intake/questionnaire/{draft.number}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Отправить на одобрение" in page and "Версия анкеты" in page


def test_whoever_sent_a_version_cannot_approve_it_and_a_version_can_be_sent_back() -> None:
    author, sender, third = make_staff(Role.ADMIN), make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    draft = questionnaires.new_draft(author)
    questionnaires.save_question(author, draft, {"key": "extra", "kind": "short", "wording": {"en": {"label": "Extra?"}}})
    questionnaires.submit_for_approval(sender, draft)
    for refused in (author, sender):
        with pytest.raises(ValidationError):
            questionnaires.approve(refused, draft)
    questionnaires.send_back(third, draft)
    draft.refresh_from_db()
    assert draft.state == VersionState.DRAFT
    # Back in draft it can change again; approval is still someone else's.
    questionnaires.save_question(
        third, draft, {"key": "extra", "wording": {"en": {"label": "Extra, changed?"}}}, draft.questions.get(key="extra")
    )
    questionnaires.submit_for_approval(third, draft)
    with pytest.raises(ValidationError):
        questionnaires.approve(third, draft)
    # Nobody who made, changed or sent it, even before it was sent back.
    with pytest.raises(ValidationError):
        questionnaires.approve(author, draft)
    with pytest.raises(ValidationError):
        questionnaires.approve(sender, draft)
    questionnaires.approve(make_staff(Role.ADMIN), draft)
    assert questionnaire.live() == draft
    assert set(AuditEntry.objects.values_list("action", flat=True)) >= {"intake.questionnaire.send_back"}


def test_a_draft_can_be_discarded_and_a_new_one_made() -> None:
    admin = make_staff(Role.ADMIN)
    client = sign_in(Client(), admin)
    draft = questionnaires.new_draft(admin)
    response = client.post(f"/intake/questionnaire/{draft.number}/", {"action": "discard"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == VersionState.RETIRED and not draft.questions.exists()
    assert questionnaire.live() is not None and questionnaire.live() != draft
    again = questionnaires.new_draft(admin)
    assert again.number == draft.number + 1 and again.questions.filter(key="safe_now").exists()
    assert AuditEntry.objects.filter(action="intake.questionnaire.discard").count() == 1
