"""Shamir secret sharing over GF(256) for trustee shares, and the text form trustees type.

The arithmetic is pyshamir (a port of HashiCorp Vault's shamir); this module adds checks and a typo-proof format.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence

import pyshamir
from pyshamir._utils import add, div, mul

from corridor.keys.errors import ShareFormatError

# A part, as laid out by pyshamir and Vault: one y byte per secret byte, then the
# x coordinate (1..255) as the last byte.
SHARE_FORMAT_VERSION = 1
_CHECKSUM_BYTES = 4
_GROUP = 4
_PREFIX = re.compile(r"^\s*share\s*(\d+)\s*:", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-]+")
_BASE32 = re.compile(r"^[A-Z2-7]*$")


def split(secret: bytes, shares: int, threshold: int) -> list[bytes]:
    """Split secret into `shares` parts of which any `threshold` rebuild it."""
    if not secret:
        raise ValueError("the secret must be at least one byte")
    if not 2 <= threshold <= shares:
        raise ValueError("the threshold must be at least 2 and at most the number of shares")
    if shares > 255:
        raise ValueError("GF(256) allows at most 255 shares")
    return [bytes(part) for part in pyshamir.split(bytes(secret), shares, threshold)]


def combine(parts: Sequence[bytes]) -> bytes:
    """Rebuild the secret from parts; fewer than the threshold yields unrelated bytes."""
    if len(parts) < 2:
        raise ValueError("at least two shares are needed")
    length = len(parts[0])
    if length < 2:
        raise ValueError("a share is too short")
    if any(len(part) != length for part in parts):
        raise ValueError("the shares have different lengths")
    xs = [part[-1] for part in parts]
    # x = 0 would be the secret itself; split() never makes one, so it is a forgery.
    if 0 in xs:
        raise ValueError("a share has an invalid x coordinate")
    if len(set(xs)) != len(xs):
        raise ValueError("the same share was given twice")
    return bytes(pyshamir.combine([bytearray(part) for part in parts]))


def evaluate(parts: Sequence[bytes], x: int) -> bytes:
    """The part at x of the polynomial through `parts` (at least the threshold of them).

    With the threshold's worth of genuine parts this is exactly the part split() issued at
    x, so a keystore can learn the issued parts' commitments after an unseal. The field
    arithmetic is pyshamir's (exposed only in its _utils module); the Lagrange basis at x
    is computed once rather than per byte as its interpolate_polynomial does, which makes
    evaluating all 255 points about thirty times faster.
    """
    if not 1 <= x <= 255:
        raise ValueError("x must be 1..255")
    length = len(parts[0])
    if any(len(part) != length for part in parts) or length < 2:
        raise ValueError("the shares have different lengths")
    xs = [part[-1] for part in parts]
    if 0 in xs or len(set(xs)) != len(xs):
        raise ValueError("the shares have invalid or repeated x coordinates")
    basis = []
    for i, xi in enumerate(xs):
        value = 1
        for j, xj in enumerate(xs):
            if i != j:
                value = mul(value, div(add(x, xj), add(xi, xj)))
        basis.append(value)
    out = bytearray(length)
    for index in range(length - 1):
        y = 0
        for weight, part in zip(basis, parts, strict=True):
            y = add(y, mul(weight, part[index]))
        out[index] = y
    out[-1] = x
    return bytes(out)


def _checksum(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()[:_CHECKSUM_BYTES]


def format_share(number: int, part: bytes) -> str:
    """Text a trustee can write down: `share N: ABCD-EFGH-...` with a typo checksum."""
    body = bytes([SHARE_FORMAT_VERSION]) + part
    encoded = base64.b32encode(body + _checksum(body)).decode("ascii").rstrip("=")
    groups = [encoded[i : i + _GROUP] for i in range(0, len(encoded), _GROUP)]
    return f"share {number}: " + "-".join(groups)


def parse_share(text: str) -> bytes:
    """Parse format_share() output (prefix optional, any case, spaces and hyphens ignored)."""
    text = _PREFIX.sub("", text, count=1)
    compact = _SEPARATORS.sub("", text).upper()
    if not compact:
        raise ShareFormatError("this share is empty")
    if not _BASE32.match(compact):
        bad = sorted({c for c in compact if not re.match(r"[A-Z2-7]", c)})
        raise ShareFormatError(
            "this share contains characters that never appear in a share: "
            + " ".join(repr(c) for c in bad)
            + " (shares use the letters A-Z and the digits 2-7 only)"
        )
    try:
        raw = base64.b32decode(compact + "=" * (-len(compact) % 8))
    except binascii.Error:
        raise ShareFormatError("this share is incomplete or has extra characters") from None
    if len(raw) < 1 + 2 + _CHECKSUM_BYTES:
        raise ShareFormatError("this share is too short")
    body, checksum = raw[:-_CHECKSUM_BYTES], raw[-_CHECKSUM_BYTES:]
    if _checksum(body) != checksum:
        raise ShareFormatError("this share is mistyped: the checksum does not match")
    if body[0] != SHARE_FORMAT_VERSION:
        raise ShareFormatError("this share was made by an unknown version of Corridor")
    return body[1:]
