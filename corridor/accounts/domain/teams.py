"""Teams: created by administrators, by `corridor createuser --team` and by the demo (the system)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.audit_names import AccountAudit
from corridor.accounts.domain.acting import acting
from corridor.accounts.models import Team, User
from corridor.audit.actions import Action

MANAGE = "accounts.manage_users"


def create_team(actor: User | None, name: str, description: str = "") -> Team:
    """A new team; a name already taken is refused."""
    with acting(actor, MANAGE) as action:
        team = _create(action, name, description)
    return team


def team_named(actor: User | None, name: str) -> Team:
    """The team called `name`, created (and audited) when there is none yet: for commands and the demo."""
    with acting(actor, MANAGE) as action:
        existing = Team.objects.filter(name=name.strip()).first()
        if existing is not None:
            action.unchanged()
            return existing
        team = _create(action, name, "")
    return team


def _create(action: Action, name: str, description: str) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A team needs a name.")})
    if Team.objects.filter(name=name).exists():
        raise ValidationError({"name": _("A team with this name exists already.")})
    team = Team(name=name, description=description.strip())
    team.full_clean()
    team.save()
    action.record(AccountAudit.TEAM_CREATE, team)
    return team
