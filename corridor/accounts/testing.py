"""Test helpers shared by every app: staff of each role, signed-in clients, the access matrix.

Every access test has an outsider — a user of another team who must get 404 — and data
that could leak (STYLE.md 9, 10).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.test import Client
from django.urls import resolve, reverse

from corridor.accounts import backends, domain, roles, sessions
from corridor.accounts.models import Role, Team, TOTPDevice, User
from corridor.core.decorators import is_trustee_allowed, works_while_sealed
from corridor.keys import instance, service

PASSWORD = "correct horse battery staple 42"
_SHARES: list[str] = []


def make_staff(role: str, *, teams: Iterable[Team] = (), username: str | None = None, factor: bool = True) -> User:
    """A fully enrolled staff user: password set, TOTP confirmed (unless factor=False)."""
    name = username or f"{role}-{User.objects.count() + 1}"
    user, _token = domain.create_user(None, username=name, role=role, teams=list(teams))
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    if factor:
        device = domain.start_totp(user)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return user


def totp_now(user: User) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return str(device.totp().token()).zfill(6)


def sign_in(client: Client, user: User) -> Client:
    """A session as the real two-step sign-in leaves it, without typing codes."""
    client.force_login(user, backend=backends.PATH)
    session = client.session
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session["otp_device_id"] = device.persistent_id
    now = time.time()
    session[sessions.LOGIN_AT] = now
    session[sessions.AUTH_AT] = now
    session[sessions.GENERATION] = user.session_generation
    session[sessions.EPOCH] = instance.session_epoch()
    session.save()
    return client


@dataclass
class Route:
    """One view (and method) in the access matrix.

    `name` is the URL name the address resolves to (`cases:case`, `api-case-list`): the
    matrix checks it, and tests/test_url_matrix.py counts it, so every URL name the
    resolver knows is either here or on that test's public list. `url` and `data` build the
    request from the world (team A's objects); with `other_team_url` the allowed roles also
    request team B's object, which every one of them but the admin must get as 404.
    """

    name: str
    url: Callable[[World], str]
    roles: set[str]
    method: str = "get"
    data: dict[str, Any] | Callable[[World], dict[str, Any]] = field(default_factory=dict)
    other_team_url: Callable[[World], str] | None = None
    ok_status: tuple[int, ...] = (200,)
    api: bool = False
    # For what belongs to the user themselves (a factor, a token): the address of the requesting
    # user's own object; `url` is then someone else's, which every other role gets.
    own_url: Callable[[World, User], str] | None = None
    # Undoes what an allowed request did when the next role must find the world as before
    # (the lockdown seals the instance).
    after: Callable[[World], None] | None = None

    def body(self, world: World) -> dict[str, Any]:
        return self.data(world) if callable(self.data) else self.data


ALL_ROLES = set(Role.values)
STAFF_ROLES = set(roles.STAFF_ROLES)


@dataclass
class World:
    """Two teams, one member of team A for every role, and an outsider in team B."""

    team_a: Team
    team_b: Team
    users: dict[str, User]
    outsider: User
    extra: dict[str, Any] = field(default_factory=dict)


def make_world() -> World:
    team_a = domain.create_team(None, "Team A")
    team_b = domain.create_team(None, "Team B")
    users = {role: make_staff(role, teams=[team_a], username=f"matrix-{role}") for role in Role.values}
    outsider = make_staff(Role.CASEWORKER, teams=[team_b], username="matrix-outsider")
    return World(team_a=team_a, team_b=team_b, users=users, outsider=outsider)


def instance_shares() -> list[str]:
    """The trustee shares of this test process's instance, which is initialised on first use."""
    if not _SHARES:
        _SHARES.extend(service.initialize(Path(settings.DATA_DIR), 5, 3))
    return list(_SHARES)


def seal() -> None:
    """Seal the instance as a restart or a lockdown leaves it (no audit entry: nobody acted)."""
    instance.keyring().seal()


def unseal() -> None:
    """Unseal with three of the process's shares, as the trustees would; nothing if unsealed."""
    keyring = instance.keyring()
    if keyring.status().sealed:
        keyring.reset_unseal()
        for share in instance_shares()[:3]:
            keyring.submit_share(share)


def _request(client: Client, route: Route, world: World, url: str) -> Any:
    call = getattr(client, route.method)
    if route.api:
        return call(url, route.body(world), content_type="application/json")
    return call(url, route.body(world))


def _resolves_to(route: Route, url: str) -> Any:
    """The view behind the address, which must be the one the route is named after."""
    match = resolve(urlsplit(url).path)
    assert match.view_name == route.name, (route.name, "the address resolves to", match.view_name)
    return match.func


def check_matrix(world: World, routes: Iterable[Route], *, admin_sees_all_teams: bool = True) -> int:
    """Every column for every route: anonymous, each role in the world (the trustee among
    them), the other team's object, and the sealed instance.

    Returns the checks made in the first three columns (check_sealed counts its own).
    """
    routes = list(routes)
    checks = 0
    for route in routes:
        url = route.url(world)
        view = _resolves_to(route, url)
        # The trustee holds an unseal share and does nothing else (DESIGN.md, Users): only the
        # few views marked @trustee_allowed (sign out, confirm the password) may admit them.
        assert (Role.TRUSTEE in route.roles) == is_trustee_allowed(view), (route.name, "trustee")
        anonymous = _request(Client(), route, world, url)
        if route.api:
            assert anonymous.status_code in (401, 403), (route.name, route.method, "anonymous", anonymous.status_code)
        else:
            assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], (
                route.name,
                route.method,
                "anonymous",
            )
        checks += 1
        for role, user in world.users.items():
            role_url = url
            if route.own_url is not None and role in route.roles:
                role_url = route.own_url(world, user)
                _resolves_to(route, role_url)
            response = _request(sign_in(Client(), user), route, world, role_url)
            if role in route.roles:
                assert response.status_code in route.ok_status, (route.name, route.method, role, response.status_code)
                if route.after is not None:
                    route.after(world)
            else:
                assert response.status_code in (401, 403, 404) if route.api else response.status_code == 404, (
                    route.name,
                    route.method,
                    role,
                    response.status_code,
                )
            checks += 1
            if route.other_team_url is not None and role in route.roles:
                if role == Role.ADMIN and admin_sees_all_teams:
                    continue
                other_url = route.other_team_url(world)
                _resolves_to(route, other_url)
                other = _request(sign_in(Client(), user), route, world, other_url)
                assert other.status_code == 404, (route.name, route.method, role, "other team", other.status_code)
                checks += 1
    check_sealed(world, routes)
    return checks


def _sealed_body(response: Any) -> bytes:
    """The sealed answer with what differs between two requests masked: the CSRF token and the
    address echoed into the language switch."""
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"CSRF", response.content)
    return re.sub(rb'name="next" value="[^"]*"', b"NEXT", body)


def check_sealed(world: World, routes: Iterable[Route]) -> int:
    """With the instance sealed, every route answers 503 with the same sealed page (or API body)
    as any other address, for anonymous visitors and for signed-in staff allowed on it: nothing
    of the route's data gets through. The instance is unsealed again afterwards."""
    routes = [route for route in routes if not works_while_sealed(_resolves_to(route, route.url(world)))]
    if not routes:
        return 0
    visitors = {"anonymous": Client()}
    for route in routes:
        allowed = sorted(role for role in route.roles if role in world.users)
        if allowed and allowed[0] not in visitors:
            visitors[allowed[0]] = sign_in(Client(), world.users[allowed[0]])
    urls = [(route, route.url(world)) for route in routes]
    checks = 0
    seal()
    try:
        for who, client in visitors.items():
            reference = {
                False: _sealed_body(client.get(reverse("web:dashboard"))),
                True: _sealed_body(client.get(reverse("api-me"))),
            }
            for route, url in urls:
                response = _request(client, route, world, url)
                assert response.status_code == 503, (route.name, route.method, who, "sealed", response.status_code)
                assert _sealed_body(response) == reference[route.api], (route.name, route.method, who, "sealed")
                checks += 1
    finally:
        unseal()
    return checks
