"""The referral operations through the real keyd process (wire and client), as in production:
the signature keyd returns verifies as a referral and not as a checkpoint, a bundle encrypted to
keyd's referral recipient opens, one encrypted to another key is DecryptionError, and sealed
keyd refuses all three."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from corridor.keys import crypto
from corridor.keys.client import KeydClient
from corridor.keys.errors import DecryptionError, Sealed
from corridor.keys.service import initialize, referral_message
from corridor.keys.tests.conftest import Instance
from corridor.keys.tests.test_keyd import Keyd, _start, _stop, _unseal


@pytest.fixture
def instance(tmp_path: Path) -> Instance:
    data_dir = tmp_path / "data"
    return Instance(data_dir, initialize(data_dir, shares=5, threshold=3))


@pytest.fixture
def running(instance: Instance, tmp_path: Path) -> Iterator[Keyd]:
    daemon = _start(instance.data_dir, tmp_path / "run" / "keyd.sock")
    yield daemon
    _stop(daemon)


def test_referral_operations_over_the_wire(instance: Instance, running: Keyd) -> None:
    client = KeydClient(running.socket_path)
    digest = hashlib.sha256(b"bundle").digest()
    with pytest.raises(Sealed):
        client.sign_referral(digest)
    with pytest.raises(Sealed):
        client.referral_recipient()
    _unseal(client, instance.shares[:3])
    public = client.signing_public_key()
    signature = client.sign_referral(digest)
    assert crypto.verify(public, signature, referral_message(digest))
    assert not crypto.verify(public, signature, digest)
    with pytest.raises(ValueError):
        client.sign_referral(b"\x00" * 31)

    recipient = client.referral_recipient()
    assert recipient.startswith("age1") and recipient != client.intake_recipient()
    assert client.open_referral(crypto.age_encrypt(recipient, b"for us")) == b"for us"
    _identity, elsewhere = crypto.generate_age_identity()
    with pytest.raises(DecryptionError):
        client.open_referral(crypto.age_encrypt(elsewhere, b"for someone else"))
    with pytest.raises(DecryptionError):
        client.open_referral(b"not age at all")
