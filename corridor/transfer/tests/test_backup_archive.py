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


def test_a_pg_dump_is_counted_without_any_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """verify never restores a dump (an archive proves no authorship): pg_restore only turns it
    into text, with libpq pointed at nowhere, and the COPY blocks are counted."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs a PostgreSQL database to dump (CI runs this file on both)")
    from corridor.accounts.testing import make_staff

    make_staff("caseworker", username="counted-one")
    dump = tmp_path / backup.PG_MEMBER
    # The test's own writes are in its transaction: dump what another session sees, and count alike.
    backup._run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), "-d", backup._dbname()], "pg_dump")
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
    monkeypatch.setattr(backup, "_pg_env", lambda: {"PGHOST": "/nonexistent", "PGPORT": "1", "PATH": "/usr/bin:/bin"})
    counts = backup._check_pgdump(dump)
    assert sorted(counts) == tables
    assert counts["django_migrations"] > 10
    cut = tmp_path / "cut.pgdump"
    cut.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    with pytest.raises(backup.BackupError, match="cannot be read to its end"):
        backup._check_pgdump(cut)


def test_what_is_not_a_pg_dump_is_refused_without_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / backup.PG_MEMBER
    bogus.write_bytes(b"PGDMP" + b"\x00" * 100)
    with pytest.raises(backup.BackupError, match="cannot be read to its end"):
        backup._check_pgdump(bogus)


def test_working_directories_of_dead_runs_are_swept(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    layout = {
        ".backup-dead": dead.stdout.decode().strip(),  # its process is gone
        ".verify-mine": str(os.getpid()),  # this process: running
        ".restore-old": None,  # killed before it wrote its owner, long ago
        ".backup-young": None,  # just made: perhaps being set up now
        "media": None,  # not a working directory
    }
    for name, pid in layout.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "database.pgdump").write_bytes(b"ciphertext rows")
        if pid is not None:
            (tmp_path / name / backup.OWNER_FILE).write_text(pid)
    old = (tmp_path / ".restore-old").stat().st_mtime - backup.STALE_SECONDS - 60
    os.utime(tmp_path / ".restore-old", (old, old))
    assert backup.sweep_stale(tmp_path) == [".backup-dead", ".restore-old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".backup-young", ".verify-mine", "media"]


@pytest.mark.django_db(transaction=True)  # SQLite's backup API waits for the test's open transaction
def test_a_failed_backup_leaves_no_working_directory(tmp_path: Path) -> None:
    data_dir = Path(settings.DATA_DIR)
    before = {p.name for p in data_dir.iterdir() if p.name.startswith(backup.WORK_PREFIXES)}
    with pytest.raises(Exception):  # noqa: B017 -- any failure: the point is what it leaves
        backup.take(io.BytesIO(), ["not an age recipient"])
    after = {p.name for p in data_dir.iterdir() if p.name.startswith(backup.WORK_PREFIXES)}
    assert after == before
