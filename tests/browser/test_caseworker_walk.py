"""A caseworker's walk on a small phone, in Russian: new person, their case, a task, a note,
and the move to verifying; no request leaves the host, nothing overflows sideways.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import PASSWORD, make_staff, totp_now
from corridor.cases.models import Case, Person
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

PHONE = {"width": 360, "height": 740}


def _sign_in(page: Any, base: str, user: Any) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/verify/**")
    page.fill("#id_code", totp_now(user))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_caseworker_walk_on_a_phone_in_russian(page_factory: Any) -> None:
    team = Team.objects.create(name="Северный Кавказ")
    worker = make_staff(Role.CASEWORKER, teams=[team], username="zarema")
    page, requests, base = page_factory(viewport=PHONE, locale="ru-RU")
    _sign_in(page, base, worker)

    # 1. A new person: two spellings of the name, a year of birth only, a Signal contact.
    page.goto(f"{base}/people/new/")
    assert page.locator("html").get_attribute("lang") == "ru"
    page.fill("#id_name_0", "Руслан Тестов")
    page.fill("#id_name_1", "Ruslan Testov")
    page.check("input[name=birth_precision][value=year]")
    page.fill("#id_birth_year", "1991")
    page.select_option("#id_contact_kind_0", "signal")
    page.fill("#id_contact_value_0", "+7 900 123 45 67")
    page.fill("#id_languages", "русский, чеченский")
    page.check("input[name=priority][value=urgent]")
    page.fill("#id_summary", "Бежал после задержания, нужен безопасный дом.")
    _no_sideways_scroll(page)
    screenshot(page, "case-new-person-ru")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/cases/**")

    person = Person.objects.get()
    case = Case.objects.get()
    assert person.name_values() == ["Руслан Тестов", "Ruslan Testov"]
    assert (person.birth_date, person.birth_precision) == (datetime.date(1991, 1, 1), "year")
    assert (case.team, case.priority, case.status, case.owner) == (team, "urgent", "new", worker)
    assert page.locator("h1").inner_text() == case.reference

    # 2. A task for tomorrow, assigned to herself.
    page.click("#tasks summary")
    page.fill("#id_title", "Купить билеты")
    page.select_option("#id_assignee", str(worker.pk))
    page.fill("#id_due", (timezone.localdate() + datetime.timedelta(days=1)).isoformat())
    page.click("#task-form button[type=submit]")
    page.wait_for_url(f"{base}/cases/{case.pk}/#tasks")
    assert page.locator("#tasks .task-title").all_inner_texts() == ["Купить билеты"]

    # 3. A note.
    page.fill("#id_body", "Встретились на вокзале, всё в порядке.")
    page.click("#note-form button[type=submit]")
    page.wait_for_url(f"{base}/cases/{case.pk}/#timeline")
    assert "Встретились на вокзале" in page.locator("#timeline").inner_text()

    # 4. Verifying, with the reason written down.
    page.select_option("#id_status", "verifying")
    page.fill("#id_reason", "Направлен партнёрской организацией")
    page.click("#status-form button[type=submit]")
    page.wait_for_url(f"{base}/cases/{case.pk}/#status")
    case.refresh_from_db()
    assert case.status == "verifying"
    assert "Направлен партнёрской организацией" in page.locator("#timeline").inner_text()
    _no_sideways_scroll(page)
    screenshot(page, "case-detail-ru")

    # 5. The placement (safe house) and document upload steps of the full walk belong to the
    #    workflow and documents pages; their engineers add them here, on this same case.

    page.goto(f"{base}/cases/")
    assert page.locator("#case-list li").count() == 1
    _no_sideways_scroll(page)
    screenshot(page, "case-list-ru")

    page.goto(f"{base}/people/?q=Ruslan+Testov")
    assert page.locator("#results li").all_inner_texts() == [f"{person.codename} — Руслан Тестов"]
    screenshot(page, "people-search-ru")

    assert requests.foreign() == []
