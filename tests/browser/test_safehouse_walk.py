"""A caseworker on a phone, in Russian: adds a safe house, places a person, and marks the house
compromised after confirming who they are again. No request leaves the host.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django_otp.oath import TOTP

from corridor.accounts.models import Role, Team, TOTPDevice, User
from corridor.accounts.testing import PASSWORD, make_staff
from corridor.cases import domain
from corridor.cases.models import SafeHouse, Task
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

PHONE = {"width": 360, "height": 740}


def next_code(user: User) -> str:
    """The code the phone shows in the next 30-second window: accepted (tolerance 1), and not
    the one already used to sign in, which can never work twice."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return str(TOTP(device.secret, device.step, 0, device.digits, device.drift + 1).token()).zfill(6)


def fits_the_phone(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"])


def test_safe_house_walk_on_a_phone_in_russian(page_factory: Any, settings: Any) -> None:
    # Step-up after one second, so the walk meets the password-and-code prompt for real.
    settings.STEP_UP_SECONDS = 1
    team = Team.objects.create(name="Северный Кавказ")
    worker = make_staff(Role.CASEWORKER, teams=[team], username="madina")
    person = domain.create_person(
        worker, names=[{"name": "Магомед Исаев", "kind": "legal"}], birth_date=datetime.date(1994, 3, 1)
    )
    case = domain.open_case(worker, team=team, principal=person)

    page, requests, base = page_factory(viewport=PHONE, locale="ru-RU")
    sign_in(page, base, worker)
    assert page.locator("html").get_attribute("lang") == "ru"

    page.goto(f"{base}/safe-houses/new/")
    page.fill("#id_label", "Синяя дверь")
    page.fill("#id_address", "ул. Ленина 1, кв. 5")
    page.fill("#id_capacity", "4")
    page.click("main button[type=submit]")
    house = SafeHouse.objects.get(label="Синяя дверь")
    page.wait_for_url(f"{base}/safe-houses/{house.pk}/")

    page.goto(f"{base}/cases/{case.pk}/placements/")
    page.select_option("#id_person", str(person.pk))
    page.select_option("#id_safe_house", str(house.pk))
    # The form posts back to the same address: wait for the navigation itself, not the URL.
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    assert list(house.placements.values_list("person_id", flat=True)) == [person.pk]

    page.goto(f"{base}/safe-houses/{house.pk}/")
    assert "ул. Ленина 1, кв. 5" in page.content()
    assert person.codename in page.locator("main").inner_text()
    assert fits_the_phone(page)
    screenshot(page, "safehouse-ru")

    page.wait_for_timeout(1100)
    page.click(f"a[href='/safe-houses/{house.pk}/compromise/']")
    page.wait_for_url("**/accounts/reauth/**")
    page.fill("#id_username", worker.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_code", next_code(worker))
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/safe-houses/{house.pk}/compromise/")
    house.refresh_from_db()
    assert house.compromised is None  # the confirmation page changes nothing

    # The step-up is fresh now; pressing the button must not ask again.
    settings.STEP_UP_SECONDS = 300
    with page.expect_navigation():
        page.click("main button.danger")
    house.refresh_from_db()
    assert house.compromised is not None
    task = Task.objects.get(case=case)
    assert task.urgent
    assert person.codename in page.locator("main").inner_text()
    assert page.locator(f"a[href$='#task-{task.pk}']").count() == 1
    assert fits_the_phone(page)
    screenshot(page, "compromised-ru")
    assert requests.foreign() == []
