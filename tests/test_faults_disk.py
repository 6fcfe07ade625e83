"""A full disk: writes fail with a clear error (507, the API's 'disk_full'), nothing is corrupted
(SQLite's integrity check, `corridor audit verify`), and once space returns everything works.

The disk is a small tmpfs mounted for the test (as root: the test machine and CI run as root;
elsewhere the test is skipped and says why). On SQLite the whole data directory lives on it;
on PostgreSQL the instance's database is created in a tablespace on it (the WAL stays on the
cluster's own disk, as a full data volume leaves it in production), so the cluster that other
tests share is never short of space.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults import Instance, http, make_instance, pg_execute, postgres_url, set_up_writer
from tests.serving import corridor

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("faults")]

SIZE_MB = 48


def _mount_tmpfs(path: Path, size_mb: int) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    result = subprocess.run(  # noqa: S603 -- fixed arguments
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0700", "tmpfs", str(path)],  # noqa: S607 -- util-linux
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def _fill(path: Path) -> Path:
    """Write until the disk is full; the filler file is returned for giving the space back."""
    filler = path / "filler"
    block = b"\0" * (1 << 16)
    with contextlib.suppress(OSError), filler.open("wb") as out:
        while True:
            out.write(block)
            out.flush()
    with contextlib.suppress(OSError), filler.open("ab") as out:  # the last few bytes too
        while True:
            out.write(b"\0" * 512)
            out.flush()
    return filler


@pytest.fixture(scope="module")
def disk() -> Iterator[Path]:
    mount_point = Path(tempfile.mkdtemp(prefix="corridor-disk-"))
    if not _mount_tmpfs(mount_point, SIZE_MB):
        mount_point.rmdir()
        pytest.skip("mounting a tmpfs needs root (and mount); run as root as CI does")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)  # noqa: S603,S607 -- fixed arguments
        shutil.rmtree(mount_point, ignore_errors=True)


@pytest.fixture(scope="module")
def instance(disk: Path) -> Iterator[Instance]:
    made = make_instance("faults-disk")
    url = postgres_url()
    tablespace = None
    if url is None:
        # The data directory (database, WAL, media, keys) moves onto the small disk.
        on_disk = disk / "data"
        shutil.copytree(made.data_dir, on_disk, symlinks=True)
        shutil.rmtree(made.data_dir)
        made.data_dir = on_disk
        made.env["CORRIDOR_DATA_DIR"] = str(on_disk)
    else:
        assert made.database
        tablespace = f"{made.database}_ts"
        space = disk / "pg"
        space.mkdir()
        shutil.chown(space, "postgres", "postgres")
        disk.chmod(0o755)
        pg_execute(url, f"CREATE TABLESPACE \"{tablespace}\" LOCATION '{space}'")
        pg_execute(url, f'ALTER DATABASE "{made.database}" SET TABLESPACE "{tablespace}"')
    try:
        yield made
    finally:
        made.destroy()
        if tablespace is not None and url is not None:
            pg_execute(url, f'DROP TABLESPACE IF EXISTS "{tablespace}"')


def test_a_full_disk_refuses_writes_clearly_corrupts_nothing_and_recovers(disk: Path, instance: Instance) -> None:
    instance.start(workers=2, threads=2)
    instance.unseal()
    writer = set_up_writer(instance)
    url = f"{instance.base}/api/v1/cases/{writer['case']}/notes/"
    acknowledged = []
    for index in range(5):
        status, _headers, text = http(url, data={"body": f"before {index}"}, token=writer["token"])
        assert status == 201, text
        acknowledged.append(f"before {index}")

    filler = _fill(disk)
    answers = []
    for index in range(20):
        # Large enough that a page or two of free space cannot take it.
        body = f"while full {index} " + os.urandom(6000).hex()
        status, headers, text = http(url, data={"body": body}, token=writer["token"])
        answers.append(status)
        if status == 201:
            acknowledged.append(body)
            continue
        assert status == 507, text[:500]
        assert json.loads(text)["error"] == {
            "code": "disk_full",
            "message": "The server's disk is full. Nothing was saved. Tell your administrator.",
            "fields": {},
        }
        assert headers.get("Retry-After") == "30"
    assert 507 in answers, answers
    # Reading still works while full.
    status, _headers, text = http(url, token=writer["token"])
    assert status in (200, 507), text[:300]

    filler.unlink()
    for index in range(5):
        status, _headers, text = http(url, data={"body": f"after {index}"}, token=writer["token"])
        assert status == 201, text
        acknowledged.append(f"after {index}")
    status, _headers, text = http(url, token=writer["token"])
    assert status == 200
    assert sorted(note["body"] for note in json.loads(text)) == sorted(acknowledged)

    verify = corridor(instance.env, "audit", "verify", timeout=300)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    if postgres_url() is None:
        with contextlib.closing(sqlite3.connect(f"file:{instance.data_dir / 'db.sqlite3'}?mode=ro", uri=True)) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
