"""Fuzz of backup archives (corridor/transfer/backup.py): the manifest, member names, and
archives altered byte by byte.

Properties: any manifest bytes are a Manifest or BackupError; any member name is accepted
only inside the backup's layout; an archive with any bytes changed or cut is refused with
BackupError by verify, and leaves no working directory behind.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pyrage
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corridor.transfer import backup
from corridor.transfer.backup import BackupError, Manifest

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
MANIFEST_KEYS = ["format", "backup_id", "created", "database", "instance_id", "counts", "versions", "members"]


def _valid_manifest(members: list[tuple[str, bytes]]) -> dict[str, object]:
    return {
        "format": backup.FORMAT,
        "backup_id": "00000000-0000-0000-0000-000000000000",
        "created": "2026-12-01T00:00:00+00:00",
        "database": "sqlite",
        "instance_id": "x",
        "counts": {},
        "versions": {},
        "members": [{"name": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in members],
    }


@FUZZ
@given(st.dictionaries(st.sampled_from(MANIFEST_KEYS), values, max_size=8) | values, st.booleans())
@example([], False)
@example({"format": backup.FORMAT, "counts": {"a": "1e9999"}}, True)
def test_any_manifest_is_read_or_refused(changes: object, over_valid: bool) -> None:
    document: object = _valid_manifest([])
    if over_valid and isinstance(changes, dict) and isinstance(document, dict):
        document.update(changes)
    else:
        document = changes
    try:
        manifest = Manifest.from_json(json.dumps(document).encode())
    except BackupError as error:
        assert str(error)
    else:
        assert isinstance(manifest.members, list)


@FUZZ
@given(st.binary(max_size=200))
@example(b"[" * 100_000)  # found here: deep nesting escaped as a RecursionError instead of BackupError
@example(b"\xff\xfe")
def test_any_manifest_bytes_are_read_or_refused(raw: bytes) -> None:
    try:
        Manifest.from_json(raw)
    except BackupError as error:
        assert str(error)


@FUZZ
@given(
    st.text(max_size=40)
    | st.sampled_from(["media", "media/", "/etc/passwd", "media/../keys/x", "keys/keystore.json", "./media/a"])
)
def test_only_names_inside_the_layout_are_accepted(name: str) -> None:
    try:
        safe = backup._safe_name(name)
    except BackupError:
        return
    parts = Path(safe).parts
    assert ".." not in parts and not safe.startswith("/")
    assert safe in (backup.SQLITE_MEMBER, backup.PG_MEMBER, backup.MANIFEST, *backup.DATA_FILES) or (
        parts[0] == "media" and len(parts) >= 2
    )


IDENTITY = pyrage.x25519.Identity.generate()
MEMBERS = [("media/enc/ab/abcd", b"ciphertext" * 50), ("keys/keystore.json", b"{}")]


def _plain_archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in [*MEMBERS, (backup.MANIFEST, json.dumps(_valid_manifest(MEMBERS)).encode())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


ARCHIVE = pyrage.encrypt(_plain_archive(), [IDENTITY.to_public()])
PLAIN = _plain_archive()


@FUZZ
@given(st.data(), st.booleans())
def test_an_altered_archive_is_refused_and_leaves_nothing(tmp_path: Path, data: st.DataObject, inside: bool) -> None:
    # Altered either as the age file (integrity), or inside the tar before encryption
    # (anyone with the trustee's public key can encrypt a crafted archive).
    original = PLAIN if inside else ARCHIVE
    cut = data.draw(st.integers(0, len(original)))
    flips = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(original) - 1), st.integers(1, 255)),
            min_size=0 if cut < len(original) else 1,
            max_size=4,
        )
    )
    mutated = bytearray(original[:cut])
    for at, mask in flips:
        if at < len(mutated):
            mutated[at] ^= mask
    blob = pyrage.encrypt(bytes(mutated), [IDENTITY.to_public()]) if inside else bytes(mutated)
    path = tmp_path / "altered.age"
    path.write_bytes(blob)
    scratch = backup._scratch_root() or Path(__import__("tempfile").gettempdir())
    before = {p.name for p in scratch.glob(".verify-*")}
    with pytest.raises(BackupError):
        # The archive holds no real keystore or dump, so even an unchanged one is refused; what
        # is tested is that every change is refused as BackupError, never another exception.
        backup.verify(path, str(IDENTITY))
    assert {p.name for p in scratch.glob(".verify-*")} == before
