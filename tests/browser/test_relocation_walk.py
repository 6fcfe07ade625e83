"""A relocation coordinator in a real browser: opens an application, moves it to refused, opens
another in a different country, and the case's route ranking changes accordingly."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.relocation import domain
from corridor.relocation.models import Programme
from corridor.relocation.tests.factories import S, make_case, walk
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]
D = datetime.date


@pytest.fixture(autouse=True)
def starter_programmes() -> None:
    """Transactional tests flush tables, including the rows data migrations loaded: reload them."""
    import importlib

    from django.apps import apps

    for name in ("0002_countries", "0003_starter_programmes"):
        importlib.import_module(f"corridor.relocation.migrations.{name}").load(apps, None)


def _ranking(page: Any) -> list[str]:
    return [str(item.get_attribute("data-programme")) for item in page.locator("#ranking > li").all()]


def test_coordinator_walks_an_application_and_the_ranking_follows(page_factory: Any) -> None:
    team = Team.objects.create(name="Evacuations")
    caseworker = make_staff(Role.CASEWORKER, teams=[team], username="kamila")
    coordinator = make_staff(Role.RELOCATION, teams=[team], username="ruslan")
    lt, fr, lv = (Programme.objects.get(country=c) for c in ("LT", "FR", "LV"))
    # History the figures and charts are computed from.
    for days in (9, 14, 21):
        walk(caseworker, team, lt, [(S.SUBMITTED, D(2024, 1, 1)), (S.DECISION, D(2024, 1, 1) + datetime.timedelta(days=days))])
    walk(caseworker, team, lt, [(S.SUBMITTED, D(2024, 2, 1)), (S.REFUSED, D(2024, 2, 20))])
    walk(caseworker, team, fr, [(S.SUBMITTED, D(2024, 1, 1)), (S.REFUSED, D(2024, 3, 1))])
    walk(caseworker, team, lv, [(S.SUBMITTED, D(2024, 1, 1)), (S.DECISION, D(2024, 2, 15)), (S.VISA_ISSUED, D(2024, 2, 20)),
                                (S.TRAVEL_BOOKED, D(2024, 3, 1)), (S.DEPARTED, D(2024, 3, 5)), (S.ARRIVED, D(2024, 3, 6))])
    case = make_case(caseworker, team, documents=("international", "international"), priority="urgent")
    contact = domain.create_contact(coordinator, country=lt.country, kind="ministry", organisation="Ministry of Foreign Affairs", name="Desk officer")
    domain.log_engagement(coordinator, contact, asked="Two humanitarian visas for a family in hiding", response="Will consult the Migration Department",
                          next_step="Send the case summaries", next_due=datetime.date.today() + datetime.timedelta(days=7), on=datetime.date.today())

    page, requests, base = page_factory(viewport={"width": 1100, "height": 900})
    sign_in(page, base, coordinator)

    page.goto(f"{base}/relocation/cases/{case.pk}/")
    before = _ranking(page)
    assert before[0] == str(lt.pk)  # fastest, mostly granted
    screenshot(page, "relocation-ranking")

    page.select_option("#id_programme", str(lt.pk))
    page.fill("#id_channel", "Embassy in Moscow")
    page.click("#new-application button[type=submit]")
    page.wait_for_url("**/relocation/applications/**")
    assert page.locator("#status").inner_text() == "draft"
    page.select_option("#id_status", "submitted")
    page.fill("#id_reason", "Sent with the referral letter")
    page.click("button:has-text('Change status')")
    assert page.locator("#status").inner_text() == "submitted"
    page.select_option("#id_status", "refused")
    page.fill("#id_reason", "Letter from the embassy")
    page.select_option("#id_refusal_reason", "no_link")
    page.fill("#id_refusal_text", "No sufficient link to Lithuania")
    page.click("button:has-text('Change status')")
    assert page.locator("#status").inner_text() == "refused"

    page.goto(f"{base}/relocation/cases/{case.pk}/")
    after_refusal = _ranking(page)
    assert after_refusal[-1] == str(lt.pk) and after_refusal[0] != str(lt.pk)
    assert after_refusal != before

    first = after_refusal[0]
    page.select_option("#id_programme", first)
    page.fill("#id_channel", "Consulate in Tbilisi")
    page.click("#new-application button[type=submit]")
    page.wait_for_url("**/relocation/applications/**")
    page.goto(f"{base}/relocation/cases/{case.pk}/")
    after_second = _ranking(page)
    assert first not in after_second and after_second == [p for p in after_refusal if p != first]
    assert Programme.objects.get(pk=int(first)).country_id != "LT"
    assert "already applied: draft" in page.locator(f"#not-ranked li[data-programme='{first}']").inner_text()
    screenshot(page, "relocation-ranking")

    page.goto(f"{base}/relocation/countries/LT/")
    assert page.locator("h1").inner_text() == "Lithuania"
    assert "https://www.migracija.lt/" in page.content()
    assert "Send the case summaries" in page.locator("h2:has-text('Open commitments') + ul").inner_text()
    screenshot(page, "relocation-country")
    page.goto(f"{base}/relocation/charts/")
    assert page.locator("svg.chart").count() == 3
    screenshot(page, "relocation-charts")

    # The same pages on a small phone: nothing overflows sideways.
    phone, phone_requests, _base = page_factory(viewport={"width": 360, "height": 740})
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/relocation/charts/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert requests.foreign() == [] and phone_requests.foreign() == []
