"""Editing a team's duty roster: weekly shifts, one-off swaps, and who is told when nobody answers."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.audit.actions import act, lock
from corridor.notifications.audit_names import NotificationAudit
from corridor.notifications.models import Duty, DutyShift, DutySwap, TeamAlerting
from corridor.notifications.rules import EDIT_ALERTING, EDIT_ROSTER


def _member(team: Team, user: User | None, field: str) -> None:
    if user is None or not user.is_active or not team.members.filter(pk=user.pk).exists():
        raise ValidationError({field: _("Choose an active member of this team.")})


def _duty(duty: str) -> Duty:
    try:
        return Duty(duty)
    except ValueError:
        raise ValidationError({"duty": _("Choose hotline or emergencies.")}) from None


def add_shift(
    actor: User, team: Team, *, duty: str, user: User, weekday: int, start: datetime.time, end: datetime.time
) -> DutyShift:
    """`user` is on `duty` every `weekday` from `start` until `end` (the next day when `end` is not after `start`)."""
    with act(actor, EDIT_ROSTER, team) as action:
        locked = lock(team)
        _member(locked, user, "user")
        if not 0 <= weekday <= 6:
            raise ValidationError({"weekday": _("Choose a day of the week.")})
        if start == end:
            raise ValidationError({"end": _("A shift must end at another time than it starts.")})
        shift = DutyShift.objects.create(team=locked, duty=_duty(duty), user=user, weekday=weekday, start=start, end=end)
        action.record(NotificationAudit.SHIFT_ADD, shift)
    return shift


def remove_shift(actor: User, shift: DutyShift) -> None:
    with act(actor, EDIT_ROSTER, shift.team) as action:
        locked = lock(shift)
        action.record(NotificationAudit.SHIFT_REMOVE, locked)
        locked.delete()


def add_swap(
    actor: User,
    team: Team,
    *,
    duty: str,
    user: User,
    starts: datetime.datetime,
    ends: datetime.datetime,
    replacing: User | None = None,
) -> DutySwap:
    """`user` is on `duty` from `starts` to `ends`, instead of `replacing` (or besides the pattern)."""
    with act(actor, EDIT_ROSTER, team) as action:
        locked = lock(team)
        _member(locked, user, "user")
        if replacing is not None:
            _member(locked, replacing, "replacing")
            if replacing.pk == user.pk:
                raise ValidationError({"replacing": _("A person cannot stand in for themselves.")})
        if ends <= starts:
            raise ValidationError({"ends": _("The swap must end after it starts.")})
        swap = DutySwap.objects.create(team=locked, duty=_duty(duty), user=user, starts=starts, ends=ends, replacing=replacing)
        action.record(NotificationAudit.SWAP_ADD, swap)
    return swap


def remove_swap(actor: User, swap: DutySwap) -> None:
    with act(actor, EDIT_ROSTER, swap.team) as action:
        locked = lock(swap)
        action.record(NotificationAudit.SWAP_REMOVE, locked)
        locked.delete()


def set_alerting(
    actor: User, team: Team, *, fallback: User | None, coordinators: Iterable[User], escalation_minutes: int
) -> TeamAlerting:
    """Who is told when nobody on duty opens an emergency, and after how many minutes."""
    with act(actor, EDIT_ALERTING, team) as action:
        locked = lock(team)
        if fallback is not None:
            _member(locked, fallback, "fallback")
        chosen = list(coordinators)
        for user in chosen:
            _member(locked, user, "coordinators")
        if not 1 <= escalation_minutes <= 24 * 60:
            raise ValidationError({"escalation_minutes": _("Choose between 1 minute and 24 hours.")})
        settings, _created = TeamAlerting.objects.select_for_update().get_or_create(team=locked)
        settings.fallback = fallback
        settings.escalation_minutes = escalation_minutes
        settings.save(update_fields=["fallback", "escalation_minutes"])
        settings.coordinators.set(chosen)
        action.record(NotificationAudit.ALERTING_SET, settings)
    return settings
