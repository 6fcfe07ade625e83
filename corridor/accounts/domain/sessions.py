"""Signing in and out, as the audit log sees them; the session itself is corridor.accounts.sessions."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.audit_names import AccountAudit
from corridor.accounts.models import User, WebAuthnCredential
from corridor.audit.actions import act, lock
from corridor.core.errors import Conflict

OWN = "accounts.manage_own_account"


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
