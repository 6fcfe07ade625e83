"""The restore drill (issue 13, item 4), on whichever database the suite runs on (SQLite, or
PostgreSQL with DATABASE_URL): back up, destroy the keys, the media and every table, restore,
unseal with the same shares, and find everything equal: people, notes and documents decrypt
the same; a person erased (and their epoch retired and destroyed) before the backup stays
unreadable after the restore.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pyrage
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.audit.verify import verify as verify_log
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, Document, Note, Person
from corridor.keys import api as keys
from corridor.keys import epochs, instance, keystore
from corridor.keys.errors import KeyringError
from corridor.transfer import backup
from corridor.transfer.audit_names import BackupAudit
from corridor.transfer.domain import backups as domain
from corridor.transfer.models import Backup

pytestmark = pytest.mark.django_db(transaction=True)


def trustee(tmp_path: Path, name: str = "trustee") -> tuple[str, Path]:
    """A trustee's age identity file, as age-keygen writes it; returns (recipient, file)."""
    identity = pyrage.x25519.Identity.generate()
    path = tmp_path / f"{name}.txt"
    path.write_text(f"# created: now\n# public key: {identity.to_public()}\n{identity}\n")
    return str(identity.to_public()), path


def _plant(team: Team) -> dict[str, object]:
    worker = make_staff(Role.CASEWORKER, teams=[team])
    kept, case = cases_domain.create_person_with_case(
        worker, team=team, summary="left by night train", names=[{"name": "Ruslan Kept", "kind": "legal"}]
    )
    cases_domain.add_note(worker, case, "sleeps at the second flat")
    document = cases_domain.upload_document(
        worker, case, SimpleUploadedFile("passport.txt", b"passport page of Ruslan"), "passport", person=kept
    )
    erased, erased_case = cases_domain.create_person_with_case(
        worker, team=team, names=[{"name": "Adam Erased", "kind": "legal"}]
    )
    cases_domain.erase_person(worker, erased)
    return {"worker": worker, "kept": kept, "case": case, "document": document, "erased": erased}


def _retire_old_epochs() -> int:
    """Rotate, re-wrap every live key, then retire and destroy the epoch the erased key was in."""
    old = epochs.current_epoch()
    epochs.rotate()
    epochs.rewrap_all(epochs.current_epoch(), 100, None)
    first = epochs.purge(0)
    second = epochs.purge(0)
    assert old in first["retired"] and old in second["destroyed"]
    return old


def _destroy_everything() -> None:
    """What a dead server leaves: no keys, no media, no tables; the key service forgets all."""
    instance.keyring().seal()
    data_dir = Path(settings.DATA_DIR)
    shutil.rmtree(data_dir / "keys")
    shutil.rmtree(data_dir / "media", ignore_errors=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        sqlite3.connect(":memory:").backup(connection.connection)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    connection.close()
    instance.reset_for_tests()
    assert connection.introspection.table_names() == []


def _unseal(shares: list[str]) -> None:
    instance.reset_for_tests()
    ring = instance.keyring()
    assert ring.status().sealed
    for share in shares[:3]:
        ring.submit_share(share)
    assert not ring.status().sealed


def test_restore_drill(tmp_path: Path, shares: list[str]) -> None:
    team = Team.objects.create(name="North")
    planted = _plant(team)
    destroyed_epoch = _retire_old_epochs()
    recipient, identity_file = trustee(tmp_path)
    _other, other_identity = trustee(tmp_path, "stranger")
    domain.add_recipient("trustee 1", recipient)

    kept = Person.objects.get(pk=planted["kept"].pk)  # type: ignore[attr-defined]  # the planted Person
    before = {
        "names": kept.names,
        "summary": planted["case"].summary,  # type: ignore[attr-defined]  # the planted Case
        "notes": sorted(note.body for note in Note.objects.all()),
        "document": keys.open_encrypted(Document.objects.get().file),
        "people": Person.objects.count(),
        "entries": AuditEntry.objects.count(),
    }
    archive = tmp_path / "backup.age"
    with archive.open("wb") as out:
        manifest = backup.take(out, [recipient])
    assert Backup.objects.get(pk=manifest.backup_id).archive_sha256
    assert {m.name for m in manifest.members} >= {
        "keys/keystore.json",
        backup.SQLITE_MEMBER if connection.vendor == "sqlite" else backup.PG_MEMBER,
    }
    assert any(m.name.startswith("media/") for m in manifest.members)

    report = backup.verify(archive, backup.read_identity(identity_file))
    assert report.rows == sum(manifest.counts.values()) and report.rows > 0
    with pytest.raises(backup.BackupError):
        backup.verify(archive, backup.read_identity(other_identity))
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.restore(archive, backup.read_identity(identity_file))

    _destroy_everything()
    assert backup.is_empty()
    restored = backup.restore(archive, backup.read_identity(identity_file))
    assert restored.backup_id == manifest.backup_id
    store = keystore.load(Path(settings.DATA_DIR))
    assert store is not None and destroyed_epoch not in store.epochs

    _unseal(shares)
    kept = Person.objects.get(pk=kept.pk)
    assert kept.names == before["names"]
    assert Person.objects.count() == before["people"]
    assert sorted(note.body for note in Note.objects.all()) == before["notes"]
    assert keys.open_encrypted(Document.objects.get().file) == before["document"]
    assert Case.objects.get(pk=planted["case"].pk).summary == before["summary"]  # type: ignore[attr-defined]  # the planted Case
    erased = Person.objects.get(pk=planted["erased"].pk)  # type: ignore[attr-defined]  # the planted Person
    assert erased.erased is not None
    with pytest.raises(KeyringError):
        _ = erased.names
    # The log came back whole, with the restore appended to it.
    assert AuditEntry.objects.count() == before["entries"] + 2  # backup.finish was after the dump; restore
    assert AuditEntry.objects.filter(action=BackupAudit.RESTORE).count() == 1
    assert verify_log().ok


def test_commands_refuse_clearly(tmp_path: Path) -> None:
    recipient, identity_file = trustee(tmp_path)
    with pytest.raises(CommandError, match="no backup key"):
        call_command("backup", "--out", str(tmp_path / "a.age"))
    with pytest.raises(CommandError, match="age X25519"):
        call_command("backup", "keys", "add", "age1nonsense", "--label", "x")
    call_command("backup", "keys", "add", recipient, "--label", "trustee 1")
    with pytest.raises(CommandError, match="already"):
        call_command("backup", "keys", "add", recipient, "--label", "trustee 1")
    call_command("backup", "--out", str(tmp_path / "a.age"), "--no-progress")
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", "--out", str(tmp_path / "a.age"))
    call_command("backup", "verify", str(tmp_path / "a.age"), "--identity", str(identity_file))
    # Cut short, or altered: verify says so, never a traceback.
    raw = (tmp_path / "a.age").read_bytes()
    (tmp_path / "short.age").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CommandError):
        call_command("backup", "verify", str(tmp_path / "short.age"), "--identity", str(identity_file))
    flipped = bytearray(raw)
    flipped[len(raw) // 2] ^= 1
    (tmp_path / "flipped.age").write_bytes(bytes(flipped))
    with pytest.raises(CommandError):
        call_command("backup", "verify", str(tmp_path / "flipped.age"), "--identity", str(identity_file))
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(tmp_path / "a.age"), "--identity", str(identity_file))
    (tmp_path / "empty.txt").write_text("nothing\n")
    with pytest.raises(CommandError, match="no age identity"):
        call_command("restore", str(tmp_path / "a.age"), "--identity", str(tmp_path / "empty.txt"))
    call_command("backup", "keys", "remove", recipient)
    assert AuditEntry.objects.filter(action__startswith="backup.").count() == 4


def test_restore_onto_a_migrated_empty_database(tmp_path: Path, shares: list[str]) -> None:
    """`corridor migrate` run first on the new server leaves empty tables: restore replaces them."""
    team = Team.objects.create(name="South")
    planted = _plant(team)
    recipient, identity_file = trustee(tmp_path)
    archive = tmp_path / "backup.age"
    with archive.open("wb") as out:
        backup.take(out, [recipient])
    instance.keyring().seal()
    shutil.rmtree(Path(settings.DATA_DIR) / "keys")
    shutil.rmtree(Path(settings.DATA_DIR) / "media", ignore_errors=True)
    call_command("flush", "--noinput", verbosity=0)
    assert connection.introspection.table_names() and backup.is_empty()
    backup.restore(archive, backup.read_identity(identity_file))
    _unseal(shares)
    kept = Person.objects.get(pk=planted["kept"].pk)  # type: ignore[attr-defined]  # the planted Person
    assert kept.names == [{"name": "Ruslan Kept", "kind": "legal"}]
    assert keys.open_encrypted(Document.objects.get().file) == b"passport page of Ruslan"
