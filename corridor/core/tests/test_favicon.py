"""Every page, the public help form included, names a favicon served by this instance."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in

pytestmark = pytest.mark.django_db


def _icon(html: str) -> str:
    links = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert len(links) == 1, links
    return links[0]


def test_staff_pages_and_the_help_form_link_the_instances_own_favicon() -> None:
    staff = _icon(sign_in(Client(), make_staff(Role.CASEWORKER)).get(reverse("web:dashboard")).content.decode())
    intake = _icon(Client().get(reverse("intake:help")).content.decode())
    sign_in_page = _icon(Client().get(reverse("accounts:login")).content.decode())
    assert staff == intake == sign_in_page
    assert staff.startswith("/static/corridor/favicon")
    assert staff.endswith(".svg")
    found = finders.find("corridor/favicon.svg")
    assert found is not None
    with open(found, encoding="utf-8") as svg:
        body = svg.read()
    assert body.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "href" not in body  # nothing fetched from anywhere
