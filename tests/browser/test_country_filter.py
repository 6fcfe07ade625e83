"""The 'Family lives in' ticks get a filter box where scripts run (corridor/filterable.js)."""

from __future__ import annotations

from typing import Any

import pytest

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.relocation.tests.factories import make_case
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


@pytest.fixture(autouse=True)
def countries() -> None:
    """Transactional tests flush tables, including the rows data migrations loaded: reload them."""
    import importlib

    from django.apps import apps

    for name in ("0002_countries", "0003_starter_programmes"):
        importlib.import_module(f"corridor.relocation.migrations.{name}").load(apps, None)


def test_typing_in_the_filter_box_narrows_the_countries_and_keeps_the_ticked(page_factory: Any) -> None:
    team = Team.objects.create(name="Evacuations")
    caseworker = make_staff(Role.CASEWORKER, teams=[team], username="kamila")
    case = make_case(caseworker, team)
    page, requests, base = page_factory(viewport={"width": 360, "height": 800})
    sign_in(page, base, caseworker)
    page.goto(f"{base}/relocation/cases/{case.pk}/")
    page.check("#id_family_ties input[value=FR]")
    box = page.locator("input.filter-box")
    assert box.get_attribute("placeholder") == "Type to find a country"
    box.fill("lithu")
    visible = page.locator("#id_family_ties > div:not([hidden]) label").all_inner_texts()
    assert sorted(text.strip() for text in visible) == ["France", "Lithuania"]
    box.press("Enter")  # filters; does not send the form
    assert page.url == f"{base}/relocation/cases/{case.pk}/"
    box.fill("")
    assert page.locator("#id_family_ties > div:not([hidden])").count() > 240
    assert requests.foreign() == []
