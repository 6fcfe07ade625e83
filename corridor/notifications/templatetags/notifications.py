"""The unread badge in the header and the on-duty box for the dashboard."""

from __future__ import annotations

from typing import Any

from django import template

from corridor.accounts.models import User
from corridor.notifications import roster
from corridor.notifications.models import Duty, Notification
from corridor.notifications.rules import VIEW_ROSTER

register = template.Library()


@register.simple_tag
def unread_notifications(user: Any) -> int:
    """How many unread notifications `user` has: one indexed COUNT, only on pages that show it."""
    if not isinstance(user, User) or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read__isnull=True).count()


@register.inclusion_tag("notifications/_on_duty.html")
def on_duty_box(user: Any) -> dict[str, Any]:
    """Who is on duty now and next, for each team of `user` that keeps a roster."""
    rows = []
    if isinstance(user, User):
        for team in user.teams.order_by("name"):
            if not user.has_perm(VIEW_ROSTER, team):
                continue
            for duty in Duty:
                found = roster.now_and_next(team, duty)
                if found.now or found.next_at:
                    rows.append({"team": team, "duty": duty, "now": found.now, "next_at": found.next_at, "next": found.next})
    return {"rows": rows}
