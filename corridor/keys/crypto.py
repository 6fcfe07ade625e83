"""Cryptographic primitives for Corridor: AEAD, HKDF, blind indexes, Ed25519 and age.

Every other module goes through these functions, so there is one place to review.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from typing import BinaryIO

import pyrage
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from corridor.keys.errors import DecryptionError

# Re-exported so callers can catch the facade's own failure without importing errors.
__all__ = [
    "Cipher",
    "DecryptionError",
    "age_decrypt",
    "age_encrypt",
    "blind_index",
    "blind_indexes",
    "decrypt",
    "encrypt",
    "generate_age_identity",
    "generate_signing_key",
    "hkdf",
    "public_key",
    "random_key",
    "sign",
    "verify",
]

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
# The first byte of every blob names its format, so the algorithm can change later
# without guessing what old ciphertexts are.
AEAD_VERSION = b"\x01"
_AEAD_OVERHEAD = len(AEAD_VERSION) + NONCE_BYTES + TAG_BYTES


def random_key() -> bytes:
    """Return 32 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(KEY_BYTES)


def _check_key(key: bytes) -> None:
    if len(key) != KEY_BYTES:
        raise ValueError("AES-256-GCM needs a 32-byte key")


class Cipher:
    """AES-256-GCM under one key, keeping the key schedule between values.

    Building an AESGCM object costs more than encrypting a short value with it, so code
    that handles many values under one key (the fields of a record, a page of rows) keeps
    one Cipher per key. Hold it exactly as long as the key itself (e.g. on the DataKey
    or record instance that memoises the key), never in a process-wide cache, so that
    nothing holding key material outlives a seal.
    """

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        _check_key(key)
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        """Version byte + 96-bit random nonce + ciphertext and tag."""
        # Random nonces are safe here: each data key encrypts few messages, and even a KEK
        # stays far below the 2**32 messages at which random 96-bit nonces risk colliding.
        # os.urandom is what secrets.token_bytes calls, minus one Python frame per value.
        nonce = os.urandom(NONCE_BYTES)
        return AEAD_VERSION + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def __copy__(self) -> Cipher:
        return self  # immutable: copies of a record may share it

    def __deepcopy__(self, memo: dict[int, object]) -> Cipher:
        return self

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Cipher holds a key and is never pickled")

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        """Reverse encrypt(); raises DecryptionError on any failure, never returns the blob."""
        if len(blob) < _AEAD_OVERHEAD or blob[:1] != AEAD_VERSION:
            raise DecryptionError("ciphertext is malformed or of an unknown version")
        try:
            return self._aead.decrypt(blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], aad)
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication") from None


def encrypt(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM; returns version byte + 96-bit random nonce + ciphertext and tag."""
    return Cipher(key).encrypt(plaintext, aad)


def decrypt(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Reverse encrypt(); raises DecryptionError on any failure, never returns the blob."""
    return Cipher(key).decrypt(blob, aad)


def hkdf(root: bytes, info: bytes, length: int = KEY_BYTES) -> bytes:
    """HKDF-SHA256 of root, separated by info.

    No salt: the root key is already 32 uniformly random bytes, so the extract step has
    nothing to concentrate (RFC 5869, section 3.1); `info` alone keeps purposes apart.
    """
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(root)


def blind_index(key: bytes, normalized: str, bits: int) -> bytes:
    """HMAC-SHA256 of an already-normalised value, truncated to `bits` bits."""
    # Truncation is the point: short indexes collide on purpose, so an index alone
    # cannot confirm a guessed name. Whole bytes keep the stored form simple.
    if bits % 8 != 0 or not 8 <= bits <= 256:
        raise ValueError("blind index bits must be a multiple of 8 between 8 and 256")
    digest = hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).digest()
    return digest[: bits // 8]


def blind_indexes(key: bytes, normalized: Sequence[str], bits: int) -> list[bytes]:
    """blind_index of each value under one key: the HMAC key schedule is computed once."""
    if bits % 8 != 0 or not 8 <= bits <= 256:
        raise ValueError("blind index bits must be a multiple of 8 between 8 and 256")
    size = bits // 8
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for value in normalized:
        mac = keyed.copy()
        mac.update(value.encode("utf-8"))
        out.append(mac.digest()[:size])
    return out


def generate_signing_key() -> bytes:
    """Return a new raw 32-byte Ed25519 private key."""
    return Ed25519PrivateKey.generate().private_bytes_raw()


def sign(private_raw: bytes, message: bytes) -> bytes:
    """Ed25519 signature of message."""
    return Ed25519PrivateKey.from_private_bytes(private_raw).sign(message)


def public_key(private_raw: bytes) -> bytes:
    """Raw 32-byte Ed25519 public key for a raw private key."""
    return Ed25519PrivateKey.from_private_bytes(private_raw).public_key().public_bytes_raw()


def verify(public_raw: bytes, signature: bytes, message: bytes) -> bool:
    """True only if signature is a valid Ed25519 signature of message by public_raw."""
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def is_ed25519_public_key(raw: bytes) -> bool:
    """True when raw is 32 bytes that decode as an Ed25519 public key."""
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return False
    return True


def generate_age_identity() -> tuple[str, str]:
    """Return a new X25519 age identity and its recipient, as age's text encodings."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def age_recipient_of(identity: str) -> str:
    """The recipient (public half) of an age X25519 identity."""
    return str(pyrage.x25519.Identity.from_str(identity).to_public())


def age_encrypt(recipient: str, data: bytes, *, armored: bool = False) -> bytes:
    """Encrypt data to one age X25519 recipient (in age's ASCII armour when `armored`)."""
    try:
        parsed = pyrage.x25519.Recipient.from_str(recipient)
    except pyrage.RecipientError:
        raise ValueError("not an age X25519 recipient") from None
    return bytes(pyrage.encrypt(data, [parsed], armored=armored))


def age_decrypt(identity: str, data: bytes) -> bytes:
    """Decrypt an age message; raises DecryptionError on any failure."""
    try:
        parsed = pyrage.x25519.Identity.from_str(identity)
    except pyrage.IdentityError:
        raise ValueError("not an age X25519 identity") from None
    try:
        return bytes(pyrage.decrypt(data, [parsed]))
    except pyrage.DecryptError:
        raise DecryptionError("age message could not be decrypted") from None


# -- added for the intake (corridor/intake) ------------------------------------------------


def age_encrypt_to_many(recipients: list[str], data: bytes) -> bytes:
    """Encrypt data once to several age X25519 recipients; any one of them can decrypt it."""
    if not recipients:
        raise ValueError("age needs at least one recipient")
    try:
        parsed = [pyrage.x25519.Recipient.from_str(recipient) for recipient in recipients]
    except pyrage.RecipientError:
        raise ValueError("not an age X25519 recipient") from None
    return bytes(pyrage.encrypt(data, parsed))


# -- added for backups (corridor/transfer/backup.py) ----------------------------------------


def age_encrypt_io(recipients: list[str], reader: BinaryIO, writer: BinaryIO) -> None:
    """Encrypt everything `reader` yields to several age X25519 recipients, into `writer`, in
    age's 64 KiB chunks: a whole backup never sits in memory."""
    if not recipients:
        raise ValueError("age needs at least one recipient")
    try:
        parsed = [pyrage.x25519.Recipient.from_str(recipient.strip()) for recipient in recipients]
    except pyrage.RecipientError:
        raise ValueError("not an age X25519 recipient") from None
    try:
        pyrage.encrypt_io(reader, writer, parsed)
    except pyrage.EncryptError:
        raise ValueError("age could not encrypt the stream") from None


def age_decrypt_io(identity: str, reader: BinaryIO, writer: BinaryIO) -> None:
    """Decrypt an age stream from `reader` into `writer`; DecryptionError on any failure
    (not ours, damaged, truncated). What was written before a failure must be discarded."""
    try:
        parsed = pyrage.x25519.Identity.from_str(identity.strip())
    except pyrage.IdentityError:
        raise ValueError("not an age X25519 identity") from None
    try:
        pyrage.decrypt_io(reader, writer, [parsed])
    except pyrage.DecryptError:
        raise DecryptionError("age stream could not be decrypted") from None
