"""A walk per role through the demo instance, as issue 11's users tried it: each on a desktop
in English and on a 360 px phone in Russian, every page checked to fit the phone, and the
behaviours the issue asks for asserted where the user meets them. The screenshots are the
ones docs/users shows.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.utils import timezone

from corridor.audit.models import AuditEntry
from corridor.cases.models import Case, Document, Placement
from corridor.intake.models import IntakeRequest, Urgency
from corridor.notifications.models import Notification
from corridor.relocation.models import Application, Country, Programme
from tests.browser.walks import PHONE, World, assert_fits, build_world, walks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


@pytest.fixture(autouse=True)
def starter_programmes() -> None:
    """Transactional tests flush tables, including the rows data migrations loaded: reload them."""
    import importlib

    from django.apps import apps

    for name in ("0002_countries", "0003_starter_programmes"):
        importlib.import_module(f"corridor.relocation.migrations.{name}").load(apps, None)


@pytest.fixture
def world() -> World:
    return build_world()


def _urgent_first(walk: Any) -> None:
    """What needs action today comes first: right after the page title, before anything else."""
    first = walk.page.evaluate(
        "() => { const h = document.querySelector('main h1'); return h && h.nextElementSibling ? h.nextElementSibling.id : null; }"
    )
    assert first == "urgent"


def test_hotline_walk(page_factory: Any, world: World) -> None:
    emergency = IntakeRequest.objects.get(urgency=Urgency.EMERGENCY)
    desktop, phone = walks(page_factory, world.hotline, "hotline")
    for walk in (phone, desktop):
        walk.go("/")
        _urgent_first(walk)
        # The emergency on top of the dashboard, with how long it has waited, and a way to triage.
        waiting = walk.page.locator("#urgent > *:not(h2)").first
        assert waiting.get_attribute("id") == "triage-waiting"
        assert walk.page.locator("#triage-waiting[role=alert]").count() == 1
        assert walk.page.locator("header nav a[href='/triage/']").count() == 1  # triage in the menu too
        if walk.phone:
            # On a phone the emergency is the first thing below the header: on the first screen.
            box = walk.page.locator("#triage-waiting").bounding_box()
            assert box is not None and box["y"] < 740 / 2
        walk.shot("dashboard")
        walk.page.click("#triage-link")
        walk.check()
        assert walk.page.url.endswith("/triage/")
        rows = walk.page.locator("main table").first.locator("tbody tr")
        assert rows.count() == 4
        assert rows.first.locator("td").nth(1).get_attribute("class") == "urgency-emergency"
        walk.shot("triage")
        rows.first.locator("a").click()
        walk.check()
        assert walk.page.url.endswith(f"/triage/{emergency.pk}/")
        assert "Брата забрали" in walk.page.locator("main").inner_text()  # decrypted for the operator
        walk.shot("request")
        assert walk.requests.foreign() == []

    # The pages the person asking for help sees fit the same phone, without JavaScript.
    person, person_requests, base = page_factory(viewport=PHONE, locale="ru-RU", javascript=False)
    for path in ("/help/", "/help/return/"):
        person.goto(f"{base}{path}")
        assert_fits(person)
    assert person_requests.foreign() == []

    # A case from the emergency request, handed to the team's caseworker (the hotline does not keep it).
    walk = desktop
    form = walk.page.locator("form:has(input[value=open_case])")
    form.locator("input[name$=name]").fill("Хасанов Рамзан")
    form.locator("select[name$=team]").select_option(str(world.team.pk))
    with walk.page.expect_navigation():
        form.locator("button[type=submit]").click()
    walk.check()
    case = Case.objects.get(pk=IntakeRequest.objects.get(pk=emergency.pk).case_id)
    assert case.priority == "emergency"
    walk.go(f"/cases/{case.pk}/")
    walk.page.select_option("#owner-form select", str(world.caseworker.pk))
    with walk.page.expect_navigation():
        walk.page.click("#owner-form button[type=submit]")
    walk.check()
    case.refresh_from_db()
    assert case.owner == world.caseworker
    walk.shot("handed-off")
    # The new owner is told in the app, with a link to the case.
    assert Notification.objects.filter(user=world.caseworker, link=f"/cases/{case.pk}/").count() == 1


def test_caseworker_walk(page_factory: Any, world: World) -> None:
    desktop, phone = walks(page_factory, world.caseworker, "caseworker")
    for walk in (desktop, phone):
        walk.go("/")
        _urgent_first(walk)
        walk.shot("dashboard")
        # Search by the surname alone, the way caseworkers search (the name is stored surname first).
        walk.go("/people/")
        walk.page.fill("#id_q", "Мусаев" if walk.phone else "Musayev")
        with walk.page.expect_navigation():
            walk.page.click("form.search button[type=submit]")
        walk.check()
        assert walk.page.locator("#results li").all_inner_texts() == [f"{world.musaev.codename} — Мусаев Ислам"]
        walk.shot("search")
        walk.go(f"/cases/{world.musaev_case.pk}/")
        walk.shot("case")
        walk.go("/cases/")
        walk.shot("cases")
        walk.go("/safe-houses/")
        walk.shot("safe-houses")
        walk.go(f"/cases/{world.musaev_case.pk}/documents/")
        walk.shot("documents")
        document = Document.objects.get(case=world.musaev_case)
        case_pages = ("workflow", "verification", "consent", "risk", "placements")
        for path in (
            f"/documents/{document.pk}/",
            f"/people/{world.musaev.pk}/",
            f"/people/{world.musaev.pk}/edit/",
            "/people/new/",
            "/cases/new/",
            *(f"/cases/{world.musaev_case.pk}/{page}/" for page in case_pages),
            f"/safe-houses/{world.old_house.pk}/",
            "/safe-houses/new/",
            "/relocation/",
            f"/relocation/cases/{world.musaev_case.pk}/",
            "/notifications/",
            "/accounts/security/",
        ):
            walk.go(path)

    # The person living in the compromised house is moved, on the phone; the old house no longer lists them.
    desktop.go("/")
    assert desktop.page.locator("#in-compromised").inner_text().count(world.moved.codename) == 1
    phone.go(f"/cases/{world.moved_case.pk}/placements/")
    phone.page.select_option("#id_person", str(world.moved.pk))
    phone.page.select_option("#id_safe_house", str(world.new_house.pk))
    with phone.page.expect_navigation():
        phone.page.click("main form[method=post] button[type=submit]")
    phone.check()
    assert Placement.objects.get(person=world.moved, safe_house=world.new_house).end is None
    phone.go(f"/safe-houses/{world.old_house.pk}/")
    assert world.moved.codename not in phone.page.locator("main").inner_text()
    phone.shot("old-house")
    phone.go(f"/safe-houses/{world.new_house.pk}/")
    assert world.moved.codename in phone.page.locator("main").inner_text()
    phone.shot("safe-house")
    phone.go("/")
    # No longer among the people living in a compromised house (their task to move stays until done).
    assert world.moved.codename not in "".join(phone.page.locator("#in-compromised").all_inner_texts())
    assert desktop.requests.foreign() == [] and phone.requests.foreign() == []


def test_coordinator_walk(page_factory: Any) -> None:
    """A back-dated application: entered today, begun 80 days ago, submitted 75 days ago, decided
    10 days ago; the country's figures count it from the day it was submitted."""
    world = build_world(people=40)  # the demo's default size: figures with enough decisions to show
    country = Country.objects.get(pk="NL")
    programme = Programme.objects.create(
        country=country, name="Humanitarian visa", kind="humanitarian_visa", source_url="https://example.org/"
    )
    today = timezone.localdate()
    desktop, phone = walks(page_factory, world.coordinator, "coordinator")
    first = Application.objects.order_by("created").first()
    assert first is not None
    for path in (
        "/",
        "/relocation/alerts/",
        "/relocation/contacts/",
        "/relocation/countries/LT/",
        f"/relocation/cases/{world.musaev_case.pk}/",
        f"/relocation/applications/{first.pk}/",
        "/relocation/programmes/new/",
    ):
        phone.go(path)
    phone.go("/relocation/")
    phone.shot("figures")
    phone.go("/relocation/charts/")
    phone.shot("charts")
    phone.go(f"/relocation/cases/{world.musaev_case.pk}/")
    phone.shot("ranking")
    desktop.go("/relocation/")
    desktop.shot("figures")
    desktop.go(f"/relocation/cases/{world.musaev_case.pk}/")
    desktop.shot("ranking")
    desktop.page.select_option("#id_programme", str(programme.pk))
    desktop.page.fill("#id_channel", "Embassy of the Netherlands in Moscow")
    # Work on it began 80 days ago; it is entered only now.
    desktop.page.fill("#new-application input[name=on]", (today - datetime.timedelta(days=80)).isoformat())
    with desktop.page.expect_navigation():
        desktop.page.click("#new-application button[type=submit]")
    desktop.check()
    application = Application.objects.get(programme=programme)

    def move(status: str, days_ago: int) -> None:
        desktop.page.select_option("#id_status", status)
        desktop.page.fill("#id_on", (today - datetime.timedelta(days=days_ago)).isoformat())
        desktop.page.fill("#id_reason", f"Recorded late: {status}")
        with desktop.page.expect_navigation():
            desktop.page.click("button:has-text('Change status')")
        desktop.check()
        assert desktop.page.locator("#status").inner_text() != "draft", desktop.page.locator("main").inner_text()[:600]

    move("submitted", 75)
    desktop.go("/relocation/countries/NL/")
    pending = desktop.page.locator("main .figures tbody tr").first.locator("td").nth(5).inner_text()
    assert re.match(r"1 \(75, ≤75\)", pending), pending  # waiting since the day it was submitted
    desktop.go(f"/relocation/applications/{application.pk}/")
    move("decision", 10)
    desktop.shot("application")
    desktop.go("/relocation/countries/NL/")
    row = desktop.page.locator("main .figures tbody tr").first
    assert row.locator("td").nth(1).inner_text() == "1/1"
    # One decision is too little to state a rate or a time: the page says so instead of "100 %".
    assert row.locator(".too-few").count() >= 1
    assert "100%" not in row.inner_text()
    desktop.shot("country")

    phone.go(f"/relocation/applications/{application.pk}/")
    phone.shot("application")
    assert desktop.requests.foreign() == [] and phone.requests.foreign() == []


def test_auditor_walk(page_factory: Any, world: World) -> None:
    """Who opened this case? The auditor filters the log by the object and the kind of read."""
    # The caseworker opens the case (a page read is audited).
    from django.test import Client

    from corridor.accounts.testing import sign_in

    client = Client()
    sign_in(client, world.caseworker)
    assert client.get(f"/cases/{world.musaev_case.pk}/").status_code == 200
    reads = AuditEntry.objects.filter(actor_id=world.caseworker.pk, object_id=str(world.musaev_case.pk))
    assert reads.exists()
    desktop, phone = walks(page_factory, world.auditor, "auditor")
    for walk in (desktop, phone):
        walk.go("/")
        walk.go("/audit/")
        walk.shot("log")
        # Any read (page or API) of this case since a week ago.
        walk.page.select_option("#id_action", "reads")
        walk.page.fill("#id_object", world.musaev_case.reference)
        walk.page.fill("#id_since", (timezone.localdate() - datetime.timedelta(days=7)).isoformat())
        with walk.page.expect_navigation():
            walk.page.click("form.audit-filters button[type=submit]")
        walk.check()
        rows = walk.page.locator("table.audit-entries tbody tr").all_inner_texts()
        # The answer: the caseworker, who opened the case page; each row names the case.
        assert rows and all("zarema" in row and world.musaev_case.reference in row for row in rows), rows
        walk.shot("filtered")
    assert desktop.requests.foreign() == [] and phone.requests.foreign() == []


def test_admin_walk(page_factory: Any, world: World) -> None:
    desktop, phone = walks(page_factory, world.admin, "admin")
    for walk in (desktop, phone):
        walk.go("/")
        walk.shot("dashboard")
        walk.go("/accounts/users/")
        walk.shot("users")
        walk.go(f"/accounts/users/{world.caseworker.pk}/")
        walk.go("/accounts/users/new/")
        walk.go(f"/accounts/teams/{world.team.pk}/")
        walk.go("/accounts/security/")
        walk.go("/lockdown/")
        # The confirmation page offers a way back.
        assert walk.page.locator("main a:has-text('Cancel'), main a:has-text('Отмена')").count() == 1
        walk.shot("lockdown")
    assert desktop.requests.foreign() == [] and phone.requests.foreign() == []
