"""The access matrix for account pages: anonymous, each role, and the other team's objects."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import ALL_ROLES, STAFF_ROLES, Route, check_matrix, make_world

pytestmark = pytest.mark.django_db

ROUTES = [
    Route("dashboard", lambda w: reverse("web:dashboard"), STAFF_ROLES),
    Route("security", lambda w: reverse("accounts:security"), STAFF_ROLES),
    Route("users", lambda w: reverse("accounts:users"), {Role.ADMIN}),
    Route("new user", lambda w: reverse("accounts:new_user"), {Role.ADMIN}),
    Route("user", lambda w: reverse("accounts:user", args=[w.outsider.pk]), {Role.ADMIN}),
    Route("lockdown page", lambda w: reverse("web:lockdown_confirm"), {Role.ADMIN}),
    Route(
        "team",
        lambda w: reverse("accounts:team", args=[w.team_a.pk]),
        STAFF_ROLES,
        other_team_url=lambda w: reverse("accounts:team", args=[w.team_b.pk]),
    ),
    Route("audit log", lambda w: reverse("audit:log"), {Role.AUDITOR, Role.ADMIN}),
    Route("api me", lambda w: reverse("api-me"), STAFF_ROLES, api=True),
]


def test_account_pages_matrix() -> None:
    world = make_world()
    checks = check_matrix(world, ROUTES)
    assert checks >= len(ROUTES) * (len(ALL_ROLES) + 1)


def test_team_b_object_is_404_exactly_like_a_missing_one() -> None:
    from django.test import Client

    from corridor.accounts.testing import sign_in

    world = make_world()
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    other_url = reverse("accounts:team", args=[world.team_b.pk])
    missing_url = reverse("accounts:team", args=[999999])
    other = client.get(other_url)
    missing = client.get(missing_url)
    # The pages differ only in the address echoed into the language switch and the CSRF mask.
    assert other.status_code == missing.status_code == 404

    def normalised(body: bytes, url: str) -> bytes:
        body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"CSRF", body)
        return body.replace(url.encode(), b"URL")

    assert normalised(other.content, other_url) == normalised(missing.content, missing_url)
    assert world.team_b.name.encode() not in other.content
