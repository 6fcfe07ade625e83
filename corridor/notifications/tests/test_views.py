"""The access matrix of the notification centre and the rosters, and the pages doing their work."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from corridor.accounts.models import Role
from corridor.accounts.testing import STAFF_ROLES, Route, check_matrix, make_world, sign_in
from corridor.notifications.api import Duty, Kind, notify
from corridor.notifications.domain import roster
from corridor.notifications.models import DutyShift, DutySwap, Notification

pytestmark = pytest.mark.django_db

EDITORS = {Role.ADMIN, Role.CASEWORKER}  # the admin, and team A's coordinator (the caseworker)
ADMIN = {Role.ADMIN}


def _recreate_shift(world: Any) -> None:
    shift = world.extra["shift"]
    DutyShift.objects.create(
        pk=shift.pk, team=shift.team, duty=shift.duty, user=shift.user, weekday=shift.weekday, start=shift.start, end=shift.end
    )


def _recreate_swap(world: Any) -> None:
    swap = world.extra["swap"]
    DutySwap.objects.create(pk=swap.pk, team=swap.team, duty=swap.duty, user=swap.user, starts=swap.starts, ends=swap.ends)


@pytest.fixture
def world() -> Any:
    world = make_world()
    admin = world.users[Role.ADMIN]
    for team, coordinator in ((world.team_a, world.users[Role.CASEWORKER]), (world.team_b, world.outsider)):
        roster.set_alerting(admin, team, fallback=coordinator, coordinators=[coordinator], escalation_minutes=30)
    hotline = world.users[Role.HOTLINE]
    world.extra["shift"] = roster.add_shift(
        admin, world.team_a, duty=Duty.HOTLINE, user=hotline, weekday=0, start=datetime.time(9), end=datetime.time(17)
    )
    world.extra["shift_b"] = roster.add_shift(
        admin, world.team_b, duty=Duty.HOTLINE, user=world.outsider, weekday=0, start=datetime.time(9), end=datetime.time(17)
    )
    starts = datetime.datetime(2030, 1, 1, 9, tzinfo=datetime.UTC)
    world.extra["swap"] = roster.add_swap(
        admin, world.team_a, duty=Duty.HOTLINE, user=hotline, starts=starts, ends=starts + datetime.timedelta(hours=4)
    )
    world.extra["swap_b"] = roster.add_swap(
        admin, world.team_b, duty=Duty.HOTLINE, user=world.outsider, starts=starts, ends=starts + datetime.timedelta(hours=4)
    )
    for user in [*world.users.values(), world.outsider]:
        notify([user], Kind.CASE_ASSIGNED, link="/notifications/")
    return world


def _own(world: Any, user: Any) -> str:
    return str(Notification.objects.filter(user=user).first().pk)


def _team(suffix: str = "") -> Any:
    return lambda w: f"/notifications/rosters/{w.team_a.pk}/{suffix}"


def _team_b(suffix: str = "") -> Any:
    return lambda w: f"/notifications/rosters/{w.team_b.pk}/{suffix}"


ROUTES = [
    Route("notifications:list", lambda w: "/notifications/", STAFF_ROLES),
    Route(
        "notifications:read",
        lambda w: f"/notifications/{_own(w, w.outsider)}/read/",
        STAFF_ROLES,
        method="post",
        ok_status=(302,),
        own_url=lambda w, u: f"/notifications/{_own(w, u)}/read/",
    ),
    Route(
        "notifications:open",
        lambda w: f"/notifications/{_own(w, w.outsider)}/open/",
        STAFF_ROLES,
        method="post",
        ok_status=(302,),
        own_url=lambda w, u: f"/notifications/{_own(w, u)}/open/",
    ),
    Route("notifications:read_all", lambda w: "/notifications/read/", STAFF_ROLES, method="post", ok_status=(302,)),
    Route("notifications:preferences", lambda w: "/notifications/preferences/", STAFF_ROLES),
    Route("notifications:preferences", lambda w: "/notifications/preferences/", STAFF_ROLES, method="post", ok_status=(400,)),
    Route("notifications:rosters", lambda w: "/notifications/rosters/", STAFF_ROLES),
    Route("notifications:roster", _team(), STAFF_ROLES, other_team_url=_team_b()),
    Route(
        "notifications:shift_add", _team("shifts/"), EDITORS, method="post", ok_status=(400,), other_team_url=_team_b("shifts/")
    ),
    Route(
        "notifications:shift_remove",
        lambda w: f"/notifications/rosters/{w.team_a.pk}/shifts/{w.extra['shift'].pk}/remove/",
        EDITORS,
        method="post",
        ok_status=(302,),
        other_team_url=lambda w: f"/notifications/rosters/{w.team_b.pk}/shifts/{w.extra['shift_b'].pk}/remove/",
        after=_recreate_shift,
    ),
    Route("notifications:swap_add", _team("swaps/"), EDITORS, method="post", ok_status=(400,), other_team_url=_team_b("swaps/")),
    Route(
        "notifications:swap_remove",
        lambda w: f"/notifications/rosters/{w.team_a.pk}/swaps/{w.extra['swap'].pk}/remove/",
        EDITORS,
        method="post",
        ok_status=(302,),
        other_team_url=lambda w: f"/notifications/rosters/{w.team_b.pk}/swaps/{w.extra['swap_b'].pk}/remove/",
        after=_recreate_swap,
    ),
    Route(
        "notifications:alerting", _team("alerting/"), ADMIN, method="post", ok_status=(400,), other_team_url=_team_b("alerting/")
    ),
]


def test_matrix(world: Any) -> None:
    assert check_matrix(world, ROUTES) > len(ROUTES) * len(world.users)


def test_shift_from_another_team_is_missing(world: Any) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    url = f"/notifications/rosters/{world.team_a.pk}/shifts/{world.extra['shift_b'].pk}/remove/"
    assert client.post(url).status_code == 404
    assert DutyShift.objects.filter(pk=world.extra["shift_b"].pk).exists()


def test_badge_list_open_and_mark_all(world: Any) -> None:
    user = world.users[Role.HOTLINE]
    notify([user], Kind.INTAKE_NEW, count=2, link="/triage/")
    client = sign_in(Client(), user)
    page = client.get("/notifications/").content.decode()
    assert re.search(r'id="unread-count"[^>]*>2</span>', page)
    assert "2 new requests for help" in page
    newest = Notification.objects.get(user=user, kind=Kind.INTAKE_NEW)
    response = client.post(f"/notifications/{newest.pk}/open/")
    assert (response.status_code, response["Location"]) == (302, "/triage/")
    newest.refresh_from_db()
    assert newest.read is not None
    assert client.post("/notifications/read/").status_code == 302
    assert Notification.objects.filter(user=user, read__isnull=True).count() == 0
    assert 'id="unread-count"' not in client.get("/notifications/").content.decode()


def test_pages_in_russian(world: Any) -> None:
    client = sign_in(Client(), world.users[Role.ADMIN])
    client.cookies["django_language"] = "ru"
    with translation.override("ru"):
        for url in ("/notifications/", "/notifications/preferences/", f"/notifications/rosters/{world.team_a.pk}/"):
            page = client.get(url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
            assert "Уведомления" in page, url


def test_roster_forms_work(world: Any) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    hotline = world.users[Role.HOTLINE]
    response = client.post(
        f"/notifications/rosters/{world.team_a.pk}/shifts/",
        {"shift-duty": "emergency", "shift-user": hotline.pk, "shift-weekday": "6", "shift-start": "22:00", "shift-end": "06:00"},
    )
    assert response.status_code == 302
    assert DutyShift.objects.filter(team=world.team_a, duty="emergency", weekday=6).count() == 1
    response = client.post(
        f"/notifications/rosters/{world.team_a.pk}/shifts/",
        {
            "shift-duty": "emergency",
            "shift-user": world.outsider.pk,
            "shift-weekday": "6",
            "shift-start": "22:00",
            "shift-end": "06:00",
        },
    )
    assert response.status_code == 400


def test_preferences_save_the_address_sealed(world: Any) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    response = client.post(
        "/notifications/preferences/",
        {"batching": "hourly", "email": "someone@example.org", "muted": ["task_due"], "public_key": ""},
    )
    assert response.status_code == 302
    page = client.get("/notifications/preferences/").content.decode()
    assert "someone@example.org" in page


def test_dashboard_shows_who_is_on_duty_now(world: Any) -> None:
    from django.utils import timezone

    now = timezone.localtime()
    hotline = world.users[Role.HOTLINE]
    roster.add_shift(
        world.users[Role.ADMIN],
        world.team_a,
        duty=Duty.EMERGENCY,
        user=hotline,
        weekday=now.weekday(),
        start=datetime.time(0),
        end=datetime.time(23, 59, 59),  # all day
    )
    page = sign_in(Client(), world.users[Role.CASEWORKER]).get("/").content.decode()
    box = page.split('id="on-duty"')[1].split("</section>")[0]
    assert "Team A" in box and hotline.username in box
    assert "Team B" not in box
