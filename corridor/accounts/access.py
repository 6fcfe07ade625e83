"""Access helpers: the only way views fetch objects that belong to teams.

Each answers 404 both for "does not exist" and "not yours", so a probe cannot tell
the two apart (invariant 5). One helper per model, each condition on its own line.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from corridor.accounts.models import Role, Team, User


def teams_visible_to(user: User) -> QuerySet[Team]:
    if user.role == Role.ADMIN:
        return Team.objects.all()
    return Team.objects.filter(members=user)


def get_team_for_user(user: User, team_id: Any) -> Team:
    try:
        team_pk = int(team_id)
    except (TypeError, ValueError):
        raise Http404 from None
    team = teams_visible_to(user).filter(pk=team_pk).first()
    if team is None:
        raise Http404
    return team


def get_user_for_admin(admin: User, user_id: Any) -> User:
    if not admin.has_perm("accounts.manage_users"):
        raise Http404
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise Http404 from None
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise Http404
    return user
