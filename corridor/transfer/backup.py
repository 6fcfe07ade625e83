"""Encrypted backups: take one, verify one, restore one (issue 13, item 4).

An archive is a tar stream, encrypted as a whole with age to every registered trustee backup
key (`corridor backup keys add`), written as it is made (never whole in memory):

    database.sqlite3 | database.pgdump   the rows, already ciphertext (SQLite's online backup
                                         API, or pg_dump's custom format)
    keys/keystore.json                   wrapped keys and public halves, never the root key
    keys/tree_head.json                  the last audit tree head keyd signed (if any)
    media/...                            the encrypted uploads
    manifest.json                        last: versions, row counts, SHA-256 and size of each member

Opening the outer layer needs one trustee's identity; what is inside is what the data
directory holds at rest, so verify and restore decrypt no personal data and unwrap no key.
After a restore the instance is sealed, and the same trustees unseal it with the same shares.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, BinaryIO

import django
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from corridor.keys import api as keys

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
# What of the data directory goes in, besides media/. Not secret_key (a restored instance makes
# a new one, which only ends the old sessions), nor outbox_identity: staff mail addresses are
# encrypted to it so that a copy of the database or of a backup alone shows none
# (docs/operators/notifications.md), nor unseal_path (a new address is made; tell the trustees).
DATA_FILES = ("keys/keystore.json", "keys/tree_head.json")
CHUNK = 1 << 20

Progress = Callable[[int], None]


class BackupError(Exception):
    """A backup, verify or restore that cannot go on; the message says why (no personal data)."""


@dataclass
class Member:
    name: str
    size: int
    sha256: str


@dataclass
class Manifest:
    backup_id: str
    created: str
    database: str
    instance_id: str
    counts: dict[str, int]
    members: list[Member] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=2, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError(f"unsupported backup format: {data.get('format')!r}")
            return cls(
                backup_id=str(data["backup_id"]),
                created=str(data["created"]),
                database=str(data["database"]),
                instance_id=str(data["instance_id"]),
                counts={str(k): int(v) for k, v in data["counts"].items()},
                members=[Member(str(m["name"]), int(m["size"]), str(m["sha256"])) for m in data["members"]],
                versions={str(k): str(v) for k, v in data["versions"].items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise BackupError(f"the manifest does not parse: {type(exc).__name__}") from None


# -- the database -----------------------------------------------------------------------------


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    return vendor


def _pg_env() -> dict[str, str]:
    """libpq's environment for pg_dump/pg_restore, from the connection Django uses."""
    conf = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if conf.get(key):
            env[var] = str(conf[key])
    return env


def _run(args: list[str], what: str) -> None:
    result = subprocess.run(args, env=_pg_env(), capture_output=True, check=False)  # noqa: S603 -- fixed program, our own arguments
    if result.returncode != 0:
        # pg tools' messages name tables and options, not row contents.
        tail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise BackupError(f"{what} failed: " + " | ".join(tail))


def _quoted(name: str) -> str:
    """A table name as an SQL identifier (a crafted archive's names are quoted, never run)."""
    return '"' + name.replace('"', '""') + '"'


def _count_sql(name: str) -> str:
    return f"SELECT COUNT(*) FROM {_quoted(name)}"  # noqa: S608 -- an identifier, quoted


def _sqlite_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {name: int(db.execute(_count_sql(name)).fetchone()[0]) for name in sorted(names)}
    finally:
        db.close()


def _dump_database(workdir: Path) -> tuple[str, Path, dict[str, int]]:
    """The database into a file in `workdir`, and the row count of each table in that copy."""
    vendor = _vendor()
    if vendor == "sqlite":
        path = workdir / SQLITE_MEMBER
        connection.ensure_connection()
        target = sqlite3.connect(path)
        try:
            raw = connection.connection
            raw.backup(target)
        finally:
            target.close()
        return SQLITE_MEMBER, path, _sqlite_counts(path)
    path = workdir / PG_MEMBER
    # One snapshot for the dump and the counts, so the manifest says what the dump holds.
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        _run(
            ["pg_dump", "-Fc", "--no-owner", "--no-privileges", f"--snapshot={snapshot}", "-f", str(path), "-d", _dbname()],
            "pg_dump",
        )
        counts = {}
        for name in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(_count_sql(name))
            counts[name] = int(cursor.fetchone()[0])
    return PG_MEMBER, path, counts


def _dbname() -> str:
    return str(connection.settings_dict["NAME"])


# -- the archive ------------------------------------------------------------------------------


def _data_members(data_dir: Path) -> list[tuple[str, Path]]:
    members = [(name, data_dir / name) for name in DATA_FILES if (data_dir / name).is_file()]
    media = data_dir / "media"
    if media.is_dir():
        for path in sorted(media.rglob("*")):
            if path.is_file():
                members.append((path.relative_to(data_dir).as_posix(), path))
    return members


def _versions() -> dict[str, str]:
    try:
        corridor = metadata.version("corridor")
    except metadata.PackageNotFoundError:
        corridor = "unknown"
    return {"corridor": corridor, "django": django.get_version(), "python": platform.python_version()}


class _Counting:
    """Passes reads through, hashing them and reporting their sizes (the progress bar): the
    manifest's SHA-256 is of the bytes that went into the archive, read once."""

    def __init__(self, handle: BinaryIO, progress: Progress | None) -> None:
        self.handle = handle
        self.progress = progress
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        if self.progress is not None and data:
            self.progress(len(data))
        return data


def _add(tar: tarfile.TarFile, name: str, path: Path, progress: Progress | None) -> Member:
    with path.open("rb") as handle:
        # The size of the file opened: a keystore replaced meanwhile is a new inode, not this one.
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size = stat.st_size
        info.mode = 0o600
        info.mtime = int(stat.st_mtime)
        reader = _Counting(handle, progress)
        tar.addfile(info, reader)
    return Member(name, stat.st_size, reader.digest.hexdigest())


# Working directories a backup, verify or restore makes in the data directory. Each holds the
# pid of its process; a killed process leaves its directory (the database dump, ciphertext only,
# but a copy to account for), which the next backup, verify or restore removes.
WORK_PREFIXES = (".backup-", ".verify-", ".restore-")
OWNER_FILE = "owner.pid"
# A working directory without an owner file (killed before it was written) is stale after this.
STALE_SECONDS = 3600


def _claim_workdir(work: Path) -> None:
    (work / OWNER_FILE).write_text(str(os.getpid()))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive, and not ours to judge
    return True


def sweep_stale(data_dir: Path | None = None, *, now: float | None = None) -> list[str]:
    """Remove the working directories of backups, verifies and restores that died; their names."""
    root = Path(data_dir or settings.DATA_DIR)
    if not root.is_dir():
        return []
    clock = time.time() if now is None else now
    removed = []
    for work in sorted(root.iterdir()):
        if not work.is_dir() or work.is_symlink() or not work.name.startswith(WORK_PREFIXES):
            continue
        try:
            owner = int((work / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            owner = None
        if owner is not None:
            stale = owner != os.getpid() and not _alive(owner)
        else:
            stale = clock - work.stat().st_mtime > STALE_SECONDS
        if stale:
            shutil.rmtree(work, ignore_errors=True)
            removed.append(work.name)
    return removed


def plan(data_dir: Path | None = None) -> int:
    """Bytes a backup will stream (media and key files; the dump is added when made)."""
    root = Path(data_dir or settings.DATA_DIR)
    return sum(path.stat().st_size for _name, path in _data_members(root))


def take(
    out: BinaryIO,
    recipients: list[str],
    *,
    progress: Progress | None = None,
    started: Callable[[int], None] | None = None,
) -> Manifest:
    """Write an encrypted backup of this instance into `out`; returns its manifest.

    Works sealed (nothing is decrypted). `started(total_bytes)` is called once the database is
    dumped, so a progress bar knows its length; `progress(n)` as bytes go in.
    """
    from corridor.transfer.domain import backups as domain

    if not recipients:
        raise BackupError("no backup key is registered: add one with `corridor backup keys add`")
    data_dir = Path(settings.DATA_DIR)
    record = domain.start_backup(len(recipients))
    described = keys.describe_keystore((data_dir / "keys" / "keystore.json").read_bytes())
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=data_dir) as work:
        _claim_workdir(Path(work))
        name, dump, counts = _dump_database(Path(work))
        members = _data_members(data_dir)
        if started is not None:
            started(dump.stat().st_size + sum(path.stat().st_size for _n, path in members))
        manifest = Manifest(
            backup_id=str(record.pk),
            created=timezone.now().isoformat(timespec="seconds"),
            database=connection.vendor,
            instance_id=str(described["instance_id"]),
            counts=counts,
            versions=_versions(),
        )
        reader_fd, writer_fd = os.pipe()
        failure: list[BaseException] = []

        def produce() -> None:
            with os.fdopen(writer_fd, "wb") as pipe:
                try:
                    with tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                        manifest.members.append(_add(tar, name, dump, progress))
                        for member_name, path in members:
                            manifest.members.append(_add(tar, member_name, path, progress))
                        raw = manifest.to_json()
                        info = tarfile.TarInfo(MANIFEST)
                        info.size = len(raw)
                        info.mode = 0o600
                        tar.addfile(info, _BytesReader(raw))
                except BaseException as exc:  # noqa: BLE001 -- handed to the caller's thread, re-raised there
                    failure.append(exc)

        writer = threading.Thread(target=produce, name="backup-tar", daemon=True)
        writer.start()
        hashing = _Hashing(out)
        with os.fdopen(reader_fd, "rb") as pipe:
            keys.encrypt_stream_to_age(recipients, pipe, hashing)  # type: ignore[arg-type]  # age calls .write() only
        writer.join()
        if failure:
            raise BackupError(f"the backup could not be written: {type(failure[0]).__name__}") from failure[0]
    domain.finish_backup(record, hashing.digest.hexdigest(), hashing.size)
    return manifest


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk = self.data[self.offset : end]
        self.offset += len(chunk)
        return chunk


class _Hashing:
    """A writer that hashes and counts what passes to the archive file."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.out.write(data)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


def read_identity(path: Path) -> str:
    """The first age identity in a trustee's identity file (age-keygen's format)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        raise BackupError("the identity file cannot be read") from None
    for line in lines:
        if line.strip().startswith("AGE-SECRET-KEY-1"):
            return line.strip()
    raise BackupError("the identity file holds no age identity (AGE-SECRET-KEY-1…)")


@contextmanager
def _opened(path: Path, identity: str) -> Iterator[tarfile.TarFile]:
    """The archive's tar stream, decrypted on the fly by a thread feeding a pipe."""
    reader_fd, writer_fd = os.pipe()
    failure: list[BaseException] = []

    def decrypt() -> None:
        try:
            with path.open("rb") as source, os.fdopen(writer_fd, "wb") as pipe:
                keys.decrypt_age_stream(identity, source, pipe)
        except BaseException as exc:  # noqa: BLE001 -- reported by the reading side
            failure.append(exc)

    thread = threading.Thread(target=decrypt, name="backup-open", daemon=True)
    thread.start()
    pipe = os.fdopen(reader_fd, "rb")
    try:
        try:
            with tarfile.open(fileobj=pipe, mode="r|") as tar:
                yield tar
        except tarfile.TarError:
            thread.join()
            if failure:
                raise BackupError(_why(failure[0])) from None
            raise BackupError("the archive is not a Corridor backup (damaged tar stream)") from None
    finally:
        pipe.close()  # a reader that stopped early breaks the writer's pipe
        thread.join()
    if failure and not isinstance(failure[0], BrokenPipeError):
        raise BackupError(_why(failure[0]))


def _why(exc: BaseException) -> str:
    if isinstance(exc, ValueError):
        return "the identity is not an age identity"
    return "the archive cannot be opened with this identity, or it was altered or cut short"


def _safe_name(name: str) -> str:
    parts = Path(name).parts
    if name.startswith("/") or ".." in parts or not parts:
        raise BackupError("the archive holds a member with an unsafe name")
    # A media member is a file *inside* media/ (never "media" itself, which would replace the folder).
    if name not in (SQLITE_MEMBER, PG_MEMBER, MANIFEST, *DATA_FILES) and (parts[0] != "media" or len(parts) < 2):
        raise BackupError("the archive holds a member that is not part of a backup")
    return name


def _unpack(path: Path, identity: str, staging: Path, keep: Callable[[str], bool]) -> tuple[Manifest, dict[str, Member]]:
    """Hash every member (keeping in `staging` those `keep` says), read the manifest."""
    seen: dict[str, Member] = {}
    manifest: Manifest | None = None
    with _opened(path, identity) as tar:
        for info in tar:
            name = _safe_name(info.name)
            if not info.isfile():
                raise BackupError("the archive holds something other than files")
            source = tar.extractfile(info)
            if source is None:
                raise BackupError("the archive holds something other than files")
            if name == MANIFEST:
                manifest = Manifest.from_json(source.read())
                continue
            digest = hashlib.sha256()
            size = 0
            target: IO[bytes] | None = None
            if keep(name):
                destination = staging / name
                destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                target = destination.open("wb")
            try:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    if target is not None:
                        target.write(chunk)
            finally:
                if target is not None:
                    target.close()
            seen[name] = Member(name, size, digest.hexdigest())
    if manifest is None:
        raise BackupError("the archive has no manifest (cut short?)")
    expected = {member.name: member for member in manifest.members}
    if expected != seen:
        wrong = sorted(set(expected) ^ set(seen)) or sorted(n for n in expected if expected[n] != seen[n])
        raise BackupError(f"{len(wrong)} member(s) missing, extra or not matching their SHA-256 in the manifest")
    return manifest, seen


# -- verify -----------------------------------------------------------------------------------


@dataclass
class Report:
    manifest: Manifest
    members: int
    bytes: int
    tables: int
    rows: int
    keystore: dict[str, int | str]


def verify(path: Path, identity: str) -> Report:
    """Check an archive without decrypting any record or unwrapping any key: every member's
    SHA-256 and size against the manifest, the dump loads into a scratch database with the
    manifest's row counts, the keystore parses. Raises BackupError saying what failed."""
    with tempfile.TemporaryDirectory(prefix=".verify-", dir=_scratch_root()) as work:
        staging = Path(work)
        _claim_workdir(staging)
        manifest, seen = _unpack(path, identity, staging, lambda name: name in (SQLITE_MEMBER, PG_MEMBER, DATA_FILES[0]))
        if "keys/keystore.json" not in seen:
            raise BackupError("the archive holds no keystore")
        try:
            described = keys.describe_keystore((staging / "keys" / "keystore.json").read_bytes())
        except keys.KeyringError:
            raise BackupError("the keystore in the archive does not parse") from None
        if described["instance_id"] != manifest.instance_id:
            raise BackupError("the keystore belongs to another instance than the manifest says")
        if SQLITE_MEMBER in seen:
            counts = _check_sqlite(staging / SQLITE_MEMBER)
        elif PG_MEMBER in seen:
            counts = _check_pgdump(staging / PG_MEMBER)
        else:
            raise BackupError("the archive holds no database dump")
        if counts != manifest.counts:
            differ = sorted(name for name in set(counts) | set(manifest.counts) if counts.get(name) != manifest.counts.get(name))
            raise BackupError(f"row counts differ from the manifest in {len(differ)} table(s): {', '.join(differ[:5])}")
    return Report(
        manifest=manifest,
        members=len(seen),
        bytes=sum(member.size for member in seen.values()),
        tables=len(counts),
        rows=sum(counts.values()),
        keystore=described,
    )


def _scratch_root() -> Path | None:
    root = Path(settings.DATA_DIR)
    return root if root.is_dir() else None


def _check_sqlite(path: Path) -> dict[str, int]:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = db.execute("PRAGMA integrity_check").fetchone()
        finally:
            db.close()
        if result is None or result[0] != "ok":
            raise BackupError("the SQLite dump fails its integrity check")
        return _sqlite_counts(path)
    except sqlite3.DatabaseError:
        raise BackupError("the SQLite dump is not a database") from None


# `COPY schema.table (columns) FROM stdin;` in pg_restore's script output; names may be quoted.
_COPY = re.compile(rb'^COPY (?:(?:"(?:[^"]|"")+"|[^\s."]+)\.)?("(?:[^"]|"")+"|[^\s("]+) .*FROM stdin;$')


def _check_pgdump(path: Path) -> dict[str, int]:
    """Count the rows of every table in the dump without running any of it.

    The archive is not authenticated (anyone who knows a trustee's public key can make one), so
    its dump is never restored here: pg_restore turns it into script text on standard output,
    with no database connection, and the rows of each COPY block are counted. A dump that does
    not decode to the end fails. Nothing of it is executed, whatever a crafted archive holds.
    """
    command = ["pg_restore", "--data-only", "--file=-", str(path)]
    counts: dict[str, int] = {}
    current: str | None = None
    with subprocess.Popen(  # noqa: S603 -- fixed program, our own arguments
        command, env=_pg_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None  # noqa: S101 -- both piped just above
        for line in process.stdout:
            if current is None:
                match = _COPY.match(line.rstrip(b"\n"))
                if match:
                    raw = match.group(1).decode("utf-8", "replace")
                    current = raw[1:-1].replace('""', '"') if raw.startswith('"') else raw
                    counts.setdefault(current, 0)
            elif line == b"\\.\n":
                current = None
            else:
                counts[current] += 1
        errors = process.stderr.read()
    if process.returncode != 0 or current is not None:
        # pg tools' messages name tables and options, not row contents.
        tail = errors.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise BackupError("the PostgreSQL dump cannot be read to its end: " + (" | ".join(tail) or "cut short"))
    return counts


# -- restore ----------------------------------------------------------------------------------


def is_empty() -> bool:
    """True for a fresh instance: no keystore, and a database without users or audit entries
    (no tables at all, or only what `migrate` made)."""
    from corridor.accounts.models import User
    from corridor.audit.models import AuditEntry

    if keys_exist():
        return False
    tables = set(connection.introspection.table_names())
    for model in (User, AuditEntry):
        if model._meta.db_table in tables and model.objects.exists():
            return False
    return True


def keys_exist() -> bool:
    return (Path(settings.DATA_DIR) / "keys" / "keystore.json").exists()


def restore(path: Path, identity: str, *, force: bool = False) -> Manifest:
    """Rebuild this instance from an archive: database, keystore, media. Refuses a non-empty
    instance unless `force` (which replaces what is there). Everything is unpacked and checked
    against the manifest first; nothing is changed unless the whole archive is sound. The
    instance is sealed afterwards: the trustees unseal it with the shares they have."""
    from corridor.transfer.domain import backups as domain

    if not force and not is_empty():
        raise BackupError("this instance is not empty (keys, users or audit entries exist): restore with --force to replace it")
    data_dir = Path(settings.DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
    try:
        _claim_workdir(staging)
        manifest, seen = _unpack(path, identity, staging, lambda name: True)
        if manifest.database != connection.vendor:
            raise BackupError(f"this backup is of a {manifest.database} database; this instance uses {connection.vendor}")
        if "keys/keystore.json" not in seen:
            raise BackupError("the archive holds no keystore")
        keys.describe_keystore((staging / "keys" / "keystore.json").read_bytes())
        if manifest.database == "sqlite":
            _load_sqlite(staging / SQLITE_MEMBER)
        else:
            _run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    # Tables `migrate` made in an otherwise empty database are replaced too.
                    *(["--clean", "--if-exists"] if force or connection.introspection.table_names() else []),
                    "-d",
                    _dbname(),
                    str(staging / PG_MEMBER),
                ],
                "pg_restore",
            )
            connection.close()
        _place_files(staging, data_dir, seen)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    domain.record_restore(manifest.backup_id)
    return manifest


def _load_sqlite(dump: Path) -> None:
    """Copy the dump page by page into the database Django uses (SQLite's backup API)."""
    connection.close()
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()


def _place_files(staging: Path, data_dir: Path, seen: dict[str, Member]) -> None:
    """Media swapped in whole; key files written 0600 in a 0700 directory."""
    media = data_dir / "media"
    staged_media = staging / "media"
    if media.exists():
        old = data_dir / f".media-replaced-{uuid.uuid4().hex[:8]}"
        media.rename(old)
        shutil.rmtree(old, ignore_errors=True)
    if staged_media.exists():
        staged_media.rename(media)
    (data_dir / "keys").mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(data_dir / "keys", 0o700)
    for name in DATA_FILES:
        target = data_dir / name
        if name in seen:
            os.chmod(staging / name, 0o600)
            os.replace(staging / name, target)
        else:
            target.unlink(missing_ok=True)
