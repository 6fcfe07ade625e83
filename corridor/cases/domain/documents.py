"""Documents of a case: each file stripped of its metadata, encrypted under its own data key, and
carried with a chain of custody that says who put it there and who read it, when and why.

Every document, whichever door it came through (a page, the API, the intake), is created by
upload_document, so every chain of custody starts the same way.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.audit.names import name
from corridor.cases import files
from corridor.cases.audit_names import CaseAudit
from corridor.cases.models import Case, Document, DocumentKind, Person
from corridor.keys import api as keys
from corridor.keys.api import DataKey


class DocumentPurpose:
    """Why a document's bytes were served; each is a custody entry and an audit action."""

    VIEWED = "viewed"
    DOWNLOADED = "downloaded"
    ALL = (VIEWED, DOWNLOADED)


def _custody_entry(actor: User, action: str, note: str = "") -> dict[str, Any]:
    return {"at": timezone.now().isoformat(), "by": actor.pk, "action": action, "note": note}


def _clean_filename(name: str, extension: str) -> str:
    """The name as the uploader gave it (encrypted at rest), without any path, ending in the real extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".")
    base = "".join(ch for ch in base if ch.isprintable())[:150]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'document'}{extension}"


def upload_document(
    actor: User, case: Case, upload: Any, kind: str, person: Person | None = None, description: str = ""
) -> Document:
    """Strip the file's metadata, encrypt it under a new data key, and start its chain of custody.

    Raises ValidationError (a files.FileRejected with the reason) and stores nothing when
    the file is refused; the ciphertext is removed again if the database write fails.
    """
    stored = None
    try:
        with act(actor, "cases.add_document", case) as action:
            if kind not in DocumentKind.values:
                raise ValidationError({"kind": _("Unknown document type.")})
            if person is not None and not case.members.filter(person=person).exists():
                raise ValidationError({"person": _("This person is not on the case.")})
            filename = str(getattr(upload, "name", "") or "")
            sanitized = files.sanitize(upload, filename)
            data_key = DataKey.create("file")
            stored = keys.store_encrypted(io.BytesIO(sanitized.data), data_key, "document")
            document = Document(
                data_key=data_key,
                case=case,
                person=person,
                kind=kind,
                file=stored.record,
                content_type=sanitized.content_type,
                size=stored.size,
                filename=_clean_filename(filename, sanitized.extension),
                sha256=stored.sha256,
                description=description.strip() or None,
                custody=[_custody_entry(actor, "uploaded")],
                uploaded_by=actor,
            )
            document.save()
            action.record(CaseAudit.DOCUMENT_UPLOAD, document)
    except BaseException:
        if stored is not None:
            keys.remove_file(stored.record)
        raise
    return document


def open_document(actor: User, document: Document, purpose: str = DocumentPurpose.VIEWED) -> bytes:
    """The decrypted bytes, with a custody entry and an audit entry saying who read them and why.

    The caller has reached the document through access.get_document_for_user. The
    SHA-256 taken at upload is checked, so custody can state the bytes are unchanged.
    """
    if purpose not in DocumentPurpose.ALL:
        raise ValueError(f"unknown purpose {purpose!r}")
    with act(actor, "cases.view_case", document) as action:
        data = keys.open_encrypted(document.file)
        if hashlib.sha256(data).hexdigest() != document.sha256:
            raise ValidationError(_("This document does not match the fingerprint taken at upload."))
        # Locked so two people opening it at once both end up in the chain of custody.
        locked = lock(document)
        locked.custody = [*(locked.custody or []), _custody_entry(actor, purpose)]
        locked.save(update_fields=["custody"])
        action.record(name(f"document.{purpose}"), locked)
    document.custody = locked.custody
    return data
