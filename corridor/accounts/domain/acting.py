"""Who acts in the accounts app: a signed-in user under a named permission, or the system.

Commands and the demo create accounts and teams before anyone can sign in; they act as
the system (actor None), which needs no permission (corridor.audit.actions.act).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from corridor.accounts.models import User
from corridor.audit.actions import Action, act


def acting(actor: User | None, perm: str, obj: Any = None) -> AbstractContextManager[Action]:
    """`act` under `perm` for a user, or as the system when `actor` is None."""
    return act(actor, None if actor is None else perm, obj)


def lock_user(user: User) -> User:
    """`user` read again under a row lock; works for `request.user`, a lazy object `lock` cannot take."""
    return User.objects.select_for_update().get(pk=user.pk)
