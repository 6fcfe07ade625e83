"""A caseworker's walk on a small phone, in Russian: new person, their case, a task, a note,
verification, active, a safe-house placement and a photo; no request leaves the host,
nothing overflows sideways.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.cases import domain
from corridor.cases.models import Case, Document, Person, Placement
from corridor.keys.files import open_encrypted
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

PHONE = {"width": 360, "height": 740}


def _photo_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (43.0, 18.0, 59.0), 3: "E", 4: (45.0, 41.0, 39.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "navy").save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _change_status(page: Any, base: str, case: Case, status: str, reason: str) -> None:
    """On the case page: move the case to `status` with `reason`, and see that it moved."""
    page.select_option("#id_status", status)
    page.fill("#id_reason", reason)
    page.click("#status-form button[type=submit]")
    page.wait_for_url(f"{base}/cases/{case.pk}/#status")
    case.refresh_from_db()
    assert case.status == status


def test_caseworker_walk_on_a_phone_in_russian(page_factory: Any) -> None:
    team = Team.objects.create(name="Северный Кавказ")
    worker = make_staff(Role.CASEWORKER, teams=[team], username="zarema")
    page, requests, base = page_factory(viewport=PHONE, locale="ru-RU")
    sign_in(page, base, worker)

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
    _change_status(page, base, case, "verifying", "Направлен партнёрской организацией")
    assert "Направлен партнёрской организацией" in page.locator("#timeline").inner_text()
    _no_sideways_scroll(page)
    screenshot(page, "case-detail-ru")

    # 5. Verified by interview, then active.
    page.goto(f"{base}/cases/{case.pk}/verification/")
    page.select_option("#id_method", "interview")
    page.fill("#id_details", "Видеозвонок, личность подтверждена")
    page.click("form.narrow button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{base}/cases/{case.pk}/")
    _change_status(page, base, case, "active", "Проверено на интервью")

    # 6. A placement in the team's safe house.
    house = domain.create_safe_house(worker, team=team, label="Синий дом", address="ул. Примерная, 1", capacity=3)
    page.goto(f"{base}/cases/{case.pk}/placements/")
    page.select_option("#id_person", str(person.pk))
    page.select_option("#id_safe_house", str(house.pk))
    page.click("form.narrow button[type=submit]")
    page.wait_for_load_state()
    assert Placement.objects.filter(case=case, person=person, safe_house=house, end__isnull=True).count() == 1

    # 7. A photo from the phone: its GPS position is gone before it is encrypted.
    page.goto(f"{base}/cases/{case.pk}/documents/")
    page.set_input_files("#id_file", files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": _photo_with_gps()}])
    page.select_option("#id_kind", "photo")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_load_state()
    document = Document.objects.get(case=case)
    stored = open_encrypted(document.file)
    assert Image.open(io.BytesIO(stored)).getexif().get(0x8825) is None
    page.goto(f"{base}/cases/{case.pk}/")
    timeline = page.locator("#timeline").inner_text()
    assert "Синий дом" in timeline and "photo.jpg" in timeline
    _no_sideways_scroll(page)
    screenshot(page, "case-active-ru")

    page.goto(f"{base}/cases/")
    assert page.locator("#case-list li").count() == 1
    _no_sideways_scroll(page)
    screenshot(page, "case-list-ru")

    # The terms go in the body of a POST (never in a URL, so never in a log line).
    page.goto(f"{base}/people/")
    page.fill("#id_q", "Ruslan Testov")
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()
    page.locator("#results li").first.wait_for()
    assert page.locator("#results li").all_inner_texts() == [f"{person.codename} — Руслан Тестов"]
    screenshot(page, "people-search-ru")

    assert requests.foreign() == []
