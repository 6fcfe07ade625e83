"""A documentation officer in a real browser: records an event with two acts and three sources, one
derived from another, links them, and reads the corroboration the event page shows — then the
same page on a phone, 360 px wide, with no sideways scrolling and no request to another host."""

from __future__ import annotations

import hashlib
import importlib
import re
from typing import Any

import pytest
from django.apps import apps

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.cases import domain as cases_domain
from corridor.documentation.models import Term
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


@pytest.fixture(autouse=True)
def starter_vocabulary() -> None:
    """Transactional tests flush tables, including the rows data migrations loaded: reload them."""
    importlib.import_module("corridor.documentation.migrations.0003_starter_vocabulary").load(apps, None)


def _id(page: Any, kind: str) -> str:
    match = re.search(rf"/documentation/{kind}/([0-9a-f-]{{36}})/", page.url)
    assert match, page.url
    return match.group(1)


def _record_act(page: Any, base: str, event_id: str, victim: Any, act_type: str, methods: list[str], start: str) -> None:
    page.goto(f"{base}/documentation/events/{event_id}/acts/new/")
    page.select_option("#id_victim", str(victim.pk))
    page.select_option("#id_act_type", str(Term.objects.get(code=act_type).pk))
    for code in methods:
        page.check(f"input[name=methods][value='{Term.objects.get(code=code).pk}']")
    page.fill("#id_start", start)
    page.select_option("#id_end_status", "released")
    page.click("button[type=submit]")
    page.wait_for_url(f"**/documentation/events/{event_id}/")


def _record_source(page: Any, base: str, team: Team, kind: str, title: str, text: str, **extra: str) -> str:
    page.goto(f"{base}/documentation/sources/new/")
    page.select_option("#id_team", str(team.pk))
    page.select_option("#id_kind", kind)
    if "person" in extra:
        page.select_option("#id_person", extra["person"])
    page.fill("#id_title", title)
    page.fill("#id_text", text)
    if "derived_from" in extra:
        page.select_option("#id_derived_from", extra["derived_from"])
    page.click("button[type=submit]")
    page.wait_for_url("**/documentation/sources/*/")
    return _id(page, "sources")


def _link(page: Any, event_id: str, source_id: str, act_id: str, how_known: str, day: str) -> None:
    page.locator("#add-information summary").click()
    form = page.locator("#add-information form")
    form.locator("#id_source").select_option(source_id)
    form.locator("#id_target").select_option(act_id)
    form.locator("#id_how_known").select_option(how_known)
    form.locator("#id_reported_start").fill(day)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/documentation/events/{event_id}/")


def test_officer_records_an_event_and_reads_its_corroboration(page_factory: Any) -> None:
    team = Team.objects.create(name="Documentation")
    officer = make_staff(Role.DOCUMENTATION, teams=[team], username="zarema")
    caseworker = make_staff(Role.CASEWORKER, teams=[team], username="kamila")
    first, _case = cases_domain.create_person_with_case(caseworker, team=team, names=[{"name": "Ислам", "kind": "legal"}])
    second, _case = cases_domain.create_person_with_case(caseworker, team=team, names=[{"name": "Руслан", "kind": "legal"}])

    page, requests, base = page_factory(viewport={"width": 1100, "height": 900})
    sign_in(page, base, officer)
    page.click("nav >> text=Documentation")
    page.wait_for_url(f"{base}/documentation/")
    page.click("text=Record an event")
    page.select_option("#id_team", str(team.pk))
    page.fill("#id_title", "Detention at the Argun checkpoint")
    page.fill("#id_start", "2024-03-01")
    page.fill("#id_end", "2024-03-10")
    page.fill("#id_place", "Checkpoint on the road to Argun")
    page.fill("#id_description", "Two men were stopped at the checkpoint and held in the basement of the police station.")
    page.click("button[type=submit]")
    page.wait_for_url("**/documentation/events/*/")
    event_id = _id(page, "events")

    _record_act(page, base, event_id, first, "torture", ["electric_shock", "beating"], "2024-03-02")
    _record_act(page, base, event_id, second, "arbitrary_detention", [], "2024-03-01")
    assert page.locator("article.act").count() == 2
    # Acts are listed by date: the detention (1 March) before the torture (2 March).
    detention_act, torture_act = [str(a.get_attribute("id")).removeprefix("act-") for a in page.locator("article.act").all()]
    assert page.locator(f"#act-{torture_act} h3").inner_text() == f"torture — {first.codename}"

    words = "Security forces detained two men at a checkpoint near Argun on 2 March and held them for eight days."
    original = _record_source(page, base, team, "media", "Kavkaz report", words)
    reprint = _record_source(
        page, base, team, "media", "Reprint in a national paper", words + " Reprinted.", derived_from=original
    )
    testimony = _record_source(
        page, base, team, "testimony", "Islam's account", "They used electric shocks on me for two days.", person=str(first.pk)
    )
    assert page.locator("#derived-chain").inner_text() == "An original source"
    page.goto(f"{base}/documentation/sources/{reprint}/")
    assert page.locator("#derived-chain").inner_text() == "Kavkaz report"

    page.goto(f"{base}/documentation/events/{event_id}/")
    _link(page, event_id, original, torture_act, "hearsay", "2024-03-02")
    _link(page, event_id, reprint, torture_act, "hearsay", "2024-03-02")
    _link(page, event_id, testimony, torture_act, "victim", "2024-03-02")

    act = page.locator(f"#act-{torture_act}")
    box = act.locator(".corroboration")
    assert box.get_attribute("data-independent") == "2"
    assert box.locator(".count").inner_text() == "2 independent sources"
    text = box.inner_text()
    assert "(of 3 sources cited)" in text
    assert "3 sources, but they trace back to 2 independent originals." in text
    assert "Consistency of the key facts: 100%" in text
    assert act.locator(".victim").inner_text() == first.codename
    assert page.locator(f"#act-{detention_act} .corroboration .count").inner_text() == "0 independent sources"

    # A file kept as evidence: hashed as received, and its custody starts with that.
    statement = b"Medical certificate: two broken ribs, burns on both hands.\n"
    page.locator("#add-evidence summary").click()
    page.locator("#add-evidence input[type=file]").set_input_files(
        files=[{"name": "certificate.txt", "mimeType": "text/plain", "buffer": statement}]
    )
    page.locator("#add-evidence #id_description").fill("Certificate from the clinic in Nazran")
    page.locator("#add-evidence button[type=submit]").click()
    page.wait_for_url("**/documentation/evidence/*/")
    assert page.locator("dd.hash").inner_text() == hashlib.sha256(statement).hexdigest()
    assert page.locator("ol.custody li").count() == 1
    page.goto(f"{base}/documentation/events/{event_id}/")
    assert page.locator("#evidence a").first.inner_text() == "certificate.txt"
    screenshot(page, "documentation-event")

    # The same page on a phone: everything readable, nothing wider than the screen.
    phone, phone_requests, _base = page_factory(viewport={"width": 360, "height": 780})
    # The same session (a second sign-in within the same TOTP step would be refused as a replay).
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/documentation/events/{event_id}/")
    assert phone.locator(f"#act-{torture_act} .corroboration .count").inner_text() == "2 independent sources"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "documentation-event-phone")
    pages = ("", "timeline/", f"sources/{reprint}/", "sources/new/", "perpetrators/", "vocabulary/", "export/", "import/")
    for path in (*pages, f"events/{event_id}/acts/new/", f"events/{event_id}/edit/"):
        phone.goto(f"{base}/documentation/{path}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, path

    assert requests.foreign() == [] and phone_requests.foreign() == []
