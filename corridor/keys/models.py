"""Tables of the keys app: wrapped per-record data keys, blind-index entries, encrypted files.

A DataKey row holds only a key wrapped by the key service; shredding it makes every
ciphertext under it unreadable, and purging its epoch makes that true of backups too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from corridor.keys import crypto, instance
from corridor.keys.errors import KeyringError
from corridor.keys.events import KeyEvent, report

_EPOCH_BYTES = 4
# One keyd request carries every item as base64 in a 16 MiB frame; a wrapped key and its
# context take ~200 bytes, so 2,000 per call stays far below the limit.
UNWRAP_BATCH = 2000


class Shredded(KeyringError):
    """The data key was destroyed on purpose; what it encrypted is gone for good."""


def _context(pk: Any, purpose: str) -> str:
    # Binds the wrapped key to its row and purpose: a blob copied to another row fails.
    return f"datakey|{pk}|{purpose}"


def epoch_of(wrapped: bytes) -> int:
    """The KEK epoch a wrapped key names in its first four bytes (big-endian)."""
    if len(wrapped) < _EPOCH_BYTES:
        raise ValueError("wrapped key is too short to name an epoch")
    return int.from_bytes(wrapped[:_EPOCH_BYTES], "big")


class DataKey(models.Model):
    """One AES-256 key per person, case, file or message, stored wrapped under a KEK epoch.

    The plaintext key is memoised on this instance only (request or transaction scope):
    there is no process-wide cache that could outlive a seal.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(max_length=32)
    wrapped = models.BinaryField()
    epoch = models.PositiveIntegerField(db_index=True)
    created = models.DateTimeField(default=timezone.now)
    shredded = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["shredded"], name="keys_datakey_shredded")]

    def __str__(self) -> str:
        return f"DataKey {self.pk} ({self.purpose})"

    @property
    def context(self) -> str:
        return _context(self.pk, self.purpose)

    # -- creation --------------------------------------------------------------------

    @classmethod
    def create(cls, purpose: str) -> DataKey:
        """A new data key for `purpose`, saved."""
        return cls.create_many(purpose, 1)[0]

    @classmethod
    def create_many(cls, purpose: str, count: int) -> list[DataKey]:
        """`count` new data keys in one keyring call and one INSERT; their keys are memoised."""
        made = [cls(purpose=purpose) for _ in range(count)]
        for start in range(0, count, UNWRAP_BATCH):
            chunk = made[start : start + UNWRAP_BATCH]
            pairs = instance.keyring().generate_data_keys([dk.context for dk in chunk])
            for dk, (plain, wrapped) in zip(chunk, pairs, strict=True):
                dk.wrapped = wrapped
                dk.epoch = epoch_of(wrapped)
                dk._plain = plain
        DataKey.objects.bulk_create(made, batch_size=500)
        return made

    # -- use ---------------------------------------------------------------------------

    def _check_usable(self) -> None:
        if self.shredded is not None or not self.wrapped:
            raise Shredded(f"data key {self.pk} was shredded; its data cannot be recovered")

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        """AES-256-GCM under this data key, bound to `aad` (where the blob will be stored)."""
        return crypto.encrypt(self.plain_key(), plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """Reverse seal(); raises DecryptionError, Shredded or Sealed, never returns the blob."""
        return crypto.decrypt(self.plain_key(), blob, aad)

    def plain_key(self) -> bytes:
        """The plaintext key, unwrapped through the keyring (Sealed while sealed).

        For corridor.keys only (fields, files): everyone else calls seal() and open(), so
        no key bytes are held outside this package (tests/test_keys_facade.py checks it).
        """
        plain: bytes | None = self.__dict__.get("_plain")
        if plain is None:
            self._check_usable()
            plain = instance.keyring().unwrap([(bytes(self.wrapped), self.context)])[0]
            self._plain = plain
        return plain

    @classmethod
    def preload(cls, data_keys: Iterable[DataKey | None]) -> None:
        """Unwrap many keys in as few keyring calls as possible and memoise each on its instance.

        Shredded keys are skipped here; using one later raises Shredded.
        """
        todo: list[DataKey] = []
        seen: set[int] = set()
        for dk in data_keys:
            if dk is None or id(dk) in seen or "_plain" in dk.__dict__:
                continue
            seen.add(id(dk))
            if dk.shredded is None and dk.wrapped:
                todo.append(dk)
        ring = instance.keyring()
        for start in range(0, len(todo), UNWRAP_BATCH):
            chunk = todo[start : start + UNWRAP_BATCH]
            plains = ring.unwrap([(bytes(dk.wrapped), dk.context) for dk in chunk])
            for dk, plain in zip(chunk, plains, strict=True):
                dk._plain = plain

    @classmethod
    def unwrap_by_id(cls, ids: Sequence[Any]) -> dict[Any, bytes]:
        """{id: plaintext key} for the live keys among `ids`, read and unwrapped in batches.

        For preload_keys on rows fetched without their DataKey: one query and one keyring
        call per UNWRAP_BATCH keys, and no model objects. Shredded and unknown ids are left
        out, so the caller's usual path raises Shredded for them. The plaintext keys are
        returned to the caller, which memoises them on the record instances only.
        """
        plains: dict[Any, bytes] = {}
        ring = instance.keyring()
        for start in range(0, len(ids), UNWRAP_BATCH):
            rows = [
                (pk, bytes(wrapped), _context(pk, purpose))
                for pk, purpose, wrapped in cls.objects.filter(
                    pk__in=ids[start : start + UNWRAP_BATCH], shredded__isnull=True
                ).values_list("pk", "purpose", "wrapped")
                if wrapped
            ]
            if rows:
                keys = ring.unwrap([(wrapped, context) for _pk, wrapped, context in rows])
                plains.update(zip((pk for pk, _w, _c in rows), keys, strict=True))
        return plains

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a cache, a copy) without the unwrapped key: the copy unwraps again."""
        state: dict[str, Any] = dict(super().__getstate__())
        state.pop("_plain", None)
        return state

    def forget(self) -> None:
        """Drop the memoised plaintext key from this instance."""
        self.__dict__.pop("_plain", None)

    # -- deletion ----------------------------------------------------------------------

    def shred(self, *, actor: Any) -> None:
        """Crypto-shred: overwrite the wrapped key, delete its blind-index entries and files.

        The row stays as a tombstone so foreign keys still resolve and the audit log can
        name it. Backups still hold the old wrapped key until its epoch is destroyed
        (`purge_epochs`), which is what makes the deletion final (Invariant 7).
        """
        with transaction.atomic():
            locked = DataKey.objects.select_for_update().get(pk=self.pk)
            if locked.shredded is None:
                # Reported first: with no receiver, or a failed entry, nothing is touched
                # (files on disk cannot be rolled back).
                report(KeyEvent.DATAKEY_SHRED, actor=actor, subject=self)
                now = timezone.now()
                DataKey.objects.filter(pk=self.pk).update(wrapped=b"", shredded=now)
                BlindIndexEntry.objects.filter(data_key_id=self.pk).delete()
                files = list(EncryptedFile.objects.filter(data_key_id=self.pk))
                EncryptedFile.objects.filter(data_key_id=self.pk).delete()
                # The ciphertexts go once the shred is committed: a rollback of the enclosing
                # action must find them still there. A crash between the commit and this
                # leaves ciphertext whose key is gone, which nobody can read.
                transaction.on_commit(lambda: _delete_files(files), robust=True)
            else:
                now = locked.shredded
        self.wrapped = b""
        self.shredded = now
        self.forget()


def _delete_files(files: list[EncryptedFile]) -> None:
    for stored in files:
        stored.delete_file()


def epochs_in_use() -> set[int]:
    """Epochs named by any live (unshredded) wrapped key this instance knows about."""
    return set(DataKey.objects.filter(shredded__isnull=True).values_list("epoch", flat=True).distinct())


# -- blind indexes ---------------------------------------------------------------------------------


class BlindIndexEntry(models.Model):
    """One truncated keyed hash of one normalised value of one record (see blind.py)."""

    index_name = models.CharField(max_length=64)
    token = models.BinaryField(max_length=32)
    # The owner is named by model label and UUID: every model with encrypted fields has a
    # UUID primary key, and a label keeps this table free of a contenttypes dependency.
    owner_model = models.CharField(max_length=100)
    owner_id = models.UUIDField()
    data_key = models.ForeignKey(DataKey, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["index_name", "token"], name="keys_blind_lookup"),
            models.Index(fields=["owner_model", "owner_id"], name="keys_blind_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.index_name} entry for {self.owner_model}"


# -- encrypted files -------------------------------------------------------------------------------


class EncryptedFile(models.Model):
    """A ciphertext file under DATA_DIR/media; its name on disk is random (see files.py).

    No plaintext hash is stored here: a SHA-256 of the plaintext would confirm a guessed
    file, so callers keep it in an encrypted field next to their own record.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=32)
    disk_name = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"EncryptedFile {self.pk}"

    @property
    def path(self) -> Path:
        """Where the ciphertext is: DATA_DIR/media/enc, fanned out by the name's first two characters."""
        return Path(settings.DATA_DIR) / "media" / "enc" / self.disk_name[:2] / self.disk_name

    def delete_file(self) -> None:
        """Delete the ciphertext from disk (the key is what makes it unreadable; this frees the space)."""
        self.path.unlink(missing_ok=True)


def wrapped_pairs(data_keys: Sequence[DataKey]) -> list[tuple[bytes, str]]:
    return [(bytes(dk.wrapped), dk.context) for dk in data_keys]


__all__ = [
    "BlindIndexEntry",
    "DataKey",
    "EncryptedFile",
    "Shredded",
    "epoch_of",
    "epochs_in_use",
]


class SealEvent(models.Model):
    """A lockdown or an unseal of one web node's key service, for the other nodes to compare.

    Each node has its own keyd; a lockdown seals the node it was pressed on at once (no database
    write needed), then leaves a `lockdown` row here. Every other node, on its next request,
    finds a lockdown newer than the `unseal` row of its own unseal and seals itself
    (instance.sealed_here_or_elsewhere). `epoch` is the SHA-256 of the unseal's session epoch,
    so the table says which unseal a row belongs to without holding the value sessions carry.
    """

    LOCKDOWN = "lockdown"
    UNSEAL = "unseal"

    kind = models.CharField(max_length=8, choices=[(LOCKDOWN, LOCKDOWN), (UNSEAL, UNSEAL)])
    epoch = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["epoch"], name="keys_sealevent_epoch")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
