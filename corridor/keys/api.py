"""The one door into corridor.keys for the rest of Corridor: seal and open records, blind
indexes, encrypted files, the instance's seal state and lockdown, the audit signer, intake keys.

Code outside keys imports this module (and `fields` for model fields, `errors` before Django
is set up, `hardening` for web workers, `treehead` for the audit log's hashing); nothing
else. Nothing here hands out key bytes: a record is sealed and opened by its DataKey
(`seal`, `open`), the key service tags, indexes and signs, and what leaves is a blob, a token,
a signature check or a plaintext the caller asked for.
tests/test_keys_facade.py holds the rest of the code to it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from corridor.keys import crypto, instance, keystore, treehead
from corridor.keys.blind import BlindIndex, index_values, lookup, lookup_each, search
from corridor.keys.errors import (
    DecryptionError,
    KeyringError,
    KeyServiceUnavailable,
    KeystoreTampered,
    NotInitialized,
    Sealed,
    TooManyRequests,
    TreeHeadRefused,
    UnknownEpoch,
    UnsealFailed,
)
from corridor.keys.events import KeyEvent
from corridor.keys.events import register as register_audit_receiver
from corridor.keys.files import FileTooLarge, StoredFile, open_encrypted, store_encrypted
from corridor.keys.files import remove as remove_file
from corridor.keys.instance import (
    ShareOutcome,
    in_process_keys,
    intake_recipient,
    is_sealed,
    on_seal,
    reset_unseal,
    session_epoch,
    status,
)
from corridor.keys.kdf import INSECURE_FAST, OWASP_MINIMUM, Argon2Params, DerivedKeys, derive, random_salt
from corridor.keys.models import BlindIndexEntry, DataKey, EncryptedFile, Shredded
from corridor.keys.nodes import lockdown, sealed_here_or_elsewhere, submit_share
from corridor.keys.service import Status, initialize, referral_message
from corridor.keys.translit import name_parts, normalize
from corridor.keys.treehead import SignedTreeHead

# -- intake: encrypted to the instance's intake key, opened by the key service -----------------

age_encrypt = crypto.age_encrypt
age_encrypt_to_many = crypto.age_encrypt_to_many


def open_intake(ciphertexts: Sequence[bytes]) -> list[bytes]:
    """Plaintexts of messages encrypted to the intake recipient (Sealed while sealed)."""
    return instance.keyring().open_intake(ciphertexts)


def address_tag(address: str) -> str:
    """The key service's keyed tag of a client address, for rate counters that keep no address."""
    return instance.keyring().address_tags([address])[0]


def blind_tokens(index: BlindIndex, normalized: Sequence[str]) -> list[bytes]:
    """Tokens of many already-normalised values in one keyring call (bulk indexing)."""
    return instance.keyring().blind_index(index.name, normalized, index.bits)


# -- the audit signer: checkpoints are signed by the key service, checked anywhere ---------------


def tree_head() -> SignedTreeHead | None:
    """The last audit tree head the key service signed (works while sealed)."""
    return instance.keyring().tree_head()


def sign_tree_head(
    old_size: int,
    old_root: bytes,
    new_size: int,
    new_root: bytes,
    proof: Sequence[bytes],
    frontier: Sequence[bytes],
) -> SignedTreeHead:
    """Have the key service sign a new head, only as a consistent extension of its last one."""
    return instance.keyring().sign_tree_head(old_size, old_root, new_size, new_root, proof, frontier)


def signing_public_key(data_dir: Path) -> bytes:
    """The audit signing public key: from the keystore file when it can be read (so a copy
    verifies offline), else from the running key service. Raises KeyringError or OSError."""
    try:
        store = keystore.load(data_dir)
        public_key = store.signing_public_key if store is not None else None
    except (OSError, KeyringError):
        public_key = None
    if public_key is None:
        public_key = instance.keyring().signing_public_key()
    return public_key


def last_signed_head(data_dir: Path, public_key: bytes) -> SignedTreeHead | None:
    """The last head signed, from its file when readable, else from the running key service.

    Raises KeystoreTampered when the file is damaged or not signed by `public_key`.
    """
    try:
        return treehead.load_head(data_dir, public_key)
    except PermissionError:
        return instance.keyring().tree_head()


def signature_valid(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True only if `signature` is a valid Ed25519 signature of `message` by `public_key`."""
    return crypto.verify(public_key, signature, message)


# -- mail to staff: their own age keys, and the outbox key the mail worker reads while sealed ---


def encrypt_to_age_recipient(recipient: str, data: bytes, *, armored: bool = False) -> bytes:
    """`data` encrypted to the age X25519 recipient a staff member registered for their own mail
    (`armored`: as age's ASCII armour, to stand in a mail's body).

    Raises ValueError when `recipient` is not an age X25519 recipient ("age1…").
    """
    return crypto.age_encrypt(recipient.strip(), data, armored=armored)


def is_age_recipient(text: str) -> bool:
    """True when `text` is an age X25519 recipient mail can be encrypted to."""
    try:
        crypto.age_encrypt(text.strip(), b"")
    except ValueError:
        return False
    return True


def seal_for_outbox(data: bytes) -> bytes:
    """`data` (a staff member's mail address) encrypted to the outbox key.

    The mail worker must send while the instance is sealed (an emergency after a restart), so
    it cannot use data keys. The outbox key is an age identity in a file of its own,
    CORRIDOR_DATA_DIR/outbox_identity (0600, made on first use): a copy of the database or of a
    backup without that file shows no address; whoever takes the whole data directory does.
    """
    return crypto.age_encrypt(_outbox_identity()[1], data)


def open_from_outbox(blob: bytes) -> bytes:
    """What seal_for_outbox encrypted; DecryptionError if it was not, or the key changed."""
    return crypto.age_decrypt(_outbox_identity()[0], blob)


# -- referral bundles to and from partner organisations (corridor/transfer) -----------------


def referral_recipient() -> str:
    """This instance's age recipient for referral bundles, for partners to register (unsealed)."""
    return instance.keyring().referral_recipient()


def seal_referral(recipient: str, data: bytes) -> bytes:
    """`data` (a bundle) encrypted to a partner's age X25519 recipient; ValueError if it is not one."""
    return crypto.age_encrypt(recipient.strip(), data)


def open_referral(ciphertext: bytes) -> bytes:
    """A bundle encrypted to this instance, opened by the key service (DecryptionError if not ours)."""
    return instance.keyring().open_referral(ciphertext)


def sign_referral(digest: bytes) -> bytes:
    """The key service's Ed25519 signature over a bundle's SHA-256 `digest`, in the referral
    context (service.referral_message): it never verifies as an audit checkpoint."""
    return instance.keyring().sign_referral(digest)


def referral_signature_valid(public_key: bytes, signature: bytes, digest: bytes) -> bool:
    """True only if `signature` is `public_key`'s referral signature over `digest`."""
    if len(digest) != 32 or len(public_key) != 32 or len(signature) != 64:
        return False
    return crypto.verify(public_key, signature, referral_message(digest))


def own_signing_public_key() -> bytes:
    """This instance's Ed25519 public key (the audit signer's), which signs its bundles."""
    return instance.keyring().signing_public_key()


def is_signing_public_key(raw: bytes) -> bool:
    """True when `raw` is an Ed25519 public key (32 bytes that decode to a curve point)."""
    return crypto.is_ed25519_public_key(raw)


def key_fingerprint(raw: bytes) -> str:
    """SHA-256 of a public key in hex, in groups of four, to read aloud and compare out of band."""
    digest = treehead.fingerprint(raw)
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


_outbox: dict[Path, tuple[str, str]] = {}


def _outbox_identity() -> tuple[str, str]:
    """(identity, recipient) of the outbox key, made once and linked into place atomically."""
    from django.conf import settings

    path = Path(settings.DATA_DIR) / "outbox_identity"
    if path not in _outbox:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            identity, _recipient = crypto.generate_age_identity()
            fd, tmp = tempfile.mkstemp(prefix=".outbox_identity-", dir=path.parent)
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(identity + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())  # never an empty key file after a power cut
                os.link(tmp, path)
                directory = os.open(path.parent, os.O_RDONLY)
                try:
                    os.fsync(directory)
                finally:
                    os.close(directory)
            except FileExistsError:
                pass  # another process made it first: use theirs
            finally:
                os.unlink(tmp)
        identity = path.read_text(encoding="utf-8").strip()
        _outbox[path] = (identity, crypto.age_recipient_of(identity))
    return _outbox[path]


# -- backups (corridor/transfer/backup.py) -------------------------------------------------


def encrypt_stream_to_age(recipients: list[str], reader: BinaryIO, writer: BinaryIO) -> None:
    """Everything `reader` yields, encrypted to the trustees' age backup recipients, streamed
    into `writer`; ValueError when a recipient is not an age X25519 recipient ("age1…")."""
    crypto.age_encrypt_io(recipients, reader, writer)


def decrypt_age_stream(identity: str, reader: BinaryIO, writer: BinaryIO) -> None:
    """An age stream opened with a trustee's identity ("AGE-SECRET-KEY-1…", which the caller
    read from the trustee's file and keeps no longer than this call); DecryptionError if it
    is not for that identity or was altered, ValueError if `identity` is not one."""
    crypto.age_decrypt_io(identity, reader, writer)


def describe_keystore(raw: bytes) -> dict[str, int | str]:
    """What a keystore file holds, without unwrapping anything: its instance id, threshold and
    shares, epochs (live and retired). KeyringError when it does not parse."""
    try:
        store = keystore.parse(raw)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise KeyringError(f"the keystore does not parse: {type(exc).__name__}") from None
    return {
        "instance_id": store.instance_id,
        "threshold": store.threshold,
        "shares_total": store.shares_total,
        "epochs": len(store.epochs),
        "retired_epochs": sum(1 for epoch in store.epochs.values() if epoch.retired is not None),
        "current_epoch": store.current_epoch,
    }


__all__ = [
    "decrypt_age_stream",
    "describe_keystore",
    "encrypt_stream_to_age",
    "referral_recipient",
    "seal_referral",
    "open_referral",
    "sign_referral",
    "referral_signature_valid",
    "own_signing_public_key",
    "is_signing_public_key",
    "key_fingerprint",
    "INSECURE_FAST",
    "OWASP_MINIMUM",
    "Argon2Params",
    "BlindIndex",
    "BlindIndexEntry",
    "DataKey",
    "DecryptionError",
    "DerivedKeys",
    "EncryptedFile",
    "FileTooLarge",
    "KeyEvent",
    "KeyServiceUnavailable",
    "KeyringError",
    "KeystoreTampered",
    "NotInitialized",
    "Sealed",
    "ShareOutcome",
    "Shredded",
    "SignedTreeHead",
    "Status",
    "StoredFile",
    "TooManyRequests",
    "TreeHeadRefused",
    "UnknownEpoch",
    "UnsealFailed",
    "address_tag",
    "age_encrypt",
    "age_encrypt_to_many",
    "blind_tokens",
    "derive",
    "encrypt_to_age_recipient",
    "in_process_keys",
    "index_values",
    "initialize",
    "intake_recipient",
    "is_age_recipient",
    "is_sealed",
    "last_signed_head",
    "lockdown",
    "lookup",
    "lookup_each",
    "name_parts",
    "normalize",
    "on_seal",
    "open_encrypted",
    "open_from_outbox",
    "open_intake",
    "random_salt",
    "register_audit_receiver",
    "remove_file",
    "reset_unseal",
    "sealed_here_or_elsewhere",
    "search",
    "seal_for_outbox",
    "session_epoch",
    "sign_tree_head",
    "signature_valid",
    "signing_public_key",
    "status",
    "store_encrypted",
    "submit_share",
    "tree_head",
]
