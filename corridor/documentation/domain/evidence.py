"""Evidence: files kept with the SHA-256 of the bytes as received, a chain of custody, and
redacted copies for sharing.

Files go through the same cleaning as a case's documents (corridor/cases/files.py: typed by
content, metadata stripped, Invariant 9) and are encrypted under their own data key. The
hash in `sha256` is of the bytes received, before stripping, so it can be compared with the
file the witness or partner still holds; the hash of the stored (stripped) bytes is kept in
the first custody entry, so every opening checks the file was not altered at rest.
"""

from __future__ import annotations

import hashlib
import io
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.cases import files
from corridor.core.uploads import max_bytes
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.models import Event, Evidence, Source
from corridor.documentation.rules import MANAGE_EVENTS, VIEW_EVENTS
from corridor.keys import api as keys
from corridor.keys.api import DataKey


class Custody:
    """What can happen to a file, each a custody entry."""

    RECEIVED = "received"
    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    REDACTED = "redacted"
    EXPORTED = "exported"
    HANDED_OVER = "handed_over"
    # What a person may write by hand (the others are written by the actions that do them).
    RECORDABLE = (EXPORTED, HANDED_OVER)
    OPENED = (VIEWED, DOWNLOADED)


def _entry(actor: User, action: str, note: str = "", **extra: Any) -> dict[str, Any]:
    return {"at": timezone.now().isoformat(), "by": actor.pk, "action": action, "note": note, **extra}


def _clean_filename(name: str, extension: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    base = "".join(ch for ch in base if ch.isprintable())[:150]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'evidence'}{extension}"


def _received(upload: IO[bytes] | UploadedFile[bytes]) -> bytes:
    """The bytes as they arrived (sanitize has read and checked them already)."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(max_bytes() + 1)
    if not isinstance(data, bytes):
        raise TypeError("uploads must be read as bytes")
    return data


def _store(
    actor: User, event: Event, upload: Any, *, source: Source | None, description: str, redacted_from: Evidence | None, note: str
) -> tuple[Evidence, keys.StoredFile]:
    filename = str(getattr(upload, "name", "") or "")
    sanitized = files.sanitize(upload, filename)  # FileRejected (a ValidationError) says why
    received = _received(upload)
    data_key = DataKey.create("file")
    stored = keys.store_encrypted(io.BytesIO(sanitized.data), data_key, "evidence")
    first = Custody.REDACTED if redacted_from is not None else Custody.RECEIVED
    evidence = Evidence(
        data_key=data_key,
        event=event,
        source=source,
        file=stored.record,
        content_type=sanitized.content_type,
        size=stored.size,
        filename=_clean_filename(filename, sanitized.extension),
        sha256=hashlib.sha256(received).hexdigest(),
        description=(description or "").strip() or None,
        custody=[_entry(actor, first, note, stored_sha256=stored.sha256)],
        redacted_from=redacted_from,
        uploaded_by=actor,
    )
    evidence.save()
    return evidence, stored


def add_evidence(actor: User, event: Event, upload: Any, *, source: Source | None = None, description: str = "") -> Evidence:
    """Clean, hash, encrypt and keep a file for `event`; nothing is stored when it is refused."""
    stored = None
    try:
        with act(actor, MANAGE_EVENTS, event) as action:
            if source is not None and source.team_id != event.team_id:
                raise ValidationError({"source": _("Choose a source of the event's team.")})
            evidence, stored = _store(actor, event, upload, source=source, description=description, redacted_from=None, note="")
            action.record(DocumentationAudit.EVIDENCE_ADD, evidence)
    except BaseException:
        if stored is not None:
            keys.remove_file(stored.record)
        raise
    return evidence


def add_redacted_copy(actor: User, original: Evidence, upload: Any, *, note: str = "") -> Evidence:
    """A copy of `original` with what must not be shared blacked out, made by a person elsewhere
    and uploaded here; both files' custody say so. A copy of a copy is refused (redact the original)."""
    stored = None
    try:
        with act(actor, MANAGE_EVENTS, original.event) as action:
            locked = lock(original)
            if locked.redacted_from_id is not None:
                raise ValidationError({"original": _("Make redacted copies from the original file, not from a copy.")})
            if not str(note or "").strip():
                raise ValidationError({"note": _("Say what was redacted and for whom.")})
            copy, stored = _store(
                actor,
                locked.event,
                upload,
                source=locked.source,
                description=locked.description or "",
                redacted_from=locked,
                note=note.strip(),
            )
            locked.custody = [*(locked.custody or []), _entry(actor, Custody.REDACTED, note.strip(), copy=str(copy.pk))]
            locked.save(update_fields=["custody"])
            action.record(DocumentationAudit.EVIDENCE_REDACTED, copy)
    except BaseException:
        if stored is not None:
            keys.remove_file(stored.record)
        raise
    original.custody = locked.custody
    return copy


def record_custody(actor: User, evidence: Evidence, action_name: str, note: str = "") -> Evidence:
    """A hand-written custody entry: the file was exported or handed over (to whom, in the note)."""
    with act(actor, MANAGE_EVENTS, evidence) as action:
        if action_name not in Custody.RECORDABLE:
            raise ValidationError({"action": _("Choose what happened to the file.")})
        if not str(note or "").strip():
            raise ValidationError({"note": _("Say to whom, or where, and why.")})
        locked = lock(evidence)
        locked.custody = [*(locked.custody or []), _entry(actor, action_name, note.strip())]
        locked.save(update_fields=["custody"])
        action.record(DocumentationAudit.EVIDENCE_CUSTODY, locked)
    evidence.custody = locked.custody
    return evidence


def open_evidence(actor: User, evidence: Evidence, purpose: str = Custody.VIEWED) -> bytes:
    """The stored bytes, checked against the hash taken when they were stored; custody and audit say who read them."""
    if purpose not in Custody.OPENED:
        raise ValueError(f"unknown purpose {purpose!r}")
    with act(actor, VIEW_EVENTS, evidence) as action:
        data = keys.open_encrypted(evidence.file)
        locked = lock(evidence)
        custody = list(locked.custody or [])
        expected = custody[0].get("stored_sha256") if custody else None
        if expected is not None and hashlib.sha256(data).hexdigest() != expected:
            raise ValidationError(_("This file does not match the fingerprint taken when it was stored."))
        locked.custody = [*custody, _entry(actor, purpose)]
        locked.save(update_fields=["custody"])
        audit_name = DocumentationAudit.EVIDENCE_VIEWED if purpose == Custody.VIEWED else DocumentationAudit.EVIDENCE_DOWNLOADED
        action.record(audit_name, locked)
    evidence.custody = locked.custody
    return data
