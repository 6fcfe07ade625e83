"""Referral bundles between instances, in one test run: two (three) data directories, each with
its own key service, one database (each instance reads only what its own keys open).

A prepares a referral to B with the default fields, a second caseworker approves, A exports;
B verifies the signature against A as registered, decrypts with its own key, previews (the
fields not chosen are absent), imports with provenance. A tampered bundle, a bundle for
another partner, a bundle signed by an unregistered key and one re-signed by another partner
are refused; nothing of the bundle or its contents stays on A's disk or in the database.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from corridor.accounts.domain import create_team
from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff
from corridor.accounts.testing import unseal as unseal_main
from corridor.audit import log as audit_log
from corridor.audit.models import AuditEntry
from corridor.cases import domain as cases
from corridor.cases.models import Case, Document, Note, Person
from corridor.core.errors import Conflict
from corridor.keys import api as keys
from corridor.keys import instance as key_instance
from corridor.keys import service
from corridor.keys.api import DataKey
from corridor.transfer import partners as partner_keys
from corridor.transfer import referrals as bundle
from corridor.transfer.domain import referrals
from corridor.transfer.models import Partner, ReferralImport, ReferralStatus
from tests import seizure

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

pytestmark = pytest.mark.django_db

NAME = "Руслан Тестоев"
PHONE = "+7 928 555 01 23"
LOCATION = "Safe flat on Lenina street 17"
SUMMARY = "Detained twice in Argun, beaten"
ORIENTATION = "gay, not out to family"


@dataclass
class Other:
    """Another instance: its data directory and trustee shares (and, since the instances share
    one test database, its own data key for audit details without a subject of their own)."""

    data_dir: Path
    shares: list[str]
    audit_key: DataKey | None = None


@pytest.fixture
def main_dir(settings: SettingsWrapper) -> Iterator[Path]:
    path = Path(settings.DATA_DIR)
    yield path
    settings.DATA_DIR = path
    unseal_main()


def _instance(tmp_path: Path, name: str) -> Other:
    data_dir = tmp_path / name
    return Other(data_dir, service.initialize(data_dir, 5, 3))


@contextmanager
def on(settings: SettingsWrapper, other: Other) -> Iterator[None]:
    """Run the body as `other`: its data directory, its key service (unsealed with its shares)."""
    main = settings.DATA_DIR
    settings.DATA_DIR = other.data_dir
    try:
        ring = key_instance.keyring()
        if ring.status().sealed:
            for share in other.shares[:3]:
                ring.submit_share(share)

        def period_key() -> DataKey:
            if other.audit_key is None:
                other.audit_key = DataKey.create(f"audit-{other.data_dir.name}")
            return other.audit_key

        with mock.patch.object(audit_log, "_period_data_key", period_key):
            yield
    finally:
        settings.DATA_DIR = main
        unseal_main()


@dataclass
class Sender:
    team: Team
    preparer: User
    approver: User
    admin: User
    admin2: User
    case: Case
    person: Person
    document: Document


def _sender(partner_names: list[str]) -> Sender:
    team = create_team(None, "Sender team")
    preparer = make_staff(Role.CASEWORKER, teams=[team], username="a-worker")
    approver = make_staff(Role.CASEWORKER, teams=[team], username="a-approver")
    admin = make_staff(Role.ADMIN, username="a-admin")
    admin2 = make_staff(Role.ADMIN, username="a-admin2")
    person, case = cases.create_person_with_case(
        preparer,
        team=team,
        summary=SUMMARY,
        names=[{"name": NAME, "kind": "legal"}],
        contacts=[{"kind": "phone", "value": PHONE, "note": ""}],
        location=LOCATION,
        orientation=ORIENTATION,
        birth_date=datetime.date(1994, 3, 2),
    )
    cases.add_need(preparer, case, "medical", "insulin")
    for name in partner_names:
        cases.record_consent(preparer, case, person, "share", datetime.date.today(), partner=name)
    png = seizure.gps_photo("nobody", 10, 20)
    document = cases.upload_document(preparer, case, SimpleUploadedFile("scan.jpg", png, "image/jpeg"), "passport", person=person)
    return Sender(team, preparer, approver, admin, admin2, case, person, document)


def _register(admin: User, admin2: User, name: str, their_keys: dict[str, str]) -> Partner:
    partner = referrals.register_partner(
        admin, name=name, age_recipient=their_keys["age_recipient"], signing_key=their_keys["signing_key"]
    )
    return referrals.verify_partner(admin2, partner)


def _export(sender: Sender, partner: Partner, **kwargs: Any) -> bytes:
    referral = referrals.prepare_referral(sender.preparer, sender.case, partner, **kwargs)
    referrals.approve_referral(sender.approver, referral)
    _name, blob = referrals.export_referral(sender.preparer, referral)
    return blob


def _forged_for(recipient: str) -> bytes:
    """A well-formed bundle to `recipient`, made and signed by the current instance."""
    contents = bundle.Contents(
        id="00000000-0000-0000-0000-000000000001",
        created=datetime.datetime.now(datetime.UTC),
        sender=keys.key_fingerprint(keys.own_signing_public_key()),
        recipient=recipient,
        codename="x",
        fields=["names"],
        person={"names": [{"name": "Mallory", "kind": "used"}]},
        case={},
    )
    ciphertext = keys.seal_referral(recipient, contents.to_json())
    return bundle.pack(keys.sign_referral(hashlib.sha256(ciphertext).digest()), ciphertext)


@pytest.mark.django_db(transaction=True)  # the seizure scan reads the committed database file
def test_round_trip_between_two_instances(settings: SettingsWrapper, tmp_path: Path, main_dir: Path) -> None:
    b = _instance(tmp_path, "b")
    c = _instance(tmp_path, "c")
    with on(settings, b):
        b_keys = partner_keys.own_keys()
    with on(settings, c):
        c_keys = partner_keys.own_keys()
    a_keys = partner_keys.own_keys()
    assert len({a_keys["age_recipient"], b_keys["age_recipient"], c_keys["age_recipient"]}) == 3

    # C signs a bundle to B with its own key; C is nobody's partner yet: refused before decrypting.
    with on(settings, c):
        forged = _forged_for(b_keys["age_recipient"])
    with on(settings, b):
        team_b = create_team(None, "Receiving team")
        worker_b = make_staff(Role.CASEWORKER, teams=[team_b], username="b-worker")
        admin_b = make_staff(Role.ADMIN, username="b-admin")
        admin_b2 = make_staff(Role.ADMIN, username="b-admin2")
        with pytest.raises(bundle.BundleRefused, match="not signed by a registered"):
            referrals.open_bundle(worker_b, forged)

    sender = _sender(["Partner B", "Partner C"])
    partner_b = _register(sender.admin, sender.admin2, "Partner B", b_keys)
    partner_c = _register(sender.admin, sender.admin2, "Partner C", c_keys)

    referral = referrals.prepare_referral(sender.preparer, sender.case, partner_b)
    assert referral.fields == list(bundle.DEFAULT_FIELDS)
    with pytest.raises(PermissionDenied):
        referrals.approve_referral(sender.preparer, referral)  # not by the one who prepared it
    with pytest.raises(Conflict):
        referrals.export_referral(sender.preparer, referral)  # not before approval
    referrals.approve_referral(sender.approver, referral)
    filename, blob = referrals.export_referral(sender.preparer, referral)
    assert filename.endswith(".corridor")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.EXPORTED
    assert referral.bundle_sha256 == hashlib.sha256(blob).hexdigest()
    with pytest.raises(Conflict):
        referrals.export_referral(sender.preparer, referral)  # once
    assert AuditEntry.objects.filter(action="referral.export").count() == 1
    for_c = _export(sender, partner_c, fields=["names", "summary"])

    # Nothing of the bundle nor of what it carried is at rest on A (files, database, sessions).
    signature, ciphertext, _digest = bundle.unpack(blob)
    at_rest = seizure.sources_at_rest()
    planted: dict[str, str | bytes] = {"name": NAME, "phone": PHONE, "summary": SUMMARY}
    planted |= {"bundle ciphertext": ciphertext[200:232], "signature": signature}
    findings = seizure.scan_sources(planted, at_rest)
    assert findings == []

    # B: register A, preview, import.
    with on(settings, b):
        # Before A is registered on B, its bundle is refused.
        with pytest.raises(bundle.BundleRefused, match="not signed by a registered"):
            referrals.open_bundle(worker_b, blob)
        partner_a = _register(admin_b, admin_b2, "Partner A", a_keys)
        # Re-registering B's own key as a partner is refused.
        with pytest.raises(ValidationError):
            referrals.register_partner(
                admin_b, name="Self", age_recipient=b_keys["age_recipient"], signing_key=b_keys["signing_key"]
            )

        opened = referrals.open_bundle(worker_b, blob)
        assert opened.sender == partner_a
        assert opened.contents.fields == ["names", "contacts", "needs"]
        assert opened.contents.person == {
            "names": [{"name": NAME, "kind": "legal"}],
            "contacts": [{"kind": "phone", "value": PHONE, "note": ""}],
        }
        assert opened.contents.case == {"needs": [{"kind": "medical", "details": "insulin"}]}
        assert opened.contents.documents == []
        plain = opened.contents.to_json().decode()
        for absent in (LOCATION, SUMMARY, ORIENTATION, "1994"):
            assert absent not in plain

        case = referrals.import_bundle(worker_b, blob, team_b)
        person = case.members.get().person
        assert person.names == [{"name": NAME, "kind": "legal"}]
        assert person.location is None and person.orientation is None and case.summary is None
        assert [n.details for n in case.needs.all()] == ["insulin"]
        provenance = ReferralImport.objects.get(case=case)
        assert provenance.sender == partner_a and str(provenance.remote_id) == str(referral.pk)
        assert Note.objects.filter(case=case).count() == 1
        with pytest.raises(Conflict):
            referrals.import_bundle(worker_b, blob, team_b)  # once

        # Tampered: one bit of the ciphertext, or of the signature.
        for at in (len(blob) - 10, len(bundle.MAGIC) + 5):
            tampered = bytearray(blob)
            tampered[at] ^= 1
            with pytest.raises(bundle.BundleRefused, match="not signed"):
                referrals.open_bundle(worker_b, bytes(tampered))
        with pytest.raises(bundle.BundleRefused, match="not a Corridor referral bundle"):
            referrals.open_bundle(worker_b, b"PK\x03\x04 not a bundle")
        # For another partner (C): signed by A, so the signature holds, but B cannot open it.
        with pytest.raises(bundle.BundleRefused, match="not encrypted to this instance"):
            referrals.open_bundle(worker_b, for_c)
        assert AuditEntry.objects.filter(action="referral.refused").count() >= 4

    # C re-signs A's bundle for B as its own. (One database holds every instance's partners here,
    # so B finds C's key among them, as if B had registered C: the signature holds, the claim not.)
    with on(settings, c):
        resigned = bundle.pack(keys.sign_referral(hashlib.sha256(ciphertext).digest()), ciphertext)
    with on(settings, b):
        with pytest.raises(bundle.BundleRefused, match="another organisation than the one that signed"):
            referrals.open_bundle(worker_b, resigned)


def test_consent_and_verification_are_required(settings: SettingsWrapper, tmp_path: Path, main_dir: Path) -> None:
    b = _instance(tmp_path, "b")
    with on(settings, b):
        b_keys = partner_keys.own_keys()
    sender = _sender([])
    partner = referrals.register_partner(
        sender.admin, name="Partner B", age_recipient=b_keys["age_recipient"], signing_key=b_keys["signing_key"]
    )
    with pytest.raises(PermissionDenied):
        referrals.verify_partner(sender.admin, partner)  # a second admin verifies
    with pytest.raises(ValidationError, match="not been verified"):
        referrals.prepare_referral(sender.preparer, sender.case, partner)
    referrals.verify_partner(sender.admin2, partner)
    with pytest.raises(ValidationError, match="not consented"):
        referrals.prepare_referral(sender.preparer, sender.case, partner)
    consent = cases.record_consent(
        sender.preparer, sender.case, sender.person, "share", datetime.date.today(), partner="partner b "
    )
    referral = referrals.prepare_referral(
        sender.preparer, sender.case, partner, fields=["names", "location"], documents=[sender.document]
    )
    referrals.approve_referral(sender.approver, referral)
    cases.withdraw_consent(sender.preparer, consent)
    with pytest.raises(ValidationError, match="not consented"):
        referrals.export_referral(sender.preparer, referral)
    assert ReferralStatus(type(referral).objects.get(pk=referral.pk).status) == ReferralStatus.APPROVED


def test_documents_travel_when_chosen(settings: SettingsWrapper, tmp_path: Path, main_dir: Path) -> None:
    b = _instance(tmp_path, "b")
    with on(settings, b):
        b_keys = partner_keys.own_keys()
    a_keys = partner_keys.own_keys()
    sender = _sender(["Partner B"])
    partner = _register(sender.admin, sender.admin2, "Partner B", b_keys)
    blob = _export(sender, partner, fields=["names", "location"], documents=[sender.document])
    sender.document.refresh_from_db()
    assert sender.document.custody[-1]["action"] == "referred" and sender.document.custody[-1]["note"] == "Partner B"
    original = keys.open_encrypted(sender.document.file)
    with on(settings, b):
        team_b = create_team(None, "Receiving team")
        worker_b = make_staff(Role.CASEWORKER, teams=[team_b], username="b-worker")
        _register(make_staff(Role.ADMIN, username="b1"), make_staff(Role.ADMIN, username="b2"), "Partner A", a_keys)
        case = referrals.import_bundle(worker_b, blob, team_b)
        person = case.members.get().person
        assert person.location == LOCATION
        document = case.documents.get()
        assert keys.open_encrypted(document.file) == original
        assert document.person == person


def test_referral_signatures_never_verify_as_checkpoints(tmp_path: Path) -> None:
    """keyd's two signatures are in separate contexts: neither verifies as the other."""
    from corridor.keys import crypto, treehead

    data_dir = tmp_path / "k"
    shares = service.initialize(data_dir, 5, 3)
    ring = service.KeyService(data_dir, min_retired_days=0)
    for share in shares[:3]:
        ring.submit_share(share)
    public = ring.signing_public_key()
    leaf = hashlib.sha256(b"\x00leaf").digest()
    head = ring.sign_tree_head(0, treehead.EMPTY_ROOT, 1, leaf, [], [leaf])
    digest = hashlib.sha256(head.message()).digest()
    signature = ring.sign_referral(digest)
    assert keys.referral_signature_valid(public, signature, digest)
    assert not crypto.verify(public, signature, head.message())
    assert not keys.referral_signature_valid(public, head.signature, hashlib.sha256(head.message()).digest())
    assert crypto.verify(public, head.signature, head.message())
    assert not service.referral_message(digest).startswith(treehead.CHECKPOINT_VERSION.encode())
    with pytest.raises(ValueError):
        ring.sign_referral(b"short")
    # The referral identity is the same at every unseal (derived, never stored) and not the intake's.
    recipient = ring.referral_recipient()
    ring.seal()
    for share in shares[:3]:
        ring.submit_share(share)
    assert ring.referral_recipient() == recipient != ring.intake_recipient()
    assert recipient.encode() not in b"".join(p.read_bytes() for p in data_dir.rglob("*") if p.is_file())


def test_a_5_mb_bundle_is_previewed_and_imported_through_the_pages(
    settings: SettingsWrapper, tmp_path: Path, main_dir: Path
) -> None:
    """Issue 13: a bundle over the form's 2 MB body limit used to fail at confirmation, carried
    back as base64; now the preview keeps it sealed server-side and the form carries its id."""
    import base64
    import os

    from django.test import Client

    from corridor.accounts.testing import sign_in
    from corridor.transfer.domain import staging
    from corridor.transfer.models import StagedBundle

    b = _instance(tmp_path, "b")
    with on(settings, b):
        b_keys = partner_keys.own_keys()
    a_keys = partner_keys.own_keys()
    sender = _sender(["Partner B"])
    scan = base64.b64encode(os.urandom(3 * 2**20))  # a 4 MB text scan that nothing compresses away
    big = cases.upload_document(
        sender.preparer, sender.case, SimpleUploadedFile("scan.txt", scan, "text/plain"), "other", person=sender.person
    )
    partner = _register(sender.admin, sender.admin2, "Partner B", b_keys)
    blob = _export(sender, partner, fields=["names"], documents=[big])
    assert len(blob) >= 5 * 2**20
    with on(settings, b):
        team_b = create_team(None, "Receiving team")
        worker_b = make_staff(Role.CASEWORKER, teams=[team_b], username="b-worker")
        _register(make_staff(Role.ADMIN, username="b1"), make_staff(Role.ADMIN, username="b2"), "Partner A", a_keys)
        client = sign_in(Client(), worker_b)
        preview = client.post(
            "/transfer/referrals/import/", {"bundle": SimpleUploadedFile("r.corridor", blob), "team": team_b.pk}
        )
        assert preview.status_code == 200, preview.content[:500]
        staged = StagedBundle.objects.get()
        assert str(staged.pk) in preview.content.decode() and len(preview.content) < 100_000
        assert blob[100:132] not in bytes(StagedBundle.objects.values_list("blob", flat=True).get())  # sealed again
        # Someone else cannot confirm it, nor can a made-up id.
        other = sign_in(Client(), make_staff(Role.CASEWORKER, teams=[team_b], username="b-other"))
        refused = other.post("/transfer/referrals/import/", {"staged": str(staged.pk), "team": team_b.pk, "confirm": "1"})
        assert refused.status_code == 400 and not ReferralImport.objects.exists()
        confirmed = client.post("/transfer/referrals/import/", {"staged": str(staged.pk), "team": team_b.pk, "confirm": "1"})
        assert confirmed.status_code == 302, confirmed.content[:500]
        imported = ReferralImport.objects.get()
        assert imported.case is not None
        assert keys.open_encrypted(imported.case.documents.get().file) == scan
        # Imported: the staged copy is gone, its key shredded.
        assert not StagedBundle.objects.exists()
        assert DataKey.objects.get(pk=staged.data_key_id).shredded is not None
        assert staging.staged_bundle(worker_b, staged.pk) is None


def test_a_bundle_over_the_limit_is_a_clear_error(settings: SettingsWrapper, tmp_path: Path, main_dir: Path) -> None:
    from django.test import Client

    from corridor.accounts.testing import sign_in

    team = create_team(None, "Receiving team")
    client = sign_in(Client(), make_staff(Role.CASEWORKER, teams=[team], username="b-worker"))
    big = SimpleUploadedFile("r.corridor", b"x" * (bundle.MAX_BUNDLE_BYTES + 1))
    response = client.post("/transfer/referrals/import/", {"bundle": big, "team": team.pk})
    assert response.status_code == 400
    assert "larger than a referral bundle may be (10 MB)" in response.content.decode()
