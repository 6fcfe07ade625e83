"""Rate limits that track nobody: fixed-window counters in the cache, never in the database.

A network address is only ever an HMAC under a random key that lives in the cache for a
day and then expires, so yesterday's counters cannot be linked to an address even by
someone holding the server's secrets. Behind an onion service every visitor has the same
address: set the per-address limits to 0 there and rely on the global ones.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from django.core.cache import cache
from django.http import HttpRequest

from corridor.intake import conf

WINDOW_SECONDS = 3600
_KEY_TTL = 2 * 24 * 3600


def _daily_key() -> bytes:
    day = int(time.time() // 86400)
    name = f"intake:addrkey:{day}"
    # add() is atomic: the first worker to need today's key makes it; the others read it.
    cache.add(name, secrets.token_hex(32), timeout=_KEY_TTL)
    value = cache.get(name)
    return bytes.fromhex(value) if isinstance(value, str) else secrets.token_bytes(32)


def address_tag(request: HttpRequest) -> str:
    address = str(request.META.get("REMOTE_ADDR", ""))
    return hmac.new(_daily_key(), address.encode(), hashlib.sha256).hexdigest()[:32]


def _hit(scope: str, subject: str, limit: int) -> bool:
    """Count one event; True while the count stays within `limit` for this window."""
    if limit <= 0:
        return True
    window = int(time.time() // WINDOW_SECONDS)
    key = f"intake:rl:{scope}:{subject}:{window}"
    if cache.add(key, 1, timeout=WINDOW_SECONDS + 60):
        return 1 <= limit
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=WINDOW_SECONDS + 60)
        count = 1
    return int(count) <= limit


def allow_submission(request: HttpRequest) -> bool:
    if not _hit("submit-addr", address_tag(request), conf.rate("submit_address")):
        return False
    return _hit("submit", "all", conf.rate("submit_global"))


def allow_login(request: HttpRequest) -> bool:
    """Each codename entry costs one argon2id run: bound how many the server will do."""
    if not _hit("login-addr", address_tag(request), conf.rate("login_address")):
        return False
    return _hit("login", "all", conf.rate("login_global"))


def allow_message(request_id: str) -> bool:
    return _hit("message", request_id, conf.rate("message_codename"))
