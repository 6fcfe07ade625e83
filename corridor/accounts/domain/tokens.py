"""API tokens: issue, re-activate after a lockdown or unseal, revoke.

A user manages their own, an administrator anyone's (accounts.manage_tokens on the owner);
`corridor token` acts as the system.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.audit_names import AccountAudit
from corridor.accounts.domain.acting import acting, lock_user
from corridor.accounts.models import ApiToken, User
from corridor.audit.actions import lock, stamp_once
from corridor.core.errors import Conflict
from corridor.keys import api as keys

MANAGE = "accounts.manage_tokens"


def create_api_token(actor: User | None, user: User, name: str = "") -> str:
    """Issue an API token for `user`; the token is returned once and stored as an HMAC."""
    with acting(actor, MANAGE, user) as action:
        if not user.has_perm("accounts.create_api_token"):
            raise ValidationError(_("This role cannot use the API."))
        record, token = ApiToken.issue(user, name=name)
        action.record(AccountAudit.TOKEN_CREATE, record)
    return token


def activate_api_token(actor: User | None, token: ApiToken) -> None:
    """Bind a suspended token to the current unseal epoch and session generation again.

    Only its owner (from a freshly authenticated session) or an administrator may: the
    same people who could issue a new token, so this gives no one more than they had.
    """
    epoch = keys.session_epoch()
    with acting(actor, MANAGE, token.user) as action:
        if not epoch:
            raise ValidationError(_("The instance is sealed."))
        owner = lock_user(token.user)
        locked = lock(token)
        if locked.revoked is not None:
            raise ValidationError(_("This token was revoked."))
        locked.epoch = epoch
        locked.generation = owner.session_generation
        locked.save(update_fields=["epoch", "generation"])
        action.record(AccountAudit.TOKEN_ACTIVATE, locked)
    token.epoch, token.generation = locked.epoch, locked.generation


def revoke_api_token(actor: User | None, token: ApiToken) -> None:
    """Revoke a token for good; one revoked meanwhile by someone else is a conflict."""
    with acting(actor, MANAGE, token.user) as action:
        stamp_once(action, token, "revoked", Conflict(_("This token was revoked already.")), AccountAudit.TOKEN_REVOKE)


def active_tokens_with_prefix(prefix: str) -> list[ApiToken]:
    """The unrevoked tokens whose shown prefix is `prefix` (what `corridor token` is given)."""
    return list(ApiToken.objects.select_related("user").filter(prefix=prefix, revoked__isnull=True).order_by("pk"))


def revoke_tokens_with_prefix(actor: User | None, prefix: str) -> int:
    """Revoke every active token with this prefix, each with its own entry; how many."""
    with acting(actor, "accounts.manage_users") as action:
        records = list(ApiToken.objects.select_for_update().filter(prefix=prefix, revoked__isnull=True).order_by("pk"))
        now = timezone.now()
        for record in records:
            record.revoked = now
            record.save(update_fields=["revoked"])
            action.record(AccountAudit.TOKEN_REVOKE, record)
        if not records:
            action.unchanged()
    return len(records)


def revoke_all_tokens(user: User) -> None:
    """Inside an administrator's action (deactivate, re-enrol): every token of `user` stops for good."""
    ApiToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())
