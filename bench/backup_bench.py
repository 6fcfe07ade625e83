"""Backup, verify and restore of a 100,000-person instance (issue 13, item 4), through the CLI.

A temporary instance is filled by `corridor demo --people N` (SQLite, like the other suites)
and given synthetic media (random bytes, as ciphertext looks: the demo uploads no files);
a trustee's age key is registered; then `corridor backup --out`, `corridor backup verify`
and `corridor restore` into a second, empty data directory are timed, and the restored
instance's audit log is verified.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _corridor(env: dict[str, str], *args: str, timeout: float = 3600) -> str:
    result = subprocess.run(  # noqa: S603 -- our own interpreter and CLI
        [sys.executable, "-m", "corridor.cli", *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    if result.returncode != 0:
        raise RuntimeError(f"corridor {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


def _timed(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    out = _corridor(env, *args)
    return round(time.perf_counter() - started, 1), out


def _trustee(directory: Path) -> str:
    """An age identity file (as age-keygen writes it); returns its recipient."""
    script = "import pyrage; i = pyrage.x25519.Identity.generate(); print(i.to_public()); print(i)"
    recipient, identity = subprocess.run(  # noqa: S603 -- our own interpreter, fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    path = directory / "trustee.txt"
    path.write_text(f"# public key: {recipient}\n{identity}\n")
    path.chmod(0o600)
    return recipient


def _synthetic_media(data_dir: Path, files: int, size: int) -> int:
    for i in range(files):
        name = os.urandom(16).hex()
        folder = data_dir / "media" / "enc" / name[:2]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(os.urandom(size))
        del i
    return files * size


def run(people: int = 100_000, media_files: int = 2_000, media_size: int = 64 * 1024) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="corridor-bench-backup-"))
    source, target = work / "source", work / "target"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "DJANGO_")) and k != "DATABASE_URL"}
    base.update({"CORRIDOR_INSECURE_HTTP": "1", "DJANGO_SETTINGS_MODULE": "corridor.settings"})
    env = {**base, "CORRIDOR_DATA_DIR": str(source)}
    fresh = {**base, "CORRIDOR_DATA_DIR": str(target)}
    figures: dict[str, Any] = {"people": people}
    try:
        _corridor(env, "migrate", "--noinput", "-v", "0")
        figures["populate_seconds"], _ = _timed(env, "demo", "--people", str(people), "--seed", "1")
        # The tree may gain a migration while a long demo fills the instance (a shared machine).
        _corridor(env, "migrate", "--noinput", "-v", "0")
        figures["media_bytes"] = _synthetic_media(source, media_files, media_size)
        figures["database_bytes"] = (source / "db.sqlite3").stat().st_size
        recipient = _trustee(work)
        _corridor(env, "backup", "keys", "add", recipient, "--label", "bench trustee")
        archive = work / "backup.age"
        figures["backup_seconds"], _ = _timed(env, "backup", "--out", str(archive), "--no-progress")
        figures["archive_bytes"] = archive.stat().st_size
        figures["verify_seconds"], figures["verify_says"] = _timed(
            env, "backup", "verify", str(archive), "--identity", str(work / "trustee.txt")
        )
        figures["verify_says"] = figures["verify_says"].strip()
        figures["restore_seconds"], _ = _timed(fresh, "restore", str(archive), "--identity", str(work / "trustee.txt"))
        figures["restored_audit_verify"] = _corridor(fresh, "audit", "verify", "--no-progress").strip().splitlines()[0]
        figures["throughput_mib_s"] = {
            name: round((figures["database_bytes"] + figures["media_bytes"]) / (1 << 20) / figures[f"{name}_seconds"], 1)
            for name in ("backup", "verify", "restore")
        }
        figures["measures"] = (
            f"`corridor backup --out`, `backup verify` and `restore` (into an empty data directory) of a demo "
            f"instance of {people} people plus {media_files} synthetic media files of {media_size // 1024} KiB, "
            "SQLite, one trustee key; the machine is shared with other runs"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures
