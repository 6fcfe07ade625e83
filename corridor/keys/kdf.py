"""Keys from something a person remembers: argon2id over a codename, then HKDF into a lookup
tag and an X25519 (age) identity whose public half is all the server keeps.

Follows SecureDrop's split (`crypto_util.py`: one hash to find the source, another for
their key), but with one argon2id run and HKDF for each purpose, so a login costs one KDF.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import argon2.low_level
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from corridor.keys import crypto

__all__ = [
    "INSECURE_FAST",
    "OWASP_MINIMUM",
    "Argon2Params",
    "DerivedKeys",
    "age_identity_from_seed",
    "bech32_encode",
    "derive",
    "random_salt",
]

SALT_BYTES = 16
INFO_LOOKUP = b"corridor/v1/intake/codename/lookup"
INFO_X25519 = b"corridor/v1/intake/codename/x25519"


@dataclass(frozen=True)
class Argon2Params:
    memory_kib: int
    time_cost: int
    parallelism: int


# OWASP Password Storage Cheat Sheet, argon2id minimum: m=19 MiB, t=2, p=1. The codename
# carries >= 80 bits of entropy, so a costlier setting would only slow people down: no
# guessing attack on 2**80 candidates is helped or hindered by a few more milliseconds.
OWASP_MINIMUM = Argon2Params(memory_kib=19 * 1024, time_cost=2, parallelism=1)
# INSECURE: argon2's smallest legal cost, for the test suite only (STYLE.md 11).
INSECURE_FAST = Argon2Params(memory_kib=8, time_cost=1, parallelism=1)


@dataclass(frozen=True)
class DerivedKeys:
    """What one codename yields. `lookup` and `recipient` may be stored; `identity` never."""

    lookup: bytes
    identity: str
    recipient: str

    def __repr__(self) -> str:  # keep the identity out of tracebacks and logs
        return f"DerivedKeys(lookup={self.lookup.hex()[:8]}..., recipient={self.recipient})"

    def open(self, message: bytes) -> bytes:
        """An age message sent to `recipient` (a reply), decrypted; raises DecryptionError.

        Callers outside keys open replies with this and never read `identity` themselves.
        """
        return crypto.age_decrypt(self.identity, message)


def random_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def derive(secret: str, salt: bytes, params: Argon2Params) -> DerivedKeys:
    """argon2id(secret, salt) -> HKDF -> a 32-byte lookup tag and an age X25519 identity."""
    if len(salt) < 8:
        raise ValueError("argon2 needs a salt of at least 8 bytes")
    master = argon2.low_level.hash_secret_raw(
        secret.encode("utf-8"),
        salt,
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        hash_len=32,
        type=argon2.low_level.Type.ID,
    )
    identity, recipient = age_identity_from_seed(crypto.hkdf(master, INFO_X25519))
    return DerivedKeys(lookup=crypto.hkdf(master, INFO_LOOKUP), identity=identity, recipient=recipient)


def age_identity_from_seed(seed: bytes) -> tuple[str, str]:
    """An age X25519 identity and recipient for a 32-byte seed (the raw private scalar).

    age encodes keys in Bech32 (BIP 173) with the HRPs "age-secret-key-" (upper-cased)
    and "age"; pyrage can generate keys but not import raw ones, so the encoding is done
    here. The tests check the result against pyrage's own parser and its public key.
    """
    if len(seed) != 32:
        raise ValueError("an X25519 seed is 32 bytes")
    public = X25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    return bech32_encode("age-secret-key-", seed).upper(), bech32_encode("age", public)


# -- Bech32 (BIP 173), written out because it is 30 lines and the only library for it
# would be a new dependency for key encoding alone. -----------------------------------------

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: list[int]) -> int:
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            if (top >> i) & 1:
                check ^= generator
    return check


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _to_five_bits(data: bytes) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            out.append((acc >> bits) & 31)
    if bits:
        out.append((acc << (5 - bits)) & 31)
    return out


def bech32_encode(hrp: str, data: bytes) -> str:
    """Bech32 (not Bech32m) of `data` under a lower-case `hrp`, as age uses it."""
    five = _to_five_bits(data)
    polymod = _polymod(_hrp_expand(hrp) + five + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[d] for d in five + checksum)
