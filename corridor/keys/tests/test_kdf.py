"""Keys from a passphrase: replies sent to its recipient open with DerivedKeys.open, nothing else."""

from __future__ import annotations

import pytest

from corridor.keys import crypto, kdf
from corridor.keys.errors import DecryptionError


def test_a_reply_to_the_recipient_opens_and_another_passphrase_cannot_open_it() -> None:
    salt = kdf.random_salt()
    mine = kdf.derive("correct horse battery staple", salt, kdf.INSECURE_FAST)
    other = kdf.derive("another passphrase entirely", salt, kdf.INSECURE_FAST)
    reply = crypto.age_encrypt(mine.recipient, "ответ".encode())

    assert mine.open(reply).decode() == "ответ"
    with pytest.raises(DecryptionError):
        other.open(reply)
