"""Partners and referral bundles: register and verify a partner, prepare, approve and export a
referral, and preview and import a bundle another instance sent.

Every change is an action (corridor/audit/actions.py). The bundle is built in memory at export
and handed to the caller to stream out: nothing of it, and no key, is written on this server.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.audit.actions import act, lock
from corridor.cases.domain.cases import create_person_with_case
from corridor.cases.domain.consent import has_consent
from corridor.cases.domain.documents import upload_document
from corridor.cases.domain.duplicates import PossibleDuplicate, find_duplicates
from corridor.cases.domain.needs_tasks import add_need, add_note
from corridor.cases.models import (
    Case,
    CaseMember,
    ConsentScope,
    DatePrecision,
    Document,
    DocumentsHeld,
    MemberRole,
    NeedKind,
    NeedStatus,
    Person,
    Priority,
)
from corridor.core.errors import Conflict
from corridor.keys import api as keys
from corridor.transfer import partners as partner_keys
from corridor.transfer import referrals as bundle
from corridor.transfer import rules
from corridor.transfer.audit_names import ReferralAudit
from corridor.transfer.models import Partner, Referral, ReferralImport, ReferralStatus

# -- partners ------------------------------------------------------------------------------


def register_partner(actor: User, *, name: str, age_recipient: str, signing_key: str) -> Partner:
    with act(actor, rules.MANAGE_PARTNERS) as action:
        name = " ".join(name.split())
        if not name:
            raise ValidationError({"name": _("Give the organisation's name.")})
        recipient = partner_keys.parse_recipient(age_recipient)
        raw = partner_keys.parse_signing_key(signing_key)
        if Partner.objects.filter(name__iexact=name).exists():
            raise ValidationError({"name": _("A partner with this name is already registered.")})
        encoded = base64.b64encode(raw).decode("ascii")
        if Partner.objects.filter(signing_key=encoded).exists():
            raise ValidationError({"signing_key": _("Another partner is registered with this signing key.")})
        if raw == keys.own_signing_public_key():
            raise ValidationError({"signing_key": _("This is this instance's own signing key, not a partner's.")})
        partner = Partner.objects.create(name=name, age_recipient=recipient, signing_key=encoded, created_by=actor)
        action.record(ReferralAudit.PARTNER_REGISTER, partner)
    return partner


def verify_partner(actor: User, partner: Partner) -> Partner:
    """A second admin confirms they compared both fingerprints with the partner out of band."""
    with act(actor, rules.MANAGE_PARTNERS, partner) as action:
        locked = lock(partner)
        if locked.created_by_id == actor.pk:
            raise PermissionDenied(_("Another administrator must verify the keys of a partner you registered."))
        if locked.verified is not None:
            raise Conflict(_("These keys have already been verified."))
        locked.verified, locked.verified_by = timezone.now(), actor
        locked.save(update_fields=["verified", "verified_by"])
        action.record(ReferralAudit.PARTNER_VERIFY, locked)
    partner.verified, partner.verified_by = locked.verified, actor
    return locked


def deactivate_partner(actor: User, partner: Partner) -> Partner:
    with act(actor, rules.MANAGE_PARTNERS, partner) as action:
        partner = lock(partner)
        if not partner.active:
            action.unchanged()
            return partner
        partner.active = False
        partner.save(update_fields=["active"])
        Referral.objects.filter(partner=partner, status__in=[ReferralStatus.PREPARED, ReferralStatus.APPROVED]).update(
            status=ReferralStatus.CANCELLED
        )
        action.record(ReferralAudit.PARTNER_DEACTIVATE, partner)
    return partner


# -- referrals out -------------------------------------------------------------------------


def _principal(case: Case) -> Person:
    member = CaseMember.objects.filter(case=case, role=MemberRole.PRINCIPAL).select_related("person").first()
    if member is None or member.person.erased is not None:
        raise ValidationError(_("This case has no principal person to refer."))
    return member.person


def consent_covers(case: Case, person: Person, partner: Partner) -> bool:
    """The person consented to sharing with this partner (by name) and has not withdrawn it;
    inside an action the consent rows stay locked until it ends (cases' has_consent)."""
    return has_consent(case, person, ConsentScope.SHARE, partner.name)


def _check_usable(case: Case, partner: Partner, prepared_for: Person | None = None) -> Person:
    if not partner.active:
        raise ValidationError({"partner": _("This partner is no longer active.")})
    if partner.verified is None:
        raise ValidationError({"partner": _("This partner's keys have not been verified by an administrator yet.")})
    person = _principal(case)
    if prepared_for is not None and person.pk != prepared_for.pk:
        raise ValidationError(
            {"partner": _("The case's principal person has changed since this referral was prepared. Prepare it again.")}
        )
    if not consent_covers(case, person, partner):
        raise ValidationError(
            {
                "partner": _(
                    "The person has not consented to sharing with this partner (or has withdrawn it). Record their consent first."
                )
            }
        )
    return person


def prepare_referral(
    actor: User, case: Case, partner: Partner, fields: Iterable[str] = bundle.DEFAULT_FIELDS, documents: Sequence[Document] = ()
) -> Referral:
    """A referral waiting for a second person's approval. Only the field names and document ids
    are kept; the caller has reached `case` through cases/access.py."""
    with act(actor, rules.PREPARE_REFERRAL, case) as action:
        chosen = [f for f in bundle.FIELDS if f in set(fields)]
        unknown = set(fields) - set(bundle.FIELDS)
        if unknown or not chosen:
            raise ValidationError({"fields": _("Choose at least one of the listed fields.")})
        for document in documents:
            if document.case_id != case.pk:
                raise ValidationError({"documents": _("A chosen document is not on this case.")})
        person = _check_usable(case, partner)
        referral = Referral.objects.create(
            case=case,
            partner=partner,
            person=person,
            fields=chosen,
            documents=[str(d.pk) for d in documents],
            prepared_by=actor,
        )
        action.record(ReferralAudit.REFERRAL_PREPARE, referral)
    return referral


def approve_referral(actor: User, referral: Referral) -> Referral:
    """The second person's approval (the views ask for step-up authentication first)."""
    with act(actor, rules.APPROVE_REFERRAL, referral.case) as action:
        referral = lock(referral)
        if referral.prepared_by_id == actor.pk:
            raise PermissionDenied(_("Someone other than the person who prepared a referral must approve it."))
        if referral.status != ReferralStatus.PREPARED:
            raise Conflict(_("This referral is not waiting for approval."))
        _check_usable(referral.case, referral.partner, referral.person)
        referral.status, referral.approved, referral.approved_by = ReferralStatus.APPROVED, timezone.now(), actor
        referral.save(update_fields=["status", "approved", "approved_by"])
        action.record(ReferralAudit.REFERRAL_APPROVE, referral)
    return referral


def cancel_referral(actor: User, referral: Referral) -> Referral:
    with act(actor, rules.PREPARE_REFERRAL, referral.case) as action:
        referral = lock(referral)
        if referral.status not in (ReferralStatus.PREPARED, ReferralStatus.APPROVED):
            raise Conflict(_("Only a referral not yet exported can be cancelled."))
        referral.status = ReferralStatus.CANCELLED
        referral.save(update_fields=["status"])
        action.record(ReferralAudit.REFERRAL_CANCEL, referral)
    return referral


def _person_values(person: Person, fields: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in bundle.PERSON_FIELDS:
        if name not in fields:
            continue
        value = getattr(person, name)
        if isinstance(value, datetime.date):
            value = value.isoformat()
        values[name] = value
    if "birth_date" in fields:
        values["birth_precision"] = person.birth_precision
    return values


def _case_values(case: Case, fields: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "needs" in fields:
        values["needs"] = [{"kind": n.kind, "details": n.details or ""} for n in case.needs.exclude(status=NeedStatus.MET)]
    if "summary" in fields:
        values["summary"] = case.summary or ""
    if "priority" in fields:
        values["priority"] = case.priority
    return values


def _documents(actor: User, referral: Referral) -> list[dict[str, Any]]:
    """The chosen documents' bytes, each with a custody entry saying to whom it was sent."""
    out = []
    for document in Document.objects.filter(case=referral.case, pk__in=referral.documents).select_for_update():
        data = keys.open_encrypted(document.file)
        if hashlib.sha256(data).hexdigest() != document.sha256:
            raise Conflict(_("A chosen document has changed since it was uploaded; it cannot be sent."))
        entry = {"at": timezone.now().isoformat(), "by": actor.pk, "action": "referred", "note": referral.partner.name}
        document.custody = [*(document.custody or []), entry]
        document.save(update_fields=["custody"])
        out.append(
            {
                "kind": document.kind,
                "filename": document.filename,
                "content_type": document.content_type,
                "data": base64.b64encode(data).decode("ascii"),
            }
        )
    return out


def export_referral(actor: User, referral: Referral) -> tuple[str, bytes]:
    """Build, encrypt to the partner and sign the bundle; return (file name, file bytes).

    The bytes exist only in this process's memory: the caller streams them out and drops them.
    A referral is exported once; the SHA-256 of the file is kept so the partner can confirm it.
    """
    with act(actor, rules.PREPARE_REFERRAL, referral.case) as action:
        referral = lock(referral)
        if referral.status != ReferralStatus.APPROVED:
            raise Conflict(_("Only an approved referral that has not been exported yet can be exported."))
        case = referral.case
        partner = referral.partner
        person = _check_usable(case, partner, referral.person)
        contents = bundle.Contents(
            id=str(referral.pk),
            created=timezone.now(),
            sender=keys.key_fingerprint(keys.own_signing_public_key()),
            recipient=partner.age_recipient,
            codename=person.codename,
            fields=list(referral.fields),
            person=_person_values(person, list(referral.fields)),
            case=_case_values(case, list(referral.fields)),
            documents=_documents(actor, referral),
        )
        plain = contents.to_json()
        if len(plain) > bundle.MAX_PLAIN_BYTES:
            raise ValidationError({"documents": _("The bundle would be too large: choose fewer or smaller documents.")})
        ciphertext = keys.seal_referral(partner.age_recipient, plain)
        del plain
        digest = hashlib.sha256(ciphertext).digest()
        blob = bundle.pack(keys.sign_referral(digest), ciphertext)
        referral.status, referral.exported, referral.exported_by = ReferralStatus.EXPORTED, timezone.now(), actor
        referral.bundle_sha256 = hashlib.sha256(blob).hexdigest()
        referral.save(update_fields=["status", "exported", "exported_by", "bundle_sha256"])
        action.record(
            ReferralAudit.REFERRAL_EXPORT, referral, details={"sha256": referral.bundle_sha256, "fields": referral.fields}
        )
    return f"referral-{referral.pk}.corridor", blob


# -- referrals in --------------------------------------------------------------------------


@dataclass
class Opened:
    """A verified and decrypted bundle, with who sent it and the possible duplicates here."""

    sender: Partner
    contents: bundle.Contents
    sha256: str
    duplicates: list[PossibleDuplicate]
    already_imported: bool


def _sender_of(signature: bytes, digest: bytes) -> Partner:
    for partner in Partner.objects.filter(active=True, verified__isnull=False):
        if keys.referral_signature_valid(partner_keys.signing_key_of(partner), signature, digest):
            return partner
    raise bundle.BundleRefused("the bundle is not signed by a registered, verified partner, or it was altered")


def _open(blob: bytes) -> tuple[Partner, bundle.Contents, str]:
    signature, ciphertext, digest = bundle.unpack(blob)
    sender = _sender_of(signature, digest)
    try:
        plain = keys.open_referral(ciphertext)
    except keys.DecryptionError:
        raise bundle.BundleRefused("the bundle is not encrypted to this instance") from None
    contents = bundle.parse_contents(plain)
    if contents.sender != keys.key_fingerprint(partner_keys.signing_key_of(sender)):
        raise bundle.BundleRefused("the bundle was made by another organisation than the one that signed it")
    if contents.recipient != keys.referral_recipient():
        raise bundle.BundleRefused("the bundle was made for another organisation")
    return sender, contents, hashlib.sha256(blob).hexdigest()


def _names(contents: bundle.Contents) -> list[str]:
    return [n["name"] for n in _entries(contents.person.get("names"), ("name",)) if n["name"]]


def _birth_date(contents: bundle.Contents) -> datetime.date | None:
    raw = contents.person.get("birth_date")
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError:
        raise bundle.BundleRefused("the bundle's date of birth is malformed") from None


def _phones(contents: bundle.Contents) -> list[str]:
    contacts = _entries(contents.person.get("contacts"), ("kind", "value"))
    return [c["value"] for c in contacts if c["kind"] in ("phone", "signal") and c["value"]]


def _refused(actor: User, reason: str) -> None:
    with act(actor, rules.IMPORT_REFERRAL) as action:
        action.record(ReferralAudit.REFERRAL_REFUSED, details={"reason": reason})


def open_bundle(actor: User, blob: bytes) -> Opened:
    """Verify, decrypt and check a bundle for a preview; raises BundleRefused (audited) when it
    cannot be accepted. Writes nothing but the audit entries (and the duplicate check's)."""
    try:
        with act(actor, rules.IMPORT_REFERRAL) as action:
            sender, contents, sha256 = _open(blob)
            action.record(ReferralAudit.REFERRAL_PREVIEW, sender, details={"sha256": sha256})
    except bundle.BundleRefused as exc:
        _refused(actor, str(exc))
        raise
    birth = _birth_date(contents)
    duplicates = find_duplicates(
        actor, names=_names(contents), birth_year=birth.year if birth else None, phones=_phones(contents)
    )
    already = ReferralImport.objects.filter(sender=sender, remote_id=_uuid(contents.id)).exists()
    return Opened(sender, contents, sha256, duplicates, already)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise bundle.BundleRefused("the bundle's id is malformed") from None


def _entries(value: Any, keys_wanted: tuple[str, ...]) -> list[dict[str, str]]:
    """A list of small dicts of text from the bundle, whatever shape the sender gave it."""
    if not isinstance(value, list):
        return []
    return [{k: str(entry.get(k) or "")[:500] for k in keys_wanted} for entry in value[:50] if isinstance(entry, dict)]


def _needs(contents: bundle.Contents) -> list[tuple[str, str]]:
    """(kind, details) of the needs the bundle lists, whatever shape the sender gave them."""
    needs = contents.case.get("needs")
    if not isinstance(needs, list):
        return []
    return [
        (str(need["kind"]), str(need.get("details") or ""))
        for need in needs
        if isinstance(need, dict) and need.get("kind") in NeedKind.values
    ]


def _person_kwargs(contents: bundle.Contents) -> dict[str, Any]:
    person = contents.person
    names = [n for n in _entries(person.get("names"), ("name", "kind")) if n["name"]]
    values: dict[str, Any] = {"names": names or [{"name": contents.codename or "?", "kind": "used"}]}
    if "contacts" in person:
        values["contacts"] = [c for c in _entries(person["contacts"], ("kind", "value", "note")) if c["value"]]
    if isinstance(person.get("languages"), list):
        values["languages"] = [str(language)[:40] for language in person["languages"][:20]]
    for text in ("location", "gender_identity", "orientation"):
        if person.get(text):
            values[text] = str(person[text])[:2000]
    if person.get("documents_held") in DocumentsHeld.values:
        values["documents_held"] = str(person["documents_held"])
    birth = _birth_date(contents)
    if birth is not None:
        values["birth_date"] = birth
        if person.get("birth_precision") in DatePrecision.values:
            values["birth_precision"] = str(person["birth_precision"])
    return values


def import_bundle(actor: User, blob: bytes, team: Team) -> Case:
    """Create the person and their case from a bundle, with its provenance recorded.

    Checked again from the bytes (the preview's result is not trusted); a bundle is imported
    once per sender. Everything or nothing: one durable action.
    """
    try:
        sender, contents, sha256 = _open(blob)
    except bundle.BundleRefused as exc:
        _refused(actor, str(exc))
        raise
    remote_id = _uuid(contents.id)
    with act(actor, rules.IMPORT_REFERRAL) as action:
        if ReferralImport.objects.filter(sender=sender, remote_id=remote_id).exists():
            raise Conflict(_("This bundle has already been imported."))
        priority = str(contents.case.get("priority") or Priority.NORMAL)
        if priority not in Priority.values:
            priority = Priority.NORMAL
        _person, case = create_person_with_case(
            actor, team=team, priority=priority, summary=str(contents.case.get("summary") or ""), **_person_kwargs(contents)
        )
        for kind, details in _needs(contents):
            add_need(actor, case, kind, details)
        for document in contents.documents:
            try:
                data = base64.b64decode(str(document.get("data", "")), validate=True)
            except (binascii.Error, ValueError):
                raise bundle.BundleRefused("a document in the bundle is malformed") from None
            upload = SimpleUploadedFile(
                str(document.get("filename") or "document"), data, str(document.get("content_type") or "")
            )
            upload_document(actor, case, upload, str(document.get("kind") or "other"), person=_person)
        add_note(
            actor,
            case,
            _("Imported from a referral by %(partner)s (their referral %(id)s, made %(created)s).")
            % {"partner": sender.name, "id": contents.id, "created": contents.created.date().isoformat()},
        )
        try:
            with transaction.atomic():
                provenance = ReferralImport.objects.create(
                    sender=sender,
                    remote_id=remote_id,
                    case=case,
                    bundle_sha256=sha256,
                    created_at_sender=contents.created,
                    imported_by=actor,
                )
        except IntegrityError:
            raise Conflict(_("This bundle has already been imported.")) from None
        action.record(ReferralAudit.REFERRAL_IMPORT, provenance, details={"sha256": sha256, "fields": contents.fields})
    return case
