"""Account changes that end case ownership: leaving a team, a new role, deactivation.

accounts sits below cases and cannot call into it, so cases listens for the changes
(inside the admin's transaction) and releases what the user may no longer own.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_save

from corridor.accounts.models import User
from corridor.cases.domain.ownership import release_ownership


def _user_saved(sender: Any, instance: User, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if created or kwargs.get("raw"):
        return
    if update_fields is not None and not {"role", "is_active"} & set(update_fields):
        return  # last_login, password, session generation…: nothing that changes what one may own
    release_ownership(instance)


def _teams_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any) -> None:
    if action not in ("post_remove", "post_clear"):
        return
    if not reverse:  # user.teams.remove(...) / .set(...) / .clear()
        release_ownership(instance)
        return
    # team.members.remove(user...) names the users in pk_set; clear() names none, so check all owners.
    users = User.objects.filter(pk__in=pk_set) if pk_set else User.objects.filter(owned_cases__team=instance).distinct()
    for user in users:
        release_ownership(user)


def connect() -> None:
    post_save.connect(_user_saved, sender=User, dispatch_uid="cases.release_ownership.user")
    m2m_changed.connect(_teams_changed, sender=User.teams.through, dispatch_uid="cases.release_ownership.teams")
