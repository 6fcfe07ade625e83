"""Encrypted file storage: uploads become AES-256-GCM ciphertext under DATA_DIR/media/enc.

Names on disk are random; the original name, type and plaintext hash are never stored in
clear (callers keep them in encrypted fields). Metadata stripping happens before this.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from corridor.keys import crypto
from corridor.keys.models import DataKey, EncryptedFile

__all__ = ["MAX_BYTES", "FileTooLarge", "StoredFile", "open_encrypted", "remove", "store_encrypted"]

# One AES-GCM message per file keeps this simple; 50 MiB fits in memory comfortably.
MAX_BYTES = 50 * 1024 * 1024


class FileTooLarge(ValueError):
    """The upload is over MAX_BYTES."""


@dataclass(frozen=True)
class StoredFile:
    """What store_encrypted hands back. sha256 and size are of the plaintext: keep the
    hash in an encrypted field, as a plaintext hash would confirm a guessed file."""

    record: EncryptedFile
    path: Path
    sha256: str
    size: int

    @property
    def id(self) -> uuid.UUID:
        return self.record.pk


def _aad(file_id: uuid.UUID, data_key: DataKey) -> bytes:
    return f"file|{file_id}|{data_key.pk}".encode()


def store_encrypted(fileobj: BinaryIO, data_key: DataKey, purpose: str) -> StoredFile:
    """Encrypt the bytes of `fileobj` under `data_key`, write them, and record the file."""
    data = fileobj.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise FileTooLarge(f"files over {MAX_BYTES // (1024 * 1024)} MiB are not accepted")
    record = EncryptedFile(data_key=data_key, purpose=purpose, disk_name=secrets.token_hex(16), size=len(data))
    blob = crypto.encrypt(data_key.plain_key(), data, _aad(record.pk, data_key))
    path = record.path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        record.save(force_insert=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise
    return StoredFile(record=record, path=path, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def open_encrypted(file: EncryptedFile | StoredFile | uuid.UUID) -> bytes:
    """The plaintext bytes; raises Shredded, Sealed or DecryptionError, never returns ciphertext."""
    if isinstance(file, StoredFile):
        record = file.record
    elif isinstance(file, EncryptedFile):
        record = file
    else:
        record = EncryptedFile.objects.select_related("data_key").get(pk=file)
    data_key = record.data_key
    blob = record.path.read_bytes()
    return crypto.decrypt(data_key.plain_key(), blob, _aad(record.pk, data_key))


def remove(record: EncryptedFile) -> None:
    """Delete the ciphertext from disk (the key is what makes it unreadable; this frees the space)."""
    record.delete_file()
