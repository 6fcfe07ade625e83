"""A hotline operator on duty sees the unread badge appear after a person submits an emergency
request in another browser, and opens the request from the notification."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.intake.models import IntakeRequest
from corridor.notifications.domain import roster
from corridor.notifications.models import Duty
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

STORY = "Меня держат в квартире на улице Лесной, 5. Помогите."
PLACE = "Нальчик"


def test_operator_sees_the_badge_and_opens_the_request(page_factory: Any, settings: Any) -> None:
    settings.INTAKE_MIN_FILL_SECONDS = 1
    team = Team.objects.create(name="Hotline")
    admin = make_staff(Role.ADMIN, username="ada")
    operator = make_staff(Role.HOTLINE, teams=[team], username="dina")
    make_staff(Role.HOTLINE, teams=[team], username="off-duty")
    now = timezone.localtime()
    roster.add_shift(
        admin,
        team,
        duty=Duty.EMERGENCY,
        user=operator,
        weekday=now.weekday(),
        start=datetime.time(0),
        end=datetime.time(23, 59, 59),
    )

    staff, staff_requests, base = page_factory()
    sign_in(staff, base, operator)
    assert staff.locator("#unread-count").count() == 0
    assert "dina" in staff.locator("#on-duty").inner_text()

    # Someone asks for help from a phone, in Russian, without JavaScript.
    person, person_requests, _base = page_factory(viewport={"width": 360, "height": 740}, locale="ru-RU", javascript=False)
    person.goto(f"{base}/help/")
    person.fill("#id_q_what_happened", STORY)
    person.fill("#id_q_where", PLACE)
    person.check("#id_q_safe_now_1")  # «Нет»: not safe now, an emergency
    person.wait_for_timeout(1100)
    person.click("button[type=submit]")
    person.wait_for_load_state()
    if person.locator("ol.codename").count() == 0:  # the questionnaire's second step (the file): send
        person.wait_for_timeout(1100)
        person.click("button[type=submit]")
    person.wait_for_selector("ol.codename")
    request = IntakeRequest.objects.get()

    # The operator's next page shows the badge; the list says what happened and how many, nothing more.
    staff.goto(f"{base}/")
    assert staff.locator("#unread-count").inner_text() == "1"
    staff.click("#nav-notifications")
    staff.wait_for_url("**/notifications/")
    item = staff.locator("#notifications li.unread")
    assert item.count() == 1
    text = item.inner_text()
    assert "1 new emergency request for your team" in text
    assert "Лесной" not in staff.content() and PLACE not in staff.content()
    screenshot(staff, "notifications")
    item.locator("button.open").click()
    staff.wait_for_url(f"**/triage/{request.pk}/")
    assert STORY in staff.content()
    assert staff.locator("#unread-count").count() == 0
    assert staff_requests.foreign() == [] and person_requests.foreign() == []


def test_coordinator_adds_an_overnight_shift_on_a_phone_in_russian(page_factory: Any) -> None:
    team = Team.objects.create(name="Hotline")
    admin = make_staff(Role.ADMIN, username="ada")
    coordinator = make_staff(Role.HOTLINE, teams=[team], username="kira")
    make_staff(Role.HOTLINE, teams=[team], username="lev")
    roster.set_alerting(admin, team, fallback=coordinator, coordinators=[coordinator], escalation_minutes=30)

    page, requests, base = page_factory(viewport={"width": 360, "height": 740}, locale="ru-RU")
    sign_in(page, base, coordinator)
    page.goto(f"{base}/notifications/rosters/{team.pk}/")
    assert page.locator("h1").inner_text() == "Расписание дежурств: Hotline"
    page.select_option("#id_shift-duty", "emergency")
    page.select_option("#id_shift-user", label="lev")
    page.select_option("#id_shift-weekday", "6")
    page.fill("#id_shift-start", "22:00")
    page.fill("#id_shift-end", "06:00")
    page.click("#pattern button[type=submit]:has-text('Добавить смену')")
    page.wait_for_selector("text=Смена добавлена.")
    assert "следующего дня" in page.locator("#pattern").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "roster-phone-ru")
    assert requests.foreign() == []
