"""Tests for the primitives facade: AEAD, HKDF, blind indexes, Ed25519, age."""

from __future__ import annotations

import pytest

from corridor.keys import crypto
from corridor.keys.errors import DecryptionError


def test_encrypt_round_trip_and_layout() -> None:
    key = crypto.random_key()
    blob = crypto.encrypt(key, b"Ivan Petrov", b"person|1|name|1")
    assert blob[:1] == b"\x01"
    assert len(blob) == 1 + 12 + len(b"Ivan Petrov") + 16
    assert crypto.decrypt(key, blob, b"person|1|name|1") == b"Ivan Petrov"


def test_nonces_differ() -> None:
    key = crypto.random_key()
    assert crypto.encrypt(key, b"x", b"") != crypto.encrypt(key, b"x", b"")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda blob: blob[:-1] + bytes([blob[-1] ^ 1]),  # tag
        lambda blob: blob[:20] + bytes([blob[20] ^ 1]) + blob[21:],  # ciphertext
        lambda blob: b"\x02" + blob[1:],  # unknown version
        lambda blob: blob[:28],  # too short to hold nonce and tag
        lambda blob: b"",
    ],
)
def test_decrypt_rejects_damaged_blobs(mutate: object) -> None:
    key = crypto.random_key()
    blob = crypto.encrypt(key, b"secret text", b"aad")
    with pytest.raises(DecryptionError):
        crypto.decrypt(key, mutate(blob), b"aad")


def test_decrypt_rejects_other_aad_and_key() -> None:
    key = crypto.random_key()
    blob = crypto.encrypt(key, b"secret", b"person|1|name|1")
    with pytest.raises(DecryptionError):
        crypto.decrypt(key, blob, b"person|2|name|1")
    with pytest.raises(DecryptionError):
        crypto.decrypt(crypto.random_key(), blob, b"person|1|name|1")


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32-byte"):
        crypto.encrypt(b"k" * 16, b"x", b"")


def test_hkdf_separates_purposes() -> None:
    root = crypto.random_key()
    a = crypto.hkdf(root, b"corridor/v1/a")
    assert a == crypto.hkdf(root, b"corridor/v1/a")
    assert a != crypto.hkdf(root, b"corridor/v1/b")
    assert len(crypto.hkdf(root, b"x", length=64)) == 64


def test_hkdf_rfc5869_vector_without_salt() -> None:
    # RFC 5869 test case 3: SHA-256, zero-length salt and info.
    okm = crypto.hkdf(bytes([0x0B] * 22), b"", length=42)
    assert okm.hex() == ("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")


def test_blind_index_truncates_and_is_keyed() -> None:
    key = crypto.random_key()
    full = crypto.blind_index(key, "ivan petrov", 256)
    assert len(full) == 32
    assert crypto.blind_index(key, "ivan petrov", 16) == full[:2]
    assert crypto.blind_index(crypto.random_key(), "ivan petrov", 256) != full


@pytest.mark.parametrize("bits", [0, 4, 12, 264, -8])
def test_blind_index_rejects_bad_bit_counts(bits: int) -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        crypto.blind_index(crypto.random_key(), "x", bits)


def test_ed25519_sign_verify() -> None:
    private = crypto.generate_signing_key()
    public = crypto.public_key(private)
    assert len(private) == 32
    assert len(public) == 32
    signature = crypto.sign(private, b"checkpoint 7")
    assert crypto.verify(public, signature, b"checkpoint 7") is True
    assert crypto.verify(public, signature, b"checkpoint 8") is False
    other = crypto.public_key(crypto.generate_signing_key())
    assert crypto.verify(other, signature, b"checkpoint 7") is False
    assert crypto.verify(b"short", signature, b"checkpoint 7") is False


def test_age_round_trip_and_failures() -> None:
    identity, recipient = crypto.generate_age_identity()
    assert identity.startswith("AGE-SECRET-KEY-1")
    assert recipient.startswith("age1")
    message = crypto.age_encrypt(recipient, "Помогите".encode())
    assert crypto.age_decrypt(identity, message) == "Помогите".encode()
    other_identity, _ = crypto.generate_age_identity()
    with pytest.raises(DecryptionError):
        crypto.age_decrypt(other_identity, message)
    with pytest.raises(DecryptionError):
        crypto.age_decrypt(identity, b"not an age message")


def test_random_key() -> None:
    assert len(crypto.random_key()) == 32
    assert crypto.random_key() != crypto.random_key()
