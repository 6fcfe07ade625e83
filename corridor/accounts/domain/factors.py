"""Second factors: an authenticator app, security keys (WebAuthn), recovery codes.

Each user manages their own (accounts.manage_own_account), also half-signed-in while
enrolling; administrators only ever remove them all, by re-enrolling someone (users.py).
"""

from __future__ import annotations

import base64
import secrets
from urllib.parse import quote

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from corridor.accounts import lockout
from corridor.accounts.audit_names import AccountAudit
from corridor.accounts.domain.acting import lock_user
from corridor.accounts.models import RecoveryCodeDevice, TOTPDevice, User, WebAuthnCredential
from corridor.audit.actions import Action, act, lock
from corridor.core.errors import Conflict

OWN = "accounts.manage_own_account"


def start_totp(user: User) -> TOTPDevice:
    """An unconfirmed authenticator with a fresh secret; confirmed (and audited) by its first code.

    Until then it is no factor: it signs no one in, and a new one replaces it.
    """
    with act(user, OWN, user) as action:
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice(user=user, name=_("Authenticator app"), confirmed=False)
        device.set_secret(secrets.token_bytes(20))
        device.save()
        action.record(AccountAudit.FACTOR_START_TOTP, user)
    return device


def totp_uri(device: TOTPDevice, issuer: str = "Corridor") -> str:
    secret = base64.b32encode(device.secret).decode().rstrip("=")
    label = quote(f"{issuer}:{device.user.get_username()}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits=6&period=30"


def _recovery_codes_if_needed(action: Action, user: User, first: bool) -> list[str] | None:
    if first or not RecoveryCodeDevice.objects.filter(user=user).exists():
        return _regenerate(action, user)
    return None


def confirm_totp(user: User, device: TOTPDevice, code: str, *, enrolling: bool = False) -> list[str] | None:
    """Confirm a new authenticator with a code; return fresh recovery codes if it is the first factor.

    `enrolling` is the half-signed-in path of an enrolment link: it may add only a FIRST
    factor, so a stolen password plus a replayed enrolment session cannot add another.
    """
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied
    # Checked before the action's transaction: a wrong code counts towards the device's
    # throttle and a right one is used up, even when the action then refuses.
    wait = lockout.code_wait_seconds([device])
    if not device.verify_token(code):
        refusal = (
            lockout.wait_message(wait)
            if wait
            else _("That code is not right. Check the time on your phone and try the next code.")
        )
        raise ValidationError({"code": refusal})
    with act(user, OWN, device.user) as action:
        lock_user(user)  # two confirmations at once must not both count as the first factor
        locked = lock(device)
        if locked.confirmed:
            raise Conflict(_("This authenticator was confirmed already."))
        first = not user.has_second_factor()
        if enrolling and not first:
            raise PermissionDenied("an enrolment session may only add the first factor")
        locked.confirmed = True
        locked.save(update_fields=["confirmed"])
        codes = _recovery_codes_if_needed(action, user, first)
        action.record(AccountAudit.FACTOR_ADD_TOTP, user)
    device.confirmed = True
    return codes


def add_webauthn_credential(
    user: User, *, credential_id: bytes, public_key: bytes, sign_count: int, transports: list[str], name: str
) -> list[str] | None:
    """Store a verified new security key; return fresh recovery codes if the user had none."""
    with act(user, OWN, user) as action:
        lock_user(user)
        if WebAuthnCredential.objects.filter(credential_id=credential_id).exists():
            raise ValidationError(_("This security key is already registered."))
        first = not user.has_second_factor()
        WebAuthnCredential.objects.create(
            user=user,
            name=name,
            confirmed=True,
            credential_id=credential_id,
            public_key=public_key,
            sign_count=sign_count,
            transports=transports,
        )
        codes = _recovery_codes_if_needed(action, user, first)
        action.record(AccountAudit.FACTOR_ADD_WEBAUTHN, user)
    return codes


def _regenerate(action: Action, user: User) -> list[str]:
    device, _created = RecoveryCodeDevice.objects.get_or_create(user=user, defaults={"name": "recovery", "confirmed": True})
    codes: list[str] = device.regenerate()
    action.record(AccountAudit.FACTOR_RECOVERY_CODES, user)
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    """A fresh set of recovery codes; the old ones stop working."""
    with act(user, OWN, user) as action:
        lock_user(user)
        codes = _regenerate(action, user)
    return codes


def remove_factor(user: User, device: TOTPDevice | WebAuthnCredential) -> None:
    """Remove one of one's own factors, never the last one."""
    with act(user, OWN, device.user) as action:
        lock_user(user)  # two removals at once must not take away both of the last two factors
        confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).count()
        confirmed += WebAuthnCredential.objects.filter(user=user, confirmed=True).count()
        if device.confirmed and confirmed <= 1:
            raise ValidationError(_("This is your only second factor. Add another one before removing it."))
        webauthn = isinstance(device, WebAuthnCredential)
        if not type(device).objects.filter(pk=device.pk).delete()[0]:
            raise Conflict(_("This factor was removed already."))
        action.record(AccountAudit.FACTOR_REMOVE_WEBAUTHN if webauthn else AccountAudit.FACTOR_REMOVE_TOTP, user)


def delete_factors(user: User) -> None:
    """Inside an administrator's action (re-enrolment): every factor of `user` goes."""
    TOTPDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()
