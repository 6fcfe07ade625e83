"""Mail to staff: encryption to a registered age key, and the outbox key the worker reads sealed."""

from __future__ import annotations

import stat
from pathlib import Path

import pyrage
import pytest
from django.conf import settings

from corridor.keys import api, instance
from corridor.keys.errors import DecryptionError


def test_mail_encrypted_to_a_registered_key_opens_only_with_its_identity() -> None:
    identity = pyrage.x25519.Identity.generate()
    other = pyrage.x25519.Identity.generate()
    blob = api.encrypt_to_age_recipient(f"  {identity.to_public()}\n", b"1 new emergency request")
    assert pyrage.decrypt(blob, [identity]) == b"1 new emergency request"
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(blob, [other])


def test_a_recipient_is_told_from_anything_else() -> None:
    assert api.is_age_recipient(str(pyrage.x25519.Identity.generate().to_public())) is True
    assert api.is_age_recipient("age1notakey") is False
    assert api.is_age_recipient("-----BEGIN PGP PUBLIC KEY BLOCK-----") is False
    with pytest.raises(ValueError):
        api.encrypt_to_age_recipient("ssh-ed25519 AAAA", b"x")


def test_the_outbox_key_round_trips_and_lives_in_a_0600_file_of_its_own() -> None:
    blob = api.seal_for_outbox(b"duty@example.org")
    assert b"duty@example.org" not in blob
    assert api.open_from_outbox(blob) == b"duty@example.org"
    path = Path(settings.DATA_DIR) / "outbox_identity"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("AGE-SECRET-KEY-")


def test_the_outbox_opens_only_what_it_sealed() -> None:
    stranger = pyrage.x25519.Identity.generate()
    with pytest.raises(DecryptionError):
        api.open_from_outbox(pyrage.encrypt(b"x", [stranger.to_public()]))


def test_the_outbox_works_while_sealed() -> None:
    blob = api.seal_for_outbox(b"duty@example.org")
    instance.keyring().seal()
    assert api.is_sealed() is True
    assert api.open_from_outbox(blob) == b"duty@example.org"


def test_armoured_mail_is_text_that_opens_with_the_identity() -> None:
    identity = pyrage.x25519.Identity.generate()
    blob = api.encrypt_to_age_recipient(str(identity.to_public()), "1 новый запрос".encode(), armored=True)
    text = blob.decode("ascii")
    assert text.startswith("-----BEGIN AGE ENCRYPTED FILE-----")
    assert pyrage.decrypt(blob, [identity]).decode() == "1 новый запрос"
