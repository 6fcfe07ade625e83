"""Named permissions for notifications and duty rosters (django `rules`).

Who edits a team's roster: administrators, and the team's coordinators (TeamAlerting.coordinators)
who are members of the team. The roster decides who is woken at night, so it is edited by the
people who answer for the team's cover, not by everyone on it; a member sees it, to know when
they are on. Who the coordinators and the fallback are is an administrator's choice only: a
coordinator could otherwise make themselves the end of every escalation chain, or remove it.
"""

from __future__ import annotations

from typing import Any

import rules

from corridor.accounts.rules import is_admin, is_staff_member, is_team_member, is_trustee
from corridor.notifications.models import TeamAlerting

VIEW_ROSTER = "notifications.view_roster"
EDIT_ROSTER = "notifications.edit_roster"
EDIT_ALERTING = "notifications.edit_alerting"
USE_NOTIFICATIONS = "notifications.use"
# Told of failed unseals, lockdowns, a sealed instance and a failing audit log: those who act on them.
HEAR_INSTANCE_EVENTS = "notifications.hear_instance_events"


@rules.predicate  # type: ignore[untyped-decorator]  # rules ships no types
def is_team_coordinator(user: Any, team: Any) -> bool:
    """A coordinator of `team`'s alerting who is still a member of the team."""
    if team is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    in_team = team.members.filter(pk=user.pk).exists()
    return bool(in_team and TeamAlerting.objects.filter(team=team, coordinators=user).exists())


rules.add_perm(USE_NOTIFICATIONS, is_staff_member)
rules.add_perm(VIEW_ROSTER, is_admin | (is_staff_member & is_team_member))
rules.add_perm(EDIT_ROSTER, is_admin | is_team_coordinator)
rules.add_perm(EDIT_ALERTING, is_admin)
rules.add_perm(HEAR_INSTANCE_EVENTS, is_admin | is_trustee)
