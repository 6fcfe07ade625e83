"""The referral bundle: what may go in it, and its file format.

A bundle file is

    MAGIC (b"corridor-referral/1\\n") | Ed25519 signature (64 bytes) | age ciphertext

The age ciphertext is encrypted to the partner's age recipient; the signature, by the sending
instance's key service, covers the SHA-256 of the ciphertext in the referral context (never an
audit checkpoint: corridor/keys/service.py referral_message). The receiver checks the
signature against its registered partners' keys *before* decrypting anything.

Encrypt-then-sign alone would let a partner who received a bundle sign it again as their own:
the plaintext therefore names its sender's key fingerprint and its recipient, and the
receiver checks both (a bundle re-signed by someone else, or meant for another instance, is
refused even if its signature is good).

What goes in: by default the minimum a partner needs to take the person on — their codename
(to talk about them with us without a name), their names (to recognise them and find
duplicates), how to reach them (the contact channels) and their needs. Everything else —
date of birth, languages, where they are, the case summary, gender identity, orientation,
documents — is added only when a caseworker ticks it, because each is something the partner
can lose and the person can be harmed by.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

MAGIC = b"corridor-referral/1\n"
FORMAT = "corridor-referral/1"
SIGNATURE_BYTES = 64
# Documents included travel inside the bundle; keyd answers frames of 16 MiB (base64 inside).
MAX_BUNDLE_BYTES = 10 * 1024 * 1024
MAX_PLAIN_BYTES = MAX_BUNDLE_BYTES - 64 * 1024

FIELDS: dict[str, Any] = {
    "names": _("names"),
    "contacts": _("contact channels"),
    "needs": _("needs"),
    "birth_date": _("date of birth"),
    "languages": _("languages"),
    "location": _("current location"),
    "summary": _("case summary"),
    "priority": _("priority"),
    "gender_identity": _("gender identity"),
    "orientation": _("sexual orientation"),
    "documents_held": _("documents held"),
}
DEFAULT_FIELDS = ("names", "contacts", "needs")
PERSON_FIELDS = ("names", "contacts", "birth_date", "languages", "location", "gender_identity", "orientation", "documents_held")
CASE_FIELDS = ("needs", "summary", "priority")


class BundleRefused(ValueError):
    """The file is not a bundle this instance can accept; the message says why (no content)."""


@dataclass
class Contents:
    """What a bundle holds once opened: only the chosen fields are present."""

    id: str
    created: datetime.datetime
    sender: str
    recipient: str
    codename: str
    fields: list[str]
    person: dict[str, Any]
    case: dict[str, Any]
    documents: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "format": FORMAT,
                "id": self.id,
                "created": self.created.isoformat(),
                "sender": self.sender,
                "recipient": self.recipient,
                "codename": self.codename,
                "fields": self.fields,
                "person": self.person,
                "case": self.case,
                "documents": self.documents,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")


def _expect(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise BundleRefused(f"the bundle's {what} is malformed")
    return value


def parse_contents(plain: bytes) -> Contents:
    """The opened bundle's contents, checked for shape; BundleRefused when malformed."""
    try:
        value = json.loads(plain.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BundleRefused("the bundle's contents are not readable") from None
    _expect(value, dict, "contents")
    if value.get("format") != FORMAT:
        raise BundleRefused("the bundle is of an unknown format")
    fields = [str(f) for f in _expect(value.get("fields"), list, "field list") if str(f) in FIELDS]
    person = _expect(value.get("person"), dict, "person")
    case = _expect(value.get("case"), dict, "case")
    documents = _expect(value.get("documents", []), list, "documents")
    try:
        created = datetime.datetime.fromisoformat(str(value.get("created")))
    except ValueError:
        raise BundleRefused("the bundle's date is malformed") from None
    # Only what the sender chose is taken, whatever else the file carries (the date of birth's
    # precision goes with the date).
    kept = {*fields, "birth_precision"} if "birth_date" in fields else set(fields)
    person = {k: v for k, v in person.items() if k in kept}
    case = {k: v for k, v in case.items() if k in fields}
    return Contents(
        id=str(_expect(value.get("id"), str, "id")),
        created=created,
        sender=str(_expect(value.get("sender"), str, "sender")),
        recipient=str(_expect(value.get("recipient"), str, "recipient")),
        codename=str(_expect(value.get("codename"), str, "codename"))[:40],
        fields=fields,
        person=person,
        case=case,
        documents=[_expect(d, dict, "document") for d in documents],
    )


def pack(signature: bytes, ciphertext: bytes) -> bytes:
    if len(signature) != SIGNATURE_BYTES:
        raise ValueError("an Ed25519 signature is 64 bytes")
    return MAGIC + signature + ciphertext


def unpack(blob: bytes) -> tuple[bytes, bytes, bytes]:
    """(signature, ciphertext, SHA-256 of the ciphertext); BundleRefused when not a bundle."""
    if len(blob) > MAX_BUNDLE_BYTES:
        raise BundleRefused("the file is larger than a referral bundle may be")
    if not blob.startswith(MAGIC) or len(blob) <= len(MAGIC) + SIGNATURE_BYTES:
        raise BundleRefused("the file is not a Corridor referral bundle")
    signature = blob[len(MAGIC) : len(MAGIC) + SIGNATURE_BYTES]
    ciphertext = blob[len(MAGIC) + SIGNATURE_BYTES :]
    return signature, ciphertext, hashlib.sha256(ciphertext).digest()
