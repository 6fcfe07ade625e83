"""Encryption of staff secrets (TOTP seeds) under a data key of their own.

Placeholder layer: it binds the secret to its place and delegates to corridor.keys.
"""

from __future__ import annotations

from corridor.keys import vault


def seal_secret(secret: bytes, context: str) -> bytes:
    return vault.seal_standalone(secret, context)


def open_secret(box: bytes, context: str) -> bytes:
    return vault.open_standalone(box, context)
