"""A person asks for help in Russian with JavaScript off while the instance is sealed, gets a
codename, and after trustees unseal and a hotline operator replies, reads the reply."""

from __future__ import annotations

from typing import Any

import pytest

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.intake.models import IntakeMessage, IntakeRequest
from corridor.keys import instance
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

STORY = "Меня ищут родственники. Я уехал из дома три дня назад."
REPLY = "Здравствуйте. Мы прочитали ваше сообщение. Напишите, в каком городе вы сейчас."
PHONE = {"width": 360, "height": 740}


def test_sealed_submission_in_russian_without_javascript_then_reply(page_factory: Any, shares: list[str], settings: Any) -> None:
    settings.INTAKE_MIN_FILL_SECONDS = 1
    instance.keyring().seal()
    assert instance.is_sealed()

    # The person: a phone, Russian, no JavaScript.
    page, person_requests, base = page_factory(viewport=PHONE, locale="ru-RU", javascript=False)
    page.goto(f"{base}/help/")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text() == "Напишите нам"
    assert page.title() == "Corridor"
    screenshot(page, "intake-form-ru")
    page.fill("#id_q_what_happened", STORY)
    page.fill("#id_q_where", "Ростов")
    page.check("#id_q_safe_now_1")  # «Нет»: an emergency
    page.wait_for_timeout(1100)  # the form refuses posts faster than a person could write
    page.click("button[type=submit]")
    # The questionnaire's second step (the file, and follow-ups the first answers call for): send.
    page.wait_for_load_state()
    if page.locator("ol.codename").count() == 0:
        page.wait_for_timeout(1100)
        page.click("button[type=submit]")
    page.wait_for_selector("ol.codename")
    assert page.locator("h1").inner_text() == "Мы получили ваше сообщение"
    words = page.locator("ol.codename strong").all_inner_texts()
    assert len(words) == 8
    codename = " ".join(words)
    screenshot(page, "intake-codename-ru")
    assert page.context.cookies() == []

    # Stored while sealed, and only as age ciphertext.
    request = IntakeRequest.objects.get()
    assert (request.urgency, bytes(IntakeMessage.objects.get().ciphertext)[:22]) == ("emergency", b"age-encryption.org/v1\n")

    # Trustees unseal; a hotline operator signs in and replies.
    for share in shares[:3]:
        instance.keyring().submit_share(share)
    assert not instance.is_sealed()
    operator = make_staff(Role.HOTLINE, username="dina")
    staff, staff_requests, _base = page_factory()
    sign_in(staff, base, operator, next="/triage/")
    staff.click(f"text={request.reference}")
    staff.wait_for_url(f"**/triage/{request.pk}/")
    assert STORY in staff.content()
    staff.fill("#id_text", REPLY)
    staff.click("text=Send reply")
    staff.wait_for_url(f"**/triage/{request.pk}/")
    assert IntakeMessage.objects.filter(direction="out").count() == 1

    # The person comes back with the codename, in a fresh browser, still without JavaScript.
    back, back_requests, _base = page_factory(viewport=PHONE, locale="ru-RU", javascript=False)
    back.goto(f"{base}/help/return/")
    back.fill("#id_codename", codename)
    back.click("button[type=submit]")
    back.wait_for_selector("ol.thread")
    assert back.locator("h1").inner_text() == "Ваша переписка с нами"
    assert back.locator("li.reply .text").inner_text() == REPLY
    screenshot(back, "intake-reply-ru")
    assert back.context.cookies() == []

    for log in (person_requests, staff_requests, back_requests):
        assert log.foreign() == []
    assert len(person_requests.urls) >= 4 and len(back_requests.urls) >= 4
