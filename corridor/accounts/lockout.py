"""Brute-force lockout per username, and a short-lived per-address throttle.

The account lock doubles with each lock (capped at LOCKOUT_MAX_SECONDS) and always
lifts, so an attacker can slow a user down but never lock them out for good. Addresses
are kept only as HMACs in the cache, for LOCKOUT_WINDOW_SECONDS at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from corridor.accounts import tokens
from corridor.accounts.models import LoginThrottle

ADDRESS_LIMIT = 100  # failed attempts per address per window: generous, offices share NAT


@dataclass(frozen=True)
class LockState:
    locked: bool
    until: datetime | None = None

    @property
    def minutes_left(self) -> int:
        if self.until is None:
            return 0
        return max(1, int((self.until - timezone.now()).total_seconds() + 59) // 60)


def _key(username: str) -> str:
    return tokens.digest("lockout", username.strip().lower())


def check(username: str) -> LockState:
    row = LoginThrottle.objects.filter(key=_key(username)).first()
    if row is None or row.locked_until is None or row.locked_until <= timezone.now():
        return LockState(locked=False)
    return LockState(locked=True, until=row.locked_until)


def record_failure(username: str) -> LockState:
    now = timezone.now()
    window = timedelta(seconds=settings.LOCKOUT_WINDOW_SECONDS)
    with transaction.atomic():
        row, _created = LoginThrottle.objects.select_for_update().get_or_create(key=_key(username))
        if now - row.window_started > window:
            row.failures = 0
            row.window_started = now
        row.failures += 1
        if row.failures >= settings.LOCKOUT_THRESHOLD:
            seconds = min(settings.LOCKOUT_WINDOW_SECONDS * (2**row.lock_level), settings.LOCKOUT_MAX_SECONDS)
            row.locked_until = now + timedelta(seconds=seconds)
            row.lock_level = min(row.lock_level + 1, 16)
            row.failures = 0
            row.window_started = now
        row.save()
    if row.locked_until and row.locked_until > now:
        return LockState(locked=True, until=row.locked_until)
    return LockState(locked=False)


def record_success(username: str) -> None:
    LoginThrottle.objects.filter(key=_key(username)).delete()


def _address_key(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    return "corridor:addr:" + tokens.digest("address", address)


def address_blocked(request: HttpRequest) -> bool:
    return int(cache.get(_address_key(request), 0)) >= ADDRESS_LIMIT


def address_failure(request: HttpRequest) -> None:
    key = _address_key(request)
    if cache.add(key, 1, timeout=settings.LOCKOUT_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=settings.LOCKOUT_WINDOW_SECONDS)
