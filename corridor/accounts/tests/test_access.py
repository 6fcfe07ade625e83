"""The access matrix for account pages: anonymous, each role, and the other team's objects."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from corridor.accounts.models import ApiToken, Role, TOTPDevice, User
from corridor.accounts.testing import ALL_ROLES, STAFF_ROLES, Route, World, check_matrix, make_world, unseal

pytestmark = pytest.mark.django_db


def _token(world: World, user: User) -> ApiToken:
    return ApiToken.objects.filter(user=user, revoked__isnull=True).latest("pk")


def _token_button(name: str) -> Route:
    """A button on a token: the user's own works, the outsider's is missing to everyone."""

    def outsiders(w: World) -> str:
        return reverse(name, args=[_token(w, w.outsider).pk])

    return Route(
        name,
        outsiders,
        STAFF_ROLES,
        method="post",
        ok_status=(302,),
        own_url=lambda w, user: reverse(name, args=[_token(w, user).pk]),
        other_team_url=outsiders,
    )


def _factor(user: User) -> str:
    return reverse("accounts:remove_factor", args=["totp", TOTPDevice.objects.get(user=user, confirmed=True).pk])


ROUTES = [
    Route("web:dashboard", lambda w: reverse("web:dashboard"), STAFF_ROLES),
    Route("web:lockdown_confirm", lambda w: reverse("web:lockdown_confirm"), {Role.ADMIN}),
    # The lockdown seals the instance at once; the next role finds it unsealed again.
    Route(
        "web:lockdown", lambda w: reverse("web:lockdown"), {Role.ADMIN}, method="post", ok_status=(200,), after=lambda w: unseal()
    ),
    Route("accounts:security", lambda w: reverse("accounts:security"), STAFF_ROLES),
    # The trustee may confirm their password and sign out, and nothing else.
    Route("accounts:reauth", lambda w: reverse("accounts:reauth"), ALL_ROLES),
    Route("accounts:logout", lambda w: reverse("accounts:logout"), ALL_ROLES, method="post", ok_status=(302,)),
    Route("accounts:recovery_codes", lambda w: reverse("accounts:recovery_codes"), STAFF_ROLES, method="post"),
    Route(
        "accounts:create_token", lambda w: reverse("accounts:create_token"), STAFF_ROLES, method="post", data={"name": "laptop"}
    ),
    # Someone else's factor or token is missing to everyone; one's own is there.
    Route(
        "accounts:remove_factor",
        lambda w: _factor(w.outsider),
        STAFF_ROLES,
        method="post",
        ok_status=(302,),
        own_url=lambda w, user: _factor(user),
        other_team_url=lambda w: _factor(w.outsider),
    ),
    _token_button("accounts:activate_token"),
    _token_button("accounts:revoke_token"),
    Route(
        "accounts:webauthn_register_options", lambda w: reverse("accounts:webauthn_register_options"), STAFF_ROLES, method="post"
    ),
    # No ceremony was started: refused with the reason (400) to those who may add a key.
    Route(
        "accounts:webauthn_register_verify",
        lambda w: reverse("accounts:webauthn_register_verify"),
        STAFF_ROLES,
        method="post",
        ok_status=(400,),
    ),
    Route("accounts:users", lambda w: reverse("accounts:users"), {Role.ADMIN}),
    Route("accounts:new_user", lambda w: reverse("accounts:new_user"), {Role.ADMIN}),
    Route("accounts:user", lambda w: reverse("accounts:user", args=[w.outsider.pk]), {Role.ADMIN}),
    Route(
        "accounts:user_action",
        lambda w: reverse("accounts:user_action", args=[w.outsider.pk, "end-sessions"]),
        {Role.ADMIN},
        method="post",
        ok_status=(302,),
    ),
    Route(
        "accounts:team",
        lambda w: reverse("accounts:team", args=[w.team_a.pk]),
        STAFF_ROLES,
        other_team_url=lambda w: reverse("accounts:team", args=[w.team_b.pk]),
    ),
    Route("audit:log", lambda w: reverse("audit:log"), {Role.AUDITOR, Role.ADMIN}),
    Route("api-me", lambda w: reverse("api-me"), STAFF_ROLES, api=True),
]


def build() -> World:
    """The matrix world, with an API token for everyone (the trustee and the outsider included)."""
    world = make_world()
    for user in [*world.users.values(), world.outsider]:
        ApiToken.issue(user, name="matrix")
    return world


def test_account_pages_matrix() -> None:
    world = build()
    checks = check_matrix(world, ROUTES)
    assert checks >= len(ROUTES) * (len(ALL_ROLES) + 1)
    # Every allowed user revoked their own token and no one else's.
    assert ApiToken.objects.filter(user=world.outsider, revoked__isnull=True).count() == 1
    assert sorted(ApiToken.objects.filter(revoked__isnull=False).values_list("user__role", flat=True)) == sorted(STAFF_ROLES)


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
