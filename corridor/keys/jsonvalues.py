"""Typed reads of JSON values, for keyd's wire messages and keyd's own files.

A wrong type raises TypeError, which keyd answers as a bad request (and a file as tampered).
"""

from __future__ import annotations

import base64
import binascii


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(value: object) -> bytes:
    if not isinstance(value, str):
        raise TypeError("expected base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise TypeError("invalid base64") from None


def as_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def as_int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected an integer")
    return value


__all__ = ["as_int", "as_str", "b64d", "b64e"]
