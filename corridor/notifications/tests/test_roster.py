"""on_duty: exact at shift boundaries, across midnight and summer time, with swaps; next_on_duty."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.notifications.api import Duty, next_on_duty, on_duty, responders
from corridor.notifications.domain import roster as domain
from corridor.notifications.models import DutyShift

pytestmark = pytest.mark.django_db

VILNIUS = ZoneInfo("Europe/Vilnius")  # summer time: 2026-03-29 03:00 -> 04:00, 2026-10-25 04:00 -> 03:00


def at(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=VILNIUS)  # type: ignore[misc]  # tests are not type-checked


@pytest.fixture
def world() -> dict[str, object]:
    team = Team.objects.create(name="Hotline")
    other = Team.objects.create(name="Other")
    admin = make_staff(Role.ADMIN)
    day = make_staff(Role.HOTLINE, teams=[team], username="day")
    night = make_staff(Role.HOTLINE, teams=[team], username="night")
    spare = make_staff(Role.HOTLINE, teams=[team], username="spare")
    stranger = make_staff(Role.HOTLINE, teams=[other], username="stranger")
    return {"team": team, "admin": admin, "day": day, "night": night, "spare": spare, "stranger": stranger}


def _week(world: dict[str, object]) -> None:
    team, admin = world["team"], world["admin"]
    for weekday in range(7):
        domain.add_shift(
            admin,
            team,
            duty=Duty.EMERGENCY,
            user=world["day"],
            weekday=weekday,
            start=datetime.time(8),
            end=datetime.time(20),
        )
        domain.add_shift(
            admin,
            team,
            duty=Duty.EMERGENCY,
            user=world["night"],
            weekday=weekday,
            start=datetime.time(20),
            end=datetime.time(8),
        )


def _names(users: list) -> list[str]:
    return [user.username for user in users]


@override_settings(TIME_ZONE="Europe/Vilnius")
def test_boundaries_are_half_open(world: dict[str, object]) -> None:
    _week(world)
    team = world["team"]
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 6, 3, 7, 59, 59))) == ["night"]
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 6, 3, 8, 0))) == ["day"]
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 6, 3, 19, 59, 59))) == ["day"]
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 6, 3, 20, 0))) == ["night"]
    assert on_duty(team, Duty.HOTLINE, at(2026, 6, 3, 12)) == []


@override_settings(TIME_ZONE="Europe/Vilnius")
def test_overnight_shift_runs_into_the_next_day(world: dict[str, object]) -> None:
    team, admin = world["team"], world["admin"]
    # Only Sunday night: 22:00 Sunday to 06:00 Monday.
    domain.add_shift(
        admin, team, duty=Duty.HOTLINE, user=world["night"], weekday=6, start=datetime.time(22), end=datetime.time(6)
    )
    assert _names(on_duty(team, Duty.HOTLINE, at(2026, 6, 7, 23, 30))) == ["night"]  # Sunday
    assert _names(on_duty(team, Duty.HOTLINE, at(2026, 6, 8, 0, 0))) == ["night"]  # Monday midnight
    assert _names(on_duty(team, Duty.HOTLINE, at(2026, 6, 8, 5, 59))) == ["night"]
    assert on_duty(team, Duty.HOTLINE, at(2026, 6, 8, 6, 0)) == []
    assert on_duty(team, Duty.HOTLINE, at(2026, 6, 8, 23, 0)) == []  # Monday night: nobody


@override_settings(TIME_ZONE="Europe/Vilnius")
def test_summer_time_keeps_wall_clock_shifts(world: dict[str, object]) -> None:
    _week(world)
    team = world["team"]
    # The night of the spring change is an hour shorter: 20:00 EET to 08:00 EEST, 11 hours.
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 3, 29, 7, 59))) == ["night"]
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 3, 29, 8, 0))) == ["day"]
    # In UTC: 08:00 EEST is 05:00 UTC, and 06:00 UTC was already day.
    utc = datetime.UTC
    assert _names(on_duty(team, Duty.EMERGENCY, datetime.datetime(2026, 3, 29, 4, 59, tzinfo=utc))) == ["night"]
    assert _names(on_duty(team, Duty.EMERGENCY, datetime.datetime(2026, 3, 29, 5, 0, tzinfo=utc))) == ["day"]
    # Autumn: 08:00 EET is 06:00 UTC.
    assert _names(on_duty(team, Duty.EMERGENCY, datetime.datetime(2026, 10, 25, 5, 59, tzinfo=utc))) == ["night"]
    assert _names(on_duty(team, Duty.EMERGENCY, datetime.datetime(2026, 10, 25, 6, 0, tzinfo=utc))) == ["day"]


@override_settings(TIME_ZONE="Europe/Vilnius")
def test_swap_replaces_only_while_it_lasts(world: dict[str, object]) -> None:
    _week(world)
    team, admin = world["team"], world["admin"]
    domain.add_swap(
        admin,
        team,
        duty=Duty.EMERGENCY,
        user=world["spare"],
        starts=at(2026, 6, 3, 22),
        ends=at(2026, 6, 4, 2),
        replacing=world["night"],
    )
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 6, 3, 21, 59))) == ["night"]
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 6, 3, 22, 0))) == ["spare"]
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 6, 4, 1, 59))) == ["spare"]
    assert _names(on_duty(team, Duty.EMERGENCY, at(2026, 6, 4, 2, 0))) == ["night"]


@override_settings(TIME_ZONE="Europe/Vilnius")
def test_next_on_duty(world: dict[str, object]) -> None:
    _week(world)
    team = world["team"]
    moment, people = next_on_duty(team, Duty.EMERGENCY, at(2026, 6, 3, 12))
    assert (moment, _names(people)) == (at(2026, 6, 3, 20), ["night"])
    assert next_on_duty(team, Duty.HOTLINE, at(2026, 6, 3, 12)) is None
    from corridor.notifications.roster import now_and_next

    found = now_and_next(team, Duty.EMERGENCY, at(2026, 6, 3, 20, 0))  # exactly at the change
    assert (_names(found.now), found.next_at, _names(found.next)) == (["night"], at(2026, 6, 4, 8), ["day"])


def test_fallback_when_nobody_is_on_duty(world: dict[str, object]) -> None:
    team, admin = world["team"], world["admin"]
    assert responders(team, Duty.EMERGENCY) == []
    domain.set_alerting(admin, team, fallback=world["spare"], coordinators=[world["day"]], escalation_minutes=30)
    assert _names(responders(team, Duty.EMERGENCY)) == ["spare"]


def test_who_may_edit_the_roster(world: dict[str, object]) -> None:
    team, admin = world["team"], world["admin"]
    shift = dict(duty=Duty.HOTLINE, user=world["day"], weekday=0, start=datetime.time(9), end=datetime.time(17))
    with pytest.raises(PermissionDenied):
        domain.add_shift(world["day"], team, **shift)  # a member, not a coordinator
    domain.set_alerting(admin, team, fallback=None, coordinators=[world["day"]], escalation_minutes=30)
    made = domain.add_shift(world["day"], team, **shift)  # now a coordinator
    assert AuditEntry.objects.filter(action="roster.shift.add", object_id=str(made.pk)).count() == 1
    with pytest.raises(PermissionDenied):
        domain.set_alerting(world["day"], team, fallback=world["day"], coordinators=[], escalation_minutes=5)
    with pytest.raises(PermissionDenied):
        domain.add_shift(world["stranger"], team, **shift)


def test_roster_refuses_strangers_and_empty_shifts(world: dict[str, object]) -> None:
    team, admin = world["team"], world["admin"]
    with pytest.raises(ValidationError):
        domain.add_shift(
            admin, team, duty=Duty.HOTLINE, user=world["stranger"], weekday=0, start=datetime.time(9), end=datetime.time(17)
        )
    with pytest.raises(ValidationError):
        domain.add_shift(
            admin, team, duty=Duty.HOTLINE, user=world["day"], weekday=0, start=datetime.time(9), end=datetime.time(9)
        )
    assert DutyShift.objects.count() == 0
