"""Archives that are not what a backup writes are refused, before anything changes.

age gives integrity, not authorship: anyone who knows a trustee's public key can encrypt a
file to it. So a crafted archive must be refused by its content: names outside the backup's
layout, links, a member whose hash or size is not the manifest's, a missing manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pyrage
import pytest
from django.conf import settings

from corridor.transfer import backup

pytestmark = pytest.mark.django_db


def _archive(
    tmp_path: Path, members: list[tuple[str, bytes]], *, manifest: dict[str, object] | None = None, link: str | None = None
) -> tuple[Path, str]:
    identity = pyrage.x25519.Identity.generate()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link is not None:
            info = tarfile.TarInfo(link)
            info.type = tarfile.SYMTYPE
            info.linkname = "/etc/passwd"
            tar.addfile(info)
        if manifest is not None:
            raw = json.dumps(manifest).encode()
            info = tarfile.TarInfo(backup.MANIFEST)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    path = tmp_path / "crafted.age"
    path.write_bytes(pyrage.encrypt(buffer.getvalue(), [identity.to_public()]))
    return path, str(identity)


def _manifest(members: list[tuple[str, bytes]]) -> dict[str, object]:
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


@pytest.mark.parametrize("name", ["../outside", "/etc/cron.d/x", "media/../../outside", "secret_key", "notes.txt", "media"])
def test_a_member_outside_the_layout_is_refused(tmp_path: Path, name: str) -> None:
    members = [(name, b"x")]
    path, identity = _archive(tmp_path, members, manifest=_manifest(members))
    with pytest.raises(backup.BackupError, match="member"):
        backup.verify(path, identity)
    assert not (tmp_path.parent / "outside").exists()


def test_a_link_is_refused(tmp_path: Path) -> None:
    path, identity = _archive(tmp_path, [], manifest=_manifest([]), link="media/enc/ab/link")
    with pytest.raises(backup.BackupError, match="other than files"):
        backup.verify(path, identity)


def test_a_member_not_matching_the_manifest_is_refused(tmp_path: Path) -> None:
    members = [("media/enc/ab/abcd", b"ciphertext")]
    manifest = _manifest([("media/enc/ab/abcd", b"other bytes")])
    path, identity = _archive(tmp_path, members, manifest=manifest)
    with pytest.raises(backup.BackupError, match="not matching"):
        backup.verify(path, identity)


def test_no_manifest_is_refused(tmp_path: Path) -> None:
    path, identity = _archive(tmp_path, [("media/enc/ab/abcd", b"ciphertext")])
    with pytest.raises(backup.BackupError, match="no manifest"):
        backup.verify(path, identity)


def test_a_refused_restore_changes_nothing(tmp_path: Path) -> None:
    members = [("media/enc/ab/abcd", b"ciphertext")]
    path, identity = _archive(tmp_path, members, manifest=_manifest([("media/enc/ab/abcd", b"changed")]))
    before = sorted(p.name for p in Path(settings.DATA_DIR).iterdir())
    with pytest.raises(backup.BackupError):
        backup.restore(path, identity, force=True)
    assert sorted(p.name for p in Path(settings.DATA_DIR).iterdir()) == before
    assert (Path(settings.DATA_DIR) / "keys" / "keystore.json").exists()
