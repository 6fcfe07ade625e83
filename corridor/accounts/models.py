"""Staff users, roles, teams, second factors, enrolment links, API tokens and lockout.

Nothing secret is stored in the clear: enrolment links, API tokens and recovery codes
are kept as HMACs, session keys as SHA-256 (session_store); TOTP secrets are encrypted by
the key service.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from corridor.accounts import tokens
from corridor.accounts.session_store import HashedSession  # noqa: F401 -- its model, registered with the app here
from corridor.keys import api as keys
from corridor.keys.api import DataKey, DecryptionError


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    HOTLINE = "hotline", _("Hotline operator")
    CASEWORKER = "caseworker", _("Caseworker")
    RELOCATION = "relocation", _("Relocation coordinator")
    DOCUMENTATION = "documentation", _("Documentation officer")
    AUDITOR = "auditor", _("Auditor")
    TRUSTEE = "trustee", _("Trustee")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]  # django-otp's Device is untyped
    """A staff member. Staff names are optional: a username is enough to work."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    teams = models.ManyToManyField(Team, related_name="members", blank=True, verbose_name=_("teams"))
    # Raising this number ends every session of the user at their next request.
    session_generation = models.PositiveIntegerField(default=0)
    # A second password that logs in to a neutral page and seals the instance.
    duress_password = models.CharField(max_length=128, blank=True)

    REQUIRED_FIELDS = ["role"]

    def has_second_factor(self) -> bool:
        if TOTPDevice.objects.filter(user=self, confirmed=True).exists():
            return True
        return bool(WebAuthnCredential.objects.filter(user=self, confirmed=True).exists())

    def end_all_sessions(self) -> None:
        User.objects.filter(pk=self.pk).update(session_generation=models.F("session_generation") + 1)
        self.refresh_from_db(fields=["session_generation"])

    # Roles decide every permission (each app's rules.py). Django's PermissionsMixin says yes to
    # any question for an active superuser before asking the rules; here the flag grants nothing,
    # so a superuser row (Django's createsuperuser, which Corridor refuses, or a planted row)
    # opens no door its role does not. The backends are asked as Django asks them.
    def has_perm(self, perm: str, obj: Any = None) -> bool:
        for backend in auth.get_backends():
            try:
                if hasattr(backend, "has_perm") and backend.has_perm(self, perm, obj):
                    return True
            except PermissionDenied:
                return False
        return False

    async def ahas_perm(self, perm: str, obj: Any = None) -> bool:
        return await sync_to_async(self.has_perm)(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        return False  # no rule is per app; nothing in Corridor asks

    async def ahas_module_perms(self, app_label: str) -> bool:
        return False


class EnrolmentLink(models.Model):
    """A one-time link with which a new staff member sets their own password and factor."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="enrolment_links")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    used = models.DateTimeField(null=True, blank=True)

    @classmethod
    def issue(cls, user: User) -> str:
        """Create a link for `user`, retiring earlier unused ones; return the token once."""
        cls.objects.filter(user=user, used__isnull=True).update(used=timezone.now())
        token = tokens.new_token("enrol")
        cls.objects.create(
            user=user,
            digest=tokens.digest("enrol", token),
            expires=timezone.now() + timedelta(hours=settings.ENROLMENT_HOURS),
        )
        return token

    @classmethod
    def find_valid(cls, token: str) -> EnrolmentLink | None:
        return (
            cls.objects.select_related("user")
            .filter(digest=tokens.digest("enrol", token), used__isnull=True, expires__gt=timezone.now())
            .first()
        )


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """RFC 6238 codes; each accepted code moves `last_t` on, so no code works twice."""

    # The seed is encrypted under a data key of its own, so key rotation re-wraps it like any other.
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, null=True, related_name="+")
    secret_box = models.BinaryField()
    step = 30
    digits = 6
    tolerance = 1
    last_t = models.BigIntegerField(default=-1)
    drift = models.SmallIntegerField(default=0)

    class Meta(Device.Meta):
        verbose_name = _("authenticator app")

    def _aad(self) -> bytes:
        return f"accounts_totpdevice|secret|{self.user_id}|{self.data_key_id}".encode()

    @property
    def secret(self) -> bytes:
        if self.data_key is None:
            raise DecryptionError("this authenticator has no key")
        secret: bytes = self.data_key.open(bytes(self.secret_box), self._aad())
        return secret

    def set_secret(self, secret: bytes) -> None:
        if self.data_key is None:
            self.data_key = DataKey.create("totp")
        self.secret_box = self.data_key.seal(secret, self._aad())

    def totp(self) -> TOTP:
        totp = TOTP(self.secret, self.step, 0, self.digits, self.drift)
        totp.time = time.time()
        return totp

    def verify_token(self, token: object) -> bool:
        allowed, _reason = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            code = int(str(token).strip().replace(" ", ""))
        except ValueError:
            self.throttle_increment(commit=True)
            return False
        totp = self.totp()
        if totp.verify(code, self.tolerance, self.last_t + 1):
            # Move last_t on only if no simultaneous request already used this time step.
            claimed = TOTPDevice.objects.filter(pk=self.pk, last_t__lt=totp.t()).update(last_t=totp.t())
            if not claimed:
                self.throttle_increment(commit=True)
                return False
            self.last_t = totp.t()
            self.drift = totp.drift
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        self.throttle_increment(commit=True)
        return False

    def get_throttle_factor(self) -> int:
        return 1


class RecoveryCodeDevice(ThrottlingMixin, Device):
    """Ten single-use codes for a lost phone, stored only as HMACs."""

    class Meta(Device.Meta):
        verbose_name = _("recovery codes")

    def regenerate(self, count: int = 10) -> list[str]:
        self.codes.all().delete()
        codes = [tokens.recovery_code() for _ in range(count)]
        RecoveryCode.objects.bulk_create(
            RecoveryCode(device=self, digest=tokens.digest("recovery", tokens.normalise_code(code))) for code in codes
        )
        return codes

    def verify_token(self, token: object) -> bool:
        allowed, _reason = self.verify_is_allowed()
        if not allowed:
            return False
        digest = tokens.digest("recovery", tokens.normalise_code(str(token)))
        used = RecoveryCode.objects.filter(device=self, digest=digest, used__isnull=True).update(used=timezone.now())
        if used:
            self.throttle_reset(commit=True)
            return True
        self.throttle_increment(commit=True)
        return False

    def remaining(self) -> int:
        return RecoveryCode.objects.filter(device=self, used__isnull=True).count()

    def get_throttle_factor(self) -> int:
        return 1


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)
    used = models.DateTimeField(null=True, blank=True)


class WebAuthnCredential(TimestampMixin, Device):
    """A passkey or security key registered through the browser's WebAuthn API."""

    credential_id = models.BinaryField()
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)

    class Meta(Device.Meta):
        verbose_name = _("security key or passkey")

    def verify_token(self, token: object) -> bool:
        # WebAuthn is verified by its own ceremony (corridor.accounts.webauthn), never by a typed code.
        return False


class LoginThrottle(models.Model):
    """Failed sign-ins per username (existing or not), with a lock that always expires.

    Keyed by an HMAC of the lower-cased username so the table neither confirms which
    accounts exist nor stores anything about who tried.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    lock_level = models.PositiveSmallIntegerField(default=0)


class ApiToken(models.Model):
    """An API token: shown once, stored as an HMAC, limited to its user's role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, blank=True)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    # A token works only under the unseal epoch and the session generation of its user that
    # it was issued (or re-activated) under, like a session: a lockdown, any seal and unseal,
    # and "end all sessions" suspend it with no write to this table (Invariant 4).
    epoch = models.CharField(max_length=64, blank=True, default="")
    generation = models.PositiveIntegerField(default=0)

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        token = tokens.new_token("api")
        record = cls.objects.create(
            user=user,
            name=name,
            prefix=token[:10],
            digest=tokens.digest("api", token),
            epoch=keys.session_epoch(),
            generation=user.session_generation,
        )
        return record, token

    @classmethod
    def find_active(cls, token: str) -> ApiToken | None:
        """The unrevoked token of an active user, suspended or not (see `is_suspended`)."""
        if not token.startswith(tokens.PREFIXES["api"]):
            return None
        return (
            cls.objects.select_related("user")
            .filter(digest=tokens.digest("api", token), revoked__isnull=True, user__is_active=True)
            .first()
        )

    def is_suspended(self, epoch: str | None = None) -> bool:
        """True after a lockdown or unseal, or after the user's sessions were ended, until re-activated."""
        current = keys.session_epoch() if epoch is None else epoch
        return not current or self.epoch != current or self.generation != self.user.session_generation
