"""A case of one person: every form that asks "which member" has that person chosen already."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, make_world, sign_in
from corridor.cases.tests.test_views_workflow import house, open_case, principal

pytestmark = pytest.mark.django_db


def _selected(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, name
    return re.findall(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(1))


def test_the_only_person_of_a_case_is_preselected_in_consent_placement_and_document_forms() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    alone = open_case(worker, world.team_a)
    house(worker, world.team_a)
    only = str(principal(alone).pk)
    client = sign_in(Client(), worker)
    for name in ("cases:consent", "cases:placements", "cases:documents"):
        page = client.get(reverse(name, args=[alone.pk])).content.decode()
        assert _selected(page, "person") == [only], name


def test_a_case_of_two_preselects_nobody() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    family = open_case(worker, world.team_a, dependants=1)
    house(make_staff(Role.CASEWORKER, teams=[world.team_a]), world.team_a)
    client = sign_in(Client(), worker)
    for name in ("cases:consent", "cases:placements", "cases:documents"):
        page = client.get(reverse(name, args=[family.pk])).content.decode()
        assert _selected(page, "person") == [""], name  # the blank first choice, as before
