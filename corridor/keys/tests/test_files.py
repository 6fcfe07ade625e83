"""Encrypted files: ciphertext only on disk, random names, bound to their record."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from django.conf import settings

from corridor.keys import files
from corridor.keys.errors import DecryptionError
from corridor.keys.models import DataKey, EncryptedFile

pytestmark = pytest.mark.django_db

SECRET = "Показания: Zelimkhan-Planted-7f3a".encode()


def test_round_trip_and_nothing_in_clear_on_disk() -> None:
    key = DataKey.create("file")
    body = SECRET * 1000
    stored = files.store_encrypted(io.BytesIO(body), key, "testimony")
    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert stored.size == len(body)
    assert stored.path.is_relative_to(Path(settings.DATA_DIR) / "media")
    assert oct(stored.path.stat().st_mode & 0o777) == "0o600"
    on_disk = stored.path.read_bytes()
    assert SECRET not in on_disk
    assert stored.sha256.encode() not in on_disk
    assert files.open_encrypted(stored.id) == body
    assert files.open_encrypted(EncryptedFile.objects.get(pk=stored.id)) == body


def test_disk_name_is_random_and_not_the_original() -> None:
    key = DataKey.create("file")
    upload = io.BytesIO(b"x")
    upload.name = "passport_Magomedov.jpg"
    a = files.store_encrypted(upload, key, "document")
    b = files.store_encrypted(io.BytesIO(b"x"), key, "document")
    assert a.path.name != b.path.name
    assert "Magomedov" not in str(a.path)
    assert a.path.read_bytes() != b.path.read_bytes()


def test_ciphertext_swapped_between_files_fails() -> None:
    key = DataKey.create("file")
    a = files.store_encrypted(io.BytesIO(b"first"), key, "document")
    b = files.store_encrypted(io.BytesIO(b"second"), key, "document")
    b.path.write_bytes(a.path.read_bytes())
    with pytest.raises(DecryptionError):
        files.open_encrypted(b.id)


def test_oversized_upload_is_refused_and_nothing_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_BYTES", 10)
    key = DataKey.create("file")
    before = EncryptedFile.objects.count()
    with pytest.raises(files.FileTooLarge):
        files.store_encrypted(io.BytesIO(os.urandom(11)), key, "document")
    assert EncryptedFile.objects.count() == before
