"""Access helpers: the only way views fetch teams, accounts, factors and tokens.

Each answers 404 both for "does not exist" and "not yours", so a probe cannot tell
the two apart (invariant 5); a refusal of something that exists is audited. One helper
per model, each condition on its own line. Views never ask `has_perm` again before
calling a domain action: the action checks for itself.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404

from corridor.accounts.models import ApiToken, Team, TOTPDevice, User, WebAuthnCredential
from corridor.audit import log as audit

MANAGE_USERS = "accounts.manage_users"


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404 from None


def _refuse(user: User, found: Model | None, why: str) -> Http404:
    """Log a refusal of something that exists (Invariant 6), then answer as if it did not."""
    if found is not None:
        audit.record_decision(user, found, allowed=False, reason=why)
    return Http404()


def staff_holding(user: Any, perm: str) -> User:
    """The signed-in user when their role holds `perm` (a page with no object yet); 404 otherwise."""
    if not isinstance(user, User):
        raise Http404
    if not user.has_perm(perm):
        raise Http404
    return user


def user_administrator(user: Any, perm: str = MANAGE_USERS) -> User:
    """The signed-in user when they administer accounts; 404 otherwise."""
    return staff_holding(user, perm)


def teams_visible_to(user: User) -> QuerySet[Team]:
    if user.has_perm(MANAGE_USERS):
        return Team.objects.all()
    return Team.objects.filter(members=user)


def get_team_for_user(user: Any, team_id: Any) -> Team:
    if not isinstance(user, User):
        raise Http404
    pk = _int(team_id)
    team = teams_visible_to(user).filter(pk=pk).first()
    if team is None:
        raise _refuse(user, Team.objects.filter(pk=pk).first(), "not a member of this team")
    return team


def get_user_for_admin(admin: User, user_id: Any, perm: str = MANAGE_USERS) -> User:
    pk = _int(user_id)
    if not admin.has_perm(perm):
        raise _refuse(admin, User.objects.filter(pk=pk).first(), f"lacks {perm}")
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise Http404
    return user


def get_factor_for_user(user: User, kind: str, factor_id: Any) -> TOTPDevice | WebAuthnCredential:
    """One of the user's own second factors; anyone else's is missing."""
    model: type[TOTPDevice] | type[WebAuthnCredential]
    if kind == "totp":
        model = TOTPDevice
    elif kind == "webauthn":
        model = WebAuthnCredential
    else:
        raise Http404
    pk = _int(factor_id)
    found: TOTPDevice | WebAuthnCredential | None = model.objects.filter(pk=pk).first()
    if found is None:
        raise Http404
    if found.user_id != user.pk:
        raise _refuse(user, found, "another user's factor")
    return found


def get_token_for_user(user: User, token_id: Any) -> ApiToken:
    """One of the user's own unrevoked API tokens; anyone else's is missing."""
    pk = _int(token_id)
    found = ApiToken.objects.select_related("user").filter(pk=pk, revoked__isnull=True).first()
    if found is None:
        raise Http404
    if found.user_id != user.pk:
        raise _refuse(user, found, "another user's token")
    return found
