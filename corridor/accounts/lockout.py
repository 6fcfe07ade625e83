"""Brute-force lockout per username, with a device cookie so the owner is never locked out.

The account lock doubles with each lock (capped at LOCKOUT_MAX_SECONDS) and always lifts;
a browser that completed a full sign-in before passes a lock, so an attacker who keeps
failing can slow a user down but never keep them out. No address is stored: behind a
proxy or Tor every client shares one, and a per-address block would let one stranger
stop everyone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import ngettext

from corridor.accounts import tokens
from corridor.accounts.models import LoginThrottle, TOTPDevice, User


@dataclass(frozen=True)
class LockState:
    locked: bool
    until: datetime | None = None

    @property
    def minutes_left(self) -> int:
        if self.until is None:
            return 0
        return max(1, int((self.until - timezone.now()).total_seconds() + 59) // 60)


def code_wait_seconds(devices: list[TOTPDevice]) -> int:
    """Seconds until the authenticators' codes are checked again; 0 when they are checked now.

    After a wrong code django-otp makes each device wait (1, 2, 4 ... seconds) and refuses
    every code meanwhile, the right one included: the person must be told to wait, not that
    their code is wrong. Asked before a code is tried, since a failed try starts a new wait.
    """
    now = timezone.now()
    waits = []
    for device in devices:
        allowed, details = device.verify_is_allowed()
        until = (details or {}).get("locked_until")
        if allowed or not isinstance(until, datetime):
            return 0  # this one checks the code now, so a refusal means the code is wrong
        waits.append(max(1, math.ceil((until - now).total_seconds())))
    return min(waits, default=0)


def locked_message(minutes: int) -> str:
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute.",
        "Too many failed attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def wait_message(seconds: int) -> str:
    return ngettext(
        "Too many wrong codes in a row, so codes are not checked for %(seconds)d second. Wait, then type the code your app shows then.",
        "Too many wrong codes in a row, so codes are not checked for %(seconds)d seconds. Wait, then type the code your app shows then.",
        seconds,
    ) % {"seconds": seconds}


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


DEVICE_COOKIE = "corridor_device"
DEVICE_SECONDS = 90 * 24 * 3600


def remember_device(response: HttpResponse, user: User) -> None:
    """After a full sign-in, mark this browser as one the user really uses.

    A locked account still lets such a browser in with the right password and factor, so
    strangers can slow an attack down but cannot keep the owner out (OWASP device cookies).
    """
    value = signing.dumps({"u": tokens.digest("device", user.username.lower())}, salt="corridor.device")
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Strict",
    )


def known_device(request: HttpRequest, username: str) -> bool:
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return False
    try:
        data = signing.loads(raw, salt="corridor.device", max_age=DEVICE_SECONDS)
    except signing.BadSignature:
        return False
    return isinstance(data, dict) and data.get("u") == tokens.digest("device", username.strip().lower())
