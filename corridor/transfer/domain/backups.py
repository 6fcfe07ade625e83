"""Backups: the trustees' age keys every backup is encrypted to, and the record of each backup
taken and each restore. The archive itself is written by corridor/transfer/backup.py.

These run from the command line (`corridor backup …`), by whoever operates the server: the
system acts (actor None), as `rotate` and `purge` do, and every change is audited.
"""

from __future__ import annotations

from django.db import IntegrityError
from django.utils import timezone

from corridor.audit.actions import act, lock
from corridor.core.errors import Conflict
from corridor.keys import api as keys
from corridor.transfer.audit_names import BackupAudit
from corridor.transfer.models import Backup, BackupRecipient


def add_recipient(label: str, recipient: str) -> BackupRecipient:
    """Register a trustee's age public key; ValueError if it is not one, Conflict if known."""
    recipient = recipient.strip()
    label = label.strip()[:80]
    if not keys.is_age_recipient(recipient):
        raise ValueError("not an age X25519 recipient (age1…)")
    with act(None, None) as action:
        if BackupRecipient.objects.filter(recipient=recipient, removed__isnull=True).exists():
            raise Conflict("this backup key is registered already")
        try:
            row, _created = BackupRecipient.objects.update_or_create(
                recipient=recipient, defaults={"label": label, "removed": None, "added": timezone.now()}
            )
        except IntegrityError:
            raise Conflict("this backup key is registered already") from None
        action.record(BackupAudit.RECIPIENT_ADD, row)
    return row


def remove_recipient(recipient: str) -> BackupRecipient:
    """Stop encrypting new backups to a key (backups already written stay readable by it)."""
    with act(None, None) as action:
        row = BackupRecipient.objects.filter(recipient=recipient.strip(), removed__isnull=True).first()
        if row is None:
            raise LookupError("no such backup key")
        lock(row)
        row.removed = timezone.now()
        row.save(update_fields=["removed"])
        action.record(BackupAudit.RECIPIENT_REMOVE, row)
    return row


def active_recipients() -> list[BackupRecipient]:
    return list(BackupRecipient.objects.filter(removed__isnull=True))


def start_backup(recipients: int) -> Backup:
    """Record that a backup starts (its entry is inside the archive it starts)."""
    with act(None, None) as action:
        backup = Backup.objects.create(recipients=recipients)
        action.record(BackupAudit.TAKE, backup)
    return backup


def finish_backup(backup: Backup, sha256: str, size: int) -> Backup:
    """Record the written archive's SHA-256 and size."""
    with act(None, None) as action:
        lock(backup)
        backup.finished = timezone.now()
        backup.archive_sha256 = sha256
        backup.size = size
        backup.save(update_fields=["finished", "archive_sha256", "size"])
        action.record(BackupAudit.FINISH, backup)
    return backup


def record_restore(backup_id: str) -> None:
    """Audit, on the restored instance, that it was restored (from which backup)."""
    with act(None, None) as action:
        backup = Backup.objects.filter(pk=backup_id).first()
        action.record(BackupAudit.RESTORE, backup)
