"""Issue 18, item 5: the questionnaire editor says plainly, in the admin's language, what is wrong
with a question before it is saved: the mistakes that would otherwise be saved and silently
never work (an emergency answer typed in Russian, a follow-up with no answer to follow)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.intake.domain import questionnaires
from corridor.intake.models import QuestionnaireVersion

pytestmark = pytest.mark.django_db


def _new_question(**fields: str) -> tuple[int, str, QuestionnaireVersion]:
    """Post the 'add a question' page in Russian; the status, the page and the draft."""
    admin = make_staff(Role.ADMIN)
    draft = questionnaires.new_draft(admin)
    posted = {"key": "family_knows", "kind": "yesno", "position": "25", "label_ru": "Семья знает?", "maps_to": "", **fields}
    response = sign_in(Client(), admin).post(
        f"/intake/questionnaire/{draft.number}/questions/new/", posted, HTTP_ACCEPT_LANGUAGE="ru"
    )
    return response.status_code, response.content.decode(), draft


def _refused(page: str, message: str, draft: QuestionnaireVersion) -> None:
    summary = page.split('<div class="error-summary"', 1)[1].split("</div>", 1)[0]
    assert message in summary, summary
    assert not draft.questions.filter(key="family_knows").exists()


def test_a_key_with_capitals_or_a_hyphen_is_refused_with_the_rule_the_form_promises() -> None:
    status, page, draft = _new_question(key="Family-Knows")
    assert status == 400
    _refused(page, "Ключ — от 1 до 40 строчных латинских букв, цифр или подчёркиваний.", draft)
    assert "дефис" not in page  # the slug message allowed hyphens the domain refuses


def test_an_emergency_answer_must_be_one_of_the_questions_answers() -> None:
    status, page, draft = _new_question(emergency_values="нет")
    assert status == 400
    _refused(page, "Такого ответа у вопроса нет: нет. Его ответы: yes, no, unsure.", draft)


def test_free_text_cannot_make_a_request_urgent() -> None:
    status, page, draft = _new_question(kind="short", emergency_values="help")
    assert status == 400
    _refused(page, "Срочность могут задавать только ответы на вопросы с вариантами или «да/нет».", draft)


def test_a_follow_up_needs_both_the_question_and_the_answers_it_follows() -> None:
    status, page, draft = _new_question(condition_key="safe_now")
    assert status == 400
    _refused(page, "Укажите ответы, после которых задаётся этот вопрос, например yes.", draft)
    status, page, draft = _new_question(condition_values="no")
    assert status == 400
    _refused(page, "Выберите вопрос, от ответа на который это зависит, или оставьте ответы ниже пустыми.", draft)


def test_a_follow_up_value_must_be_an_answer_of_the_question_it_follows() -> None:
    status, page, draft = _new_question(condition_key="safe_now", condition_values="нет")
    assert status == 400
    _refused(page, "Такого ответа у вопроса нет: нет. Его ответы: yes, no, unsure.", draft)
    status, _page, draft = _new_question(condition_key="safe_now", condition_values="no, unsure")
    assert status == 302 and draft.questions.get(key="family_knows").condition_values == ["no", "unsure"]


def test_choice_answers_in_a_language_must_match_the_values_line_for_line() -> None:
    status, page, draft = _new_question(
        kind="choice", choice_values="police\nfamily\nother", label_en="Who?", choices_ru="полиция\nсемья", choices_en=""
    )
    assert status == 400
    _refused(page, "Вариантов ответа: 2, значений: 3.", draft)


def test_the_domain_refuses_the_same_mistakes_from_any_caller() -> None:
    admin = make_staff(Role.ADMIN)
    draft = questionnaires.new_draft(admin)
    base: dict[str, Any] = {"key": "x", "kind": "choice", "wording": {"en": {"label": "X"}}}
    base["choices"] = [{"value": "a", "labels": {}}, {"value": "b", "labels": {}}]
    with pytest.raises(ValidationError) as refused:
        questionnaires.save_question(admin, draft, {**base, "emergency_values": ["c"]})
    assert "emergency_values" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        questionnaires.save_question(admin, draft, {**base, "condition_key": "held_now", "condition_values": []})
    assert "condition_values" in refused.value.message_dict
    saved = questionnaires.save_question(admin, draft, {**base, "emergency_values": ["b"], "unsure_values": ["a"]})
    assert (saved.emergency_values, saved.unsure_values) == (["b"], ["a"])
