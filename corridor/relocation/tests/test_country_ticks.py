"""'Family lives in': about 250 countries as ticks in a scrolling box with a filter, not a Ctrl-click list."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import make_world, sign_in
from corridor.cases.models import Case
from corridor.relocation import domain
from corridor.relocation.models import Country
from corridor.relocation.tests.factories import make_case

pytestmark = pytest.mark.django_db


def test_family_countries_are_ticks_with_the_chosen_first_and_a_filter_script() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    case = make_case(worker, world.team_a)
    domain.set_profile(worker, case, referral="none", family_ties=["LT", "DE"])
    page = sign_in(Client(), worker).get(reverse("relocation:case", args=[case.pk])).content.decode()
    assert "<select" not in page.split('id="id_family_ties"', 1)[0].rsplit("<fieldset", 1)[1]
    box = page.split('<div id="id_family_ties" class="filterable">', 1)[1].split("</fieldset>", 1)[0]
    values = re.findall(r'name="family_ties" value="([A-Z]{2})"', box)
    assert len(values) == Country.objects.count() > 240
    assert values[:2] == ["DE", "LT"]  # the chosen ones first, then the rest by name
    assert re.findall(r'value="([A-Z]{2})"[^>]*checked', box) == ["DE", "LT"]
    assert '<script src="/static/corridor/filterable.js" data-placeholder="Type to find a country" defer></script>' in page
    assert "Ctrl" not in page
    # Ticking and saving works without any script.
    saved = sign_in(Client(), worker).post(
        reverse("relocation:case_profile", args=[case.pk]), {"referral": "none", "family_ties": ["FR", "LT"]}
    )
    assert saved.status_code == 302
    assert list(domain.profile_for(Case.objects.get(pk=case.pk)).family_ties) == ["FR", "LT"]
