"""Random tokens for links, API access and recovery, and the HMACs they are stored as.

A stored digest cannot be turned back into a working token; the prefix makes a leaked
token recognisable in logs and scanners (see healthchecks' API keys).
"""

from __future__ import annotations

import hmac
import secrets

from django.utils.crypto import salted_hmac

PREFIXES = {"api": "crd_", "enrol": "enr_"}
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed on a phone


def new_token(purpose: str) -> str:
    return PREFIXES[purpose] + secrets.token_urlsafe(32)


def digest(purpose: str, token: str) -> str:
    return salted_hmac(f"corridor.accounts.{purpose}", token, algorithm="sha256").hexdigest()


def matches(purpose: str, token: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(purpose, token), stored_digest)


def recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())
