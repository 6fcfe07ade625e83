"""State changes of staff accounts: each is one function with its checks and audit entry.

Views parse and render; everything that writes goes through here.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import (
    ApiToken,
    EnrolmentLink,
    RecoveryCodeDevice,
    Role,
    Team,
    TOTPDevice,
    User,
    WebAuthnCredential,
)
from corridor.audit import log as audit
from corridor.keys import api as keys


def _require(actor: User | None, perm: str) -> None:
    if actor is not None and not actor.has_perm(perm):
        raise PermissionDenied(perm)


def create_user(
    actor: User | None, *, username: str, role: str, teams: Iterable[Team] = (), email: str = ""
) -> tuple[User, str]:
    """Create a staff account with no usable password; return it and its enrolment token."""
    _require(actor, "accounts.manage_users")
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("A username is required.")})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    with transaction.atomic():
        user = User(username=username, role=role, email=email)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        user.teams.set(list(teams))
        token = EnrolmentLink.issue(user)
        audit.record(actor=actor, action="user.create", obj=user)
    return user, token


def set_role_and_teams(actor: User, user: User, *, role: str, teams: Iterable[Team]) -> None:
    _require(actor, "accounts.manage_users")
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    with transaction.atomic():
        user.role = role
        user.save(update_fields=["role"])
        user.teams.set(list(teams))
        user.end_all_sessions()
        audit.record(actor=actor, action="user.update", obj=user)


def reissue_enrolment(actor: User, user: User) -> str:
    """Reset a user who lost everything: no password, no factors, a fresh link."""
    _require(actor, "accounts.manage_users")
    with transaction.atomic():
        user.set_unusable_password()
        user.save(update_fields=["password"])
        _delete_factors(user)
        _revoke_tokens(user)
        user.end_all_sessions()
        token = EnrolmentLink.issue(user)
        audit.record(actor=actor, action="user.reenrol", obj=user)
    return token


def end_sessions(actor: User, user: User) -> None:
    _require(actor, "accounts.manage_users")
    with transaction.atomic():
        user.end_all_sessions()
        audit.record(actor=actor, action="user.end_sessions", obj=user)


def set_active(actor: User, user: User, active: bool) -> None:
    _require(actor, "accounts.manage_users")
    if actor.pk == user.pk and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            _revoke_tokens(user)
        user.end_all_sessions()
        audit.record(actor=actor, action="user.activate" if active else "user.deactivate", obj=user)


def enrol_set_password(link: EnrolmentLink, password: str, duress_password: str = "") -> User:
    """First step of enrolment: the user chooses their own password (admins never can)."""
    user = link.user
    password_validation.validate_password(password, user)
    if duress_password:
        if duress_password == password:
            raise ValidationError({"duress_password": _("The duress password must differ from your password.")})
        password_validation.validate_password(duress_password, user)
    with transaction.atomic():
        # Claim the link first: of two simultaneous submissions only one may use it.
        if not EnrolmentLink.objects.filter(pk=link.pk, used__isnull=True).update(used=timezone.now()):
            raise ValidationError(_("This enrolment link has been used already."))
        user.set_password(password)
        fields = ["password"]
        if duress_password:
            from django.contrib.auth.hashers import make_password

            user.duress_password = make_password(duress_password)
            fields.append("duress_password")
        user.save(update_fields=fields)
        audit.record(actor=user, action="user.enrol_password", obj=user)
    return user


def start_totp(user: User) -> TOTPDevice:
    """An unconfirmed authenticator with a fresh secret; confirmed by its first code."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice(user=user, name=_("Authenticator app"), confirmed=False)
    device.set_secret(secrets.token_bytes(20))
    device.save()
    return device


def totp_uri(device: TOTPDevice, issuer: str = "Corridor") -> str:
    from urllib.parse import quote

    secret = base64.b32encode(device.secret).decode().rstrip("=")
    label = quote(f"{issuer}:{device.user.get_username()}")
    return f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer)}&digits=6&period=30"


def confirm_totp(user: User, device: TOTPDevice, code: str, *, enrolling: bool = False) -> list[str] | None:
    """Confirm a new authenticator with a code; return fresh recovery codes if it is the first factor.

    `enrolling` is the half-signed-in path of an enrolment link: it may add only a FIRST
    factor, so a stolen password plus a replayed enrolment session cannot add another.
    """
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied
    if not device.verify_token(code):
        raise ValidationError({"code": _("That code is not right. Check the time on your phone and try the next code.")})
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        first = not user.has_second_factor()
        if enrolling and not first:
            raise PermissionDenied("an enrolment session may only add the first factor")
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = None
        if first or not RecoveryCodeDevice.objects.filter(user=user).exists():
            codes = regenerate_recovery_codes(user)
        audit.record(actor=user, action="factor.add.totp", obj=user)
    return codes


def regenerate_recovery_codes(user: User) -> list[str]:
    with transaction.atomic():
        device, _created = RecoveryCodeDevice.objects.get_or_create(
            user=user, defaults={"name": "recovery", "confirmed": True}
        )
        codes: list[str] = device.regenerate()
        audit.record(actor=user, action="factor.recovery_codes", obj=user)
    return codes


def remove_factor(user: User, device: TOTPDevice | WebAuthnCredential) -> None:
    if device.user_id != user.pk:
        raise PermissionDenied
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).count()
    confirmed += WebAuthnCredential.objects.filter(user=user, confirmed=True).count()
    if device.confirmed and confirmed <= 1:
        raise ValidationError(_("This is your only second factor. Add another one before removing it."))
    with transaction.atomic():
        kind = "webauthn" if isinstance(device, WebAuthnCredential) else "totp"
        device.delete()
        audit.record(actor=user, action=f"factor.remove.{kind}", obj=user)


def _revoke_tokens(user: User) -> None:
    ApiToken.objects.filter(user=user, revoked__isnull=True).update(revoked=timezone.now())


def _delete_factors(user: User) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()
    RecoveryCodeDevice.objects.filter(user=user).delete()


def create_api_token(actor: User | None, user: User, name: str = "") -> str:
    """Issue an API token for `user`; the token is returned once and stored as an HMAC."""
    if actor is not None and actor.pk != user.pk:
        _require(actor, "accounts.manage_users")
    if not user.has_perm("accounts.create_api_token"):
        raise ValidationError(_("This role cannot use the API."))
    with transaction.atomic():
        record, token = ApiToken.issue(user, name=name)
        audit.record(actor=actor or user, action="token.create", obj=record)
    return token


def activate_api_token(actor: User | None, token: ApiToken) -> None:
    """Bind a suspended token to the current unseal epoch and session generation again.

    Only its owner (from a freshly authenticated session) or an administrator may: the
    same people who could issue a new token, so this gives no one more than they had.
    """
    if actor is not None and actor.pk != token.user_id:
        _require(actor, "accounts.manage_users")
    epoch = keys.session_epoch()
    if not epoch:
        raise ValidationError(_("The instance is sealed."))
    with transaction.atomic():
        owner = User.objects.select_for_update().get(pk=token.user_id)
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked is not None:
            raise ValidationError(_("This token was revoked."))
        locked.epoch = epoch
        locked.generation = owner.session_generation
        locked.save(update_fields=["epoch", "generation"])
        audit.record(actor=actor or owner, action="token.activate", obj=locked)
    token.epoch, token.generation = locked.epoch, locked.generation


def revoke_api_token(actor: User, token: ApiToken) -> None:
    if actor.pk != token.user_id:
        _require(actor, "accounts.manage_users")
    with transaction.atomic():
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        audit.record(actor=actor, action="token.revoke", obj=token)
