"""Who is on duty: the weekly pattern and the one-off swaps, read at an instant.

Shifts are wall-clock times in the instance's time zone (settings.TIME_ZONE): "Monday 22:00 to
06:00" is 22:00 local time on Monday to 06:00 local time on Tuesday, whatever summer time does
in between (that night is then an hour shorter or longer). A shift is the half-open interval
[start, end): at the exact end the next shift's person is on duty, not both.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from corridor.accounts.models import Team, User
from corridor.notifications.models import DutyShift, DutySwap, TeamAlerting

DAY = datetime.timedelta(days=1)
# How far ahead "next on duty" looks: a whole week of the pattern and a day more.
LOOKAHEAD_DAYS = 8


@dataclass(frozen=True)
class Interval:
    user_id: int
    starts: datetime.datetime
    ends: datetime.datetime


def _local(day: datetime.date, at: datetime.time) -> datetime.datetime:
    """`day` at wall-clock `at` in the instance's zone (a time skipped by summer time lands after the gap)."""
    zone = timezone.get_default_timezone()
    naive = datetime.datetime.combine(day, at)
    # zoneinfo maps a skipped wall time forward by the gap (fold=0); going through UTC
    # normalises it, so comparisons below are exact instants.
    return naive.replace(tzinfo=zone).astimezone(datetime.UTC)


def shift_occurrences(shifts: Iterable[DutyShift], first: datetime.date, last: datetime.date) -> list[Interval]:
    """Every occurrence of `shifts` starting on a local date from `first` to `last` inclusive."""
    found: list[Interval] = []
    patterns = list(shifts)
    day = first
    while day <= last:
        for shift in patterns:
            if shift.weekday != day.weekday():
                continue
            end_day = day if shift.end > shift.start else day + DAY  # end <= start: the next day
            found.append(Interval(shift.user_id, _local(day, shift.start), _local(end_day, shift.end)))
        day += DAY
    return found


def _shifts(team: Team, duty: str) -> list[DutyShift]:
    return list(DutyShift.objects.filter(team=team, duty=duty))


def _swaps(team: Team, duty: str, starts: datetime.datetime, ends: datetime.datetime) -> list[DutySwap]:
    return list(DutySwap.objects.filter(team=team, duty=duty, starts__lt=ends, ends__gt=starts))


def _on_duty_ids(at: datetime.datetime, shifts: list[DutyShift], swaps: list[DutySwap]) -> list[int]:
    local_day = timezone.localtime(at, timezone.get_default_timezone()).date()
    # A shift that started yesterday may still run (overnight); one that starts today may have begun.
    ids: list[int] = []
    for interval in shift_occurrences(shifts, local_day - DAY, local_day):
        if interval.starts <= at < interval.ends and interval.user_id not in ids:
            ids.append(interval.user_id)
    for swap in swaps:
        if swap.starts <= at < swap.ends and swap.replacing_id in ids:
            ids.remove(swap.replacing_id)
    for swap in swaps:
        if swap.starts <= at < swap.ends and swap.user_id not in ids:
            ids.append(swap.user_id)
    return ids


def _users(ids: list[int]) -> list[User]:
    by_id = {user.pk: user for user in User.objects.filter(pk__in=ids, is_active=True)}
    return [by_id[pk] for pk in ids if pk in by_id]


def on_duty(team: Team, duty: str, at: datetime.datetime | None = None) -> list[User]:
    """The active people on `duty` for `team` at the instant `at` (now by default), pattern first."""
    at = at or timezone.now()
    swaps = _swaps(team, duty, at, at + datetime.timedelta(microseconds=1))
    return _users(_on_duty_ids(at, _shifts(team, duty), swaps))


@dataclass(frozen=True)
class NowAndNext:
    now: list[User]
    next_at: datetime.datetime | None  # None: nothing changes within LOOKAHEAD_DAYS
    next: list[User]


def now_and_next(team: Team, duty: str, at: datetime.datetime | None = None) -> NowAndNext:
    """Who is on `duty` at `at`, when that next changes and who is on then: three queries."""
    at = at or timezone.now()
    horizon = at + LOOKAHEAD_DAYS * DAY
    shifts = _shifts(team, duty)
    swaps = _swaps(team, duty, at, horizon)
    now_ids = _on_duty_ids(at, shifts, swaps)
    local_day = timezone.localtime(at, timezone.get_default_timezone()).date()
    moments: set[datetime.datetime] = set()
    for interval in shift_occurrences(shifts, local_day - DAY, local_day + LOOKAHEAD_DAYS * DAY):
        moments |= {interval.starts, interval.ends}
    for swap in swaps:
        moments |= {swap.starts, swap.ends}
    next_at: datetime.datetime | None = None
    next_ids: list[int] = []
    for moment in sorted(m for m in moments if at < m <= horizon):
        ids = _on_duty_ids(moment, shifts, swaps)
        if ids != now_ids:
            next_at, next_ids = moment, ids
            break
    people = {user.pk: user for user in _users(sorted(set(now_ids) | set(next_ids)))}
    return NowAndNext(
        now=[people[pk] for pk in now_ids if pk in people],
        next_at=next_at,
        next=[people[pk] for pk in next_ids if pk in people],
    )


def next_on_duty(team: Team, duty: str, at: datetime.datetime | None = None) -> tuple[datetime.datetime, list[User]] | None:
    """When the people on duty next change after `at`, and who they are then; None if nothing changes within a week."""
    found = now_and_next(team, duty, at)
    return (found.next_at, found.next) if found.next_at is not None else None


def alerting(team: Team) -> TeamAlerting | None:
    return TeamAlerting.objects.filter(team=team).select_related("fallback").first()


def responders(team: Team, duty: str, at: datetime.datetime | None = None) -> list[User]:
    """Who gets an alert for `duty` now: the people on duty, else the team's fallback."""
    found = on_duty(team, duty, at)
    if found:
        return found
    settings = alerting(team)
    if settings is not None and settings.fallback is not None and settings.fallback.is_active:
        return [settings.fallback]
    return []


def teams_with_duty(duty: str) -> list[Team]:
    """Teams that keep a roster for `duty` (a pattern, a swap or alerting settings)."""
    return list(
        Team.objects.filter(Q(duty_shifts__duty=duty) | Q(duty_swaps__duty=duty) | Q(alerting__fallback__isnull=False)).distinct()
    )
