"""Test helpers shared by every app: staff of each role, signed-in clients, the access matrix.

Every access test has an outsider — a user of another team who must get 404 — and data
that could leak (STYLE.md 9, 10).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client

from corridor.accounts import domain, roles, sessions
from corridor.accounts.models import Role, Team, TOTPDevice, User
from corridor.keys import instance

PASSWORD = "correct horse battery staple 42"


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
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
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
    """One view in the access matrix.

    `url` builds the address from the world (team A's objects); `scoped` routes are
    also requested with team B's object, which every non-admin must get as 404.
    """

    name: str
    url: Callable[[Any], str]
    roles: set[str]
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)
    other_team_url: Callable[[Any], str] | None = None
    ok_status: tuple[int, ...] = (200,)
    api: bool = False


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
    team_a = Team.objects.create(name="Team A")
    team_b = Team.objects.create(name="Team B")
    users = {role: make_staff(role, teams=[team_a], username=f"matrix-{role}") for role in Role.values}
    outsider = make_staff(Role.CASEWORKER, teams=[team_b], username="matrix-outsider")
    return World(team_a=team_a, team_b=team_b, users=users, outsider=outsider)


def _request(client: Client, route: Route, url: str) -> Any:
    call = getattr(client, route.method)
    if route.api:
        return call(url, route.data, content_type="application/json")
    return call(url, route.data)


def check_matrix(world: World, routes: Iterable[Route], *, admin_sees_all_teams: bool = True) -> int:
    """Anonymous, every role, and the other team's object, for every route. Returns checks made."""
    checks = 0
    for route in routes:
        url = route.url(world)
        anonymous = _request(Client(), route, url)
        if route.api:
            assert anonymous.status_code in (401, 403), (route.name, "anonymous", anonymous.status_code)
        else:
            assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"], (route.name, "anonymous")
        checks += 1
        for role, user in world.users.items():
            response = _request(sign_in(Client(), user), route, url)
            if role in route.roles:
                assert response.status_code in route.ok_status, (route.name, role, response.status_code)
            else:
                assert response.status_code in (401, 403, 404) if route.api else response.status_code == 404, (
                    route.name,
                    role,
                    response.status_code,
                )
            checks += 1
            if route.other_team_url is not None and role in route.roles:
                if role == Role.ADMIN and admin_sees_all_teams:
                    continue
                other = _request(sign_in(Client(), user), route, route.other_team_url(world))
                assert other.status_code == 404, (route.name, role, "other team", other.status_code)
                checks += 1
    return checks
