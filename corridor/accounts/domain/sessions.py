"""Signing in and out, as the audit log sees them, and an admin's lockdown; the session itself is
corridor.accounts.sessions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.audit_names import AccountAudit
from corridor.accounts.models import User, WebAuthnCredential
from corridor.audit.actions import act, lock
from corridor.core.errors import Conflict
from corridor.keys import api as keys

OWN = "accounts.manage_own_account"
LOCKDOWN = "accounts.lockdown"


def signed_in(user: User) -> None:
    """`user` passed both steps (password, second factor) and now has a full session."""
    with act(user, OWN, user) as action:
        action.record(AccountAudit.LOGIN, user)


def signed_in_with_key(user: User, credential: WebAuthnCredential, new_sign_count: int) -> None:
    """A sign-in with a security key: its signature counter moves on, from the value checked.

    Of two requests racing with the same counter only one wins; the other gets a Conflict
    and no session. A cloned authenticator shows itself that way.
    """
    with act(user, OWN, credential.user) as action:
        locked = lock(credential)
        if locked.sign_count != credential.sign_count:
            raise Conflict(_("The security key could not be verified. Please try again."))
        locked.sign_count = new_sign_count
        locked.last_used_at = timezone.now()
        locked.save(update_fields=["sign_count", "last_used_at"])
        action.record(AccountAudit.LOGIN, user)


def signed_out(user: User) -> None:
    with act(user, OWN, user) as action:
        action.record(AccountAudit.LOGOUT, user)


def lockdown(actor: User) -> None:
    """An admin seals the instance now: keys dropped, every session ended (Invariant 4).

    Not act(): the seal must neither need nor wait for a database write, so it happens first
    and keys reports it to the audit log afterwards (instance.lockdown.admin), even when that
    write fails. A duress password seals through keys directly, as nobody in particular.
    """
    if not actor.has_perm(LOCKDOWN):
        raise PermissionDenied
    keys.lockdown(actor=actor, reason="admin")
