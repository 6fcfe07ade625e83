"""A staff member signs in with password and TOTP in a real browser; no request leaves the host."""

from __future__ import annotations

from typing import Any

import pytest

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import PASSWORD, make_staff, totp_now
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


def test_sign_in_with_password_and_totp(page_factory: Any) -> None:
    team = Team.objects.create(name="North Caucasus")
    user = make_staff(Role.CASEWORKER, teams=[team], username="aida")
    page, requests, base = page_factory()
    page.goto(f"{base}/accounts/login/")
    screenshot(page, "login-en")
    page.fill("#id_username", "aida")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/verify/**")
    page.fill("#id_code", totp_now(user))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert "North Caucasus" in page.content()
    screenshot(page, "dashboard-en")
    assert requests.foreign() == []
    assert len(requests.urls) >= 4


def test_login_page_in_russian_on_a_phone(page_factory: Any) -> None:
    page, requests, base = page_factory(viewport={"width": 360, "height": 740}, locale="ru-RU")
    page.goto(f"{base}/accounts/login/")
    assert page.locator("h1").inner_text() == "Войти"
    assert page.locator("html").get_attribute("lang") == "ru"
    # Nothing overflows sideways on a small phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "login-ru-phone")
    assert requests.foreign() == []
