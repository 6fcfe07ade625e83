"""Access helpers for notifications and rosters: 404 for "does not exist" and "not yours" alike.

A notification is only ever its own user's; a roster is seen by the team's members and
administrators (rules.VIEW_ROSTER). A refusal of something that exists is audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from corridor.accounts.access import staff_holding
from corridor.accounts.models import Team, User
from corridor.audit import log as audit
from corridor.notifications.models import DutyShift, DutySwap, Notification
from corridor.notifications.rules import USE_NOTIFICATIONS, VIEW_ROSTER

__all__ = [
    "get_notification_for_user",
    "get_shift_for_user",
    "get_swap_for_user",
    "get_team_for_user",
    "notifications_for_user",
    "rosters_for_user",
    "staff_holding",
]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def notifications_for_user(user: Any) -> QuerySet[Notification]:
    """The signed-in staff member's own notifications."""
    staff = staff_holding(user, USE_NOTIFICATIONS)
    return Notification.objects.filter(user=staff)


def get_notification_for_user(user: Any, notification_id: Any) -> Notification:
    try:
        pk = uuid.UUID(str(notification_id))
    except ValueError:
        raise Http404 from None
    notification = notifications_for_user(user).filter(pk=pk).first()
    if notification is None:
        # Someone else's notification says only a kind and a count: refused like a missing one.
        raise Http404
    return notification


def rosters_for_user(user: Any) -> QuerySet[Team]:
    """Teams whose roster `user` may see."""
    if not isinstance(user, User):
        raise Http404
    return Team.objects.filter(pk__in=[team.pk for team in Team.objects.all() if user.has_perm(VIEW_ROSTER, team)])


def get_team_for_user(user: Any, team_id: Any, perm: str = VIEW_ROSTER) -> Team:
    if not isinstance(user, User):
        raise Http404
    pk = _int(team_id)
    team = Team.objects.filter(pk=pk).first()
    if team is None:
        raise Http404
    if not user.has_perm(VIEW_ROSTER, team):
        audit.record_decision(user, team, allowed=False, reason=f"lacks {VIEW_ROSTER}")
        raise Http404
    if perm != VIEW_ROSTER and not user.has_perm(perm, team):
        audit.record_decision(user, team, allowed=False, reason=f"lacks {perm}")
        raise Http404
    return team


def get_shift_for_user(user: Any, team: Team, shift_id: Any) -> DutyShift:
    shift = DutyShift.objects.filter(team=team, pk=_int(shift_id)).first()
    if shift is None:
        raise Http404
    return shift


def get_swap_for_user(user: Any, team: Team, swap_id: Any) -> DutySwap:
    swap = DutySwap.objects.filter(team=team, pk=_int(swap_id)).first()
    if swap is None:
        raise Http404
    return swap
