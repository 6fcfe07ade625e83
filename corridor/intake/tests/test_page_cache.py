"""The public page's look and live version, kept per process (questionnaire.public_page): what
it serves is always what look() and live() read now; a newly approved questionnaire and a saved
look are served at the next request; while nothing changes the rows are not read again."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.intake import formtoken, questionnaire
from corridor.intake.domain import look as look_domain
from corridor.intake.domain import questionnaires
from corridor.intake.models import IntakeLook, IntakeRequest, QuestionnaireVersion, VersionState
from corridor.intake.tests.helpers import HELP, SECRET_STORY, passphrase_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _same_as_now() -> None:
    """public_page() answers exactly what look() and live() read from the database now."""
    row, live = questionnaire.public_page()
    fresh_row, fresh_live = questionnaire.look(), questionnaire.live()
    saved = IntakeLook.objects.filter(pk=1).exists()
    # An unsaved default look is made with the time it was made: only a saved one's time is its own.
    ignored = [] if saved else ["updated_at"]
    assert model_to_dict(row, exclude=ignored) == model_to_dict(fresh_row, exclude=ignored)
    if fresh_live is None:
        assert live is None
    else:
        assert live is not None and (live.pk, model_to_dict(live)) == (fresh_live.pk, model_to_dict(fresh_live))


def _approved(label_en: str, label_ru: str) -> QuestionnaireVersion:
    author, approver = make_staff(Role.ADMIN), make_staff(Role.ADMIN)
    draft = questionnaires.new_draft(author)
    question = draft.questions.get(key="what_happened")
    questionnaires.save_question(author, draft, {"wording": {"en": {"label": label_en}, "ru": {"label": label_ru}}}, question)
    questionnaires.submit_for_approval(author, draft)
    questionnaires.approve(approver, draft)
    draft.refresh_from_db()
    return draft


def test_a_newly_approved_questionnaire_is_served_at_once() -> None:
    client = Client()
    assert "ВОПРОС ВТОРОЙ ВЕРСИИ" not in client.get(HELP).content.decode()
    _same_as_now()
    second = _approved("Second version's question", "ВОПРОС ВТОРОЙ ВЕРСИИ")
    page = client.get(HELP).content.decode()
    assert "ВОПРОС ВТОРОЙ ВЕРСИИ" in page
    assert f'name="questionnaire" value="{second.number}"' in page
    _same_as_now()
    # And the request sent from it is stored against the version it showed.
    data: dict[str, Any] = {
        "token": formtoken.issue(now=time.time() - 30),
        "questionnaire": str(second.number),
        "q_what_happened": SECRET_STORY,
        "q_safe_now": "yes",
    }
    response = client.post(HELP, data)
    assert response.status_code == 200 and passphrase_in(response)
    assert IntakeRequest.objects.get().questionnaire_id == second.pk
    third = _approved("Third version's question", "ВОПРОС ТРЕТЬЕЙ ВЕРСИИ")
    page = client.get(HELP).content.decode()
    assert "ВОПРОС ТРЕТЬЕЙ ВЕРСИИ" in page and "ВОПРОС ВТОРОЙ ВЕРСИИ" not in page
    assert f'name="questionnaire" value="{third.number}"' in page
    _same_as_now()


def test_no_live_version_is_served_as_the_shipped_defaults_at_once() -> None:
    Client().get(HELP)
    # Not something the domain does; it stands for any change another process makes in the database.
    QuestionnaireVersion.objects.filter(state=VersionState.LIVE).update(state=VersionState.RETIRED)
    assert questionnaire.public_page()[1] is None
    assert f'name="questionnaire" value="{questionnaire.DEFAULTS_MARKER}"' in Client().get(HELP).content.decode()
    _same_as_now()


def test_a_saved_look_is_served_at_once() -> None:
    admin = make_staff(Role.ADMIN)
    client = Client()
    client.get(HELP)
    look_domain.save_look(admin, look_domain.LookChange(name={"ru": "Первое имя", "en": "First name"}))
    assert "Первое имя" in client.get(HELP).content.decode()
    _same_as_now()
    look_domain.save_look(admin, look_domain.LookChange(name={"ru": "Второе имя", "en": "Second name"}))
    page = client.get(HELP).content.decode()
    assert "Второе имя" in page and "Первое имя" not in page
    assert "Second name" in client.get(HELP + "?lang=en").content.decode()
    _same_as_now()
    IntakeLook.objects.all().delete()
    page = client.get(HELP).content.decode()
    assert "Второе имя" not in page
    _same_as_now()


def test_while_nothing_changes_only_the_stamp_is_read() -> None:
    client = Client()
    client.get(HELP)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HELP).status_code == 200
    touching = [
        q["sql"] for q in queries.captured_queries if "intake_intakelook" in q["sql"] or "intake_questionnaireversion" in q["sql"]
    ]
    assert len(touching) == 1, touching
    assert "updated_at" in touching[0] and "created_at" in touching[0]


def test_each_caller_gets_its_own_copies() -> None:
    row, live = questionnaire.public_page()
    assert live is not None
    row.quick_exit_url = "https://changed.example/"
    live.number = 999
    again_row, again_live = questionnaire.public_page()
    assert again_row.quick_exit_url != "https://changed.example/"
    assert again_live is not None and again_live.number != 999
