"""The referral API's approval and import: the permission matrix (roles, the other team); the
one who prepared a referral cannot approve it; a bare token or a stale session cannot approve
(403 step_up_required); a bundle is uploaded, previewed and staged, then its staged id is
confirmed by its uploader only (another user's id is 404); a tampered, foreign or unsigned
bundle is a clear 400 and nothing is written; OPTIONS answers without a 500.

A bundle for this instance is made here as a partner's instance makes it (partner_bundle): a
partner signing key registered and verified here signs it, and it is encrypted to this
instance's age recipient (an instance cannot register itself as its own partner).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import time
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from corridor.accounts import sessions
from corridor.accounts.models import ApiToken, Role, User
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.cases import domain as cases
from corridor.cases.models import Case
from corridor.keys import api as keys
from corridor.keys import crypto
from corridor.keys.service import referral_message
from corridor.transfer import referrals as bundle
from corridor.transfer.domain import referrals, staging
from corridor.transfer.models import Referral, ReferralImport, ReferralStatus, StagedBundle

pytestmark = pytest.mark.django_db

API = "/api/v1/transfer/"
WORKER = {Role.CASEWORKER}


def _register(world: World, name: str, keys: dict[str, str]) -> Any:
    partner = referrals.register_partner(world.users[Role.ADMIN], name=name, **keys)
    return referrals.verify_partner(world.extra["admin2"], partner)


def partner_keys_pair() -> tuple[bytes, dict[str, str]]:
    """A partner's private signing key, and its public keys as an admin registers them."""
    private = crypto.generate_signing_key()
    _identity, recipient = crypto.generate_age_identity()
    public = base64.b64encode(crypto.public_key(private)).decode("ascii")
    return private, {"age_recipient": recipient, "signing_key": public}


def partner_bundle(private: bytes, name: str, *, recipient: str | None = None) -> bytes:
    """A bundle as the partner holding `private` exports it: names and a need of one person,
    encrypted to `recipient` (this instance by default) and signed with the partner's key."""
    contents = bundle.Contents(
        id=str(uuid.uuid4()),
        created=datetime.datetime.now(datetime.UTC),
        sender=keys.key_fingerprint(crypto.public_key(private)),
        recipient=recipient or keys.referral_recipient(),
        codename="Partner codename",
        fields=["names", "needs"],
        person={"names": [{"name": name, "kind": "legal"}]},
        case={"needs": [{"kind": "legal", "details": "asylum interview"}]},
    )
    ciphertext = keys.seal_referral(recipient or keys.referral_recipient(), contents.to_json())
    digest = hashlib.sha256(ciphertext).digest()
    return bundle.pack(crypto.sign(private, referral_message(digest)), ciphertext)


def _stranger() -> dict[str, str]:
    return partner_keys_pair()[1]


@pytest.fixture
def world() -> World:
    world = make_world()
    world.extra["admin2"] = make_staff(Role.ADMIN, username="second-admin")
    world.extra["preparer"] = make_staff(Role.CASEWORKER, teams=[world.team_a], username="preparer")
    world.extra["approver"] = make_staff(Role.CASEWORKER, teams=[world.team_a], username="approver")
    private, public = partner_keys_pair()
    world.extra["partner"] = _register(world, "Partner Org", public)
    for key, team, actor in (("a", world.team_a, world.extra["preparer"]), ("b", world.team_b, world.outsider)):
        person, case = cases.create_person_with_case(actor, team=team, names=[{"name": f"Person {key}", "kind": "legal"}])
        cases.record_consent(actor, case, person, "share", datetime.date.today(), partner="Partner Org")
        world.extra[f"referral_{key}"] = referrals.prepare_referral(actor, case, world.extra["partner"])
    world.extra["private"] = private
    world.extra["blob"] = partner_bundle(private, "Matrix Person")
    return world


def _reset_approval(world: World) -> None:
    Referral.objects.filter(pk=world.extra["referral_a"].pk).update(status=ReferralStatus.PREPARED, approved_by=None)


def _approve_url(key: str) -> Any:
    return lambda w: f"{API}referrals/{w.extra[f'referral_{key}'].pk}/approve/"


def _staged_url(world: World, user: User) -> str:
    return f"{API}referral-imports/{staging.stage_bundle(user, world.extra['blob']).pk}/confirm/"


ROUTES = [
    Route(
        "api-transfer-referral-approve",
        _approve_url("a"),
        WORKER,
        api=True,
        method="post",
        other_team_url=_approve_url("b"),
        after=_reset_approval,
    ),
    # The matrix sends JSON: a role allowed to import gets past the permission to the parser,
    # which takes only a multipart upload (415); every other role is refused before.
    Route("api-transfer-referral-import", lambda w: f"{API}referral-imports/", WORKER, api=True, method="post", ok_status=(415,)),
    Route(
        "api-transfer-referral-import-confirm",
        lambda w: f"{API}referral-imports/00000000-0000-0000-0000-000000000000/confirm/",
        WORKER,
        api=True,
        method="post",
        data=lambda w: {"team": w.team_a.pk},
        ok_status=(201,),
        own_url=_staged_url,
    ),
]


def test_matrix(world: World) -> None:
    assert check_matrix(world, ROUTES) > 0
    # The one allowed confirmation imported the matrix's bundle once.
    assert ReferralImport.objects.count() == 1


def _token(user: User) -> Client:
    _record, value = ApiToken.issue(user)
    return Client(headers={"authorization": f"Bearer {value}"})


def test_the_preparer_cannot_approve_a_second_person_can(world: World) -> None:
    referral = world.extra["referral_a"]
    own = sign_in(Client(), world.extra["preparer"]).post(f"{API}referrals/{referral.pk}/approve/")
    assert own.status_code == 403
    assert "Someone other than the person who prepared" in own.json()["error"]["message"]
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.PREPARED
    second = sign_in(Client(), world.extra["approver"]).post(f"{API}referrals/{referral.pk}/approve/")
    assert second.status_code == 200, second.content
    assert second.json()["status"] == ReferralStatus.APPROVED
    again = sign_in(Client(), world.users[Role.CASEWORKER]).post(f"{API}referrals/{referral.pk}/approve/")
    assert again.status_code == 409  # the domain's rule: only a prepared referral is approved


def test_approval_needs_a_recent_step_up_not_a_token(world: World) -> None:
    referral, approver = world.extra["referral_a"], world.extra["approver"]
    refused = _token(approver).post(f"{API}referrals/{referral.pk}/approve/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "step_up_required")
    stale = sign_in(Client(), approver)
    session = stale.session
    session[sessions.AUTH_AT] = time.time() - 3600
    session.save()
    answer = stale.post(f"{API}referrals/{referral.pk}/approve/")
    assert (answer.status_code, answer.json()["error"]["code"]) == (403, "step_up_required")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.PREPARED
    # A token may still read the referral: only the approval needs the step-up.
    assert _token(approver).get(f"{API}referrals/{referral.pk}/").status_code == 200


def _upload(client: Client, data: bytes, name: str = "referral.corridor") -> Any:
    return client.post(f"{API}referral-imports/", {"bundle": SimpleUploadedFile(name, data)})


def test_upload_preview_confirm_creates_the_case_once(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    client = sign_in(Client(), worker)
    cases_before = Case.objects.count()
    preview = _upload(client, world.extra["blob"])
    assert preview.status_code == 201, preview.content
    body = preview.json()
    assert body["sender_name"] == "Partner Org" and body["include"] == ["names", "needs"]
    assert body["names"] == ["Matrix Person"] and body["needs"] == ["legal"] and body["documents"] == 0
    assert body["already_imported"] is False and body["staged"]
    assert Case.objects.count() == cases_before  # a preview creates nothing

    # Someone else cannot confirm the staged id: it is not theirs to know about.
    other = sign_in(Client(), world.extra["approver"])
    stolen = other.post(
        f"{API}referral-imports/{body['staged']}/confirm/", {"team": world.team_a.pk}, content_type="application/json"
    )
    assert stolen.status_code == 404
    assert Case.objects.count() == cases_before

    url = f"{API}referral-imports/{body['staged']}/confirm/"
    not_mine = client.post(url, {"team": world.team_b.pk}, content_type="application/json")
    assert not_mine.status_code == 400 and "team" in not_mine.json()["error"]["fields"]
    done = client.post(url, {"team": world.team_a.pk}, content_type="application/json")
    assert done.status_code == 201, done.content
    case = Case.objects.get(pk=done.json()["case"])
    assert case.team == world.team_a and case.reference == done.json()["reference"]
    assert ReferralImport.objects.get(case=case).sender == world.extra["partner"]
    assert not StagedBundle.objects.filter(pk=body["staged"]).exists()  # shredded once imported
    assert client.post(url, {"team": world.team_a.pk}, content_type="application/json").status_code == 404

    # The same bundle again: previewed as imported already, and nothing staged to confirm.
    again = _upload(client, world.extra["blob"])
    assert again.status_code == 201 and again.json()["already_imported"] is True and again.json()["staged"] is None


def _refused_with(client: Client, data: bytes) -> str:
    staged, imports = StagedBundle.objects.count(), ReferralImport.objects.count()
    answer = _upload(client, data)
    assert answer.status_code == 400, answer.content
    assert (StagedBundle.objects.count(), ReferralImport.objects.count()) == (staged, imports)
    error = answer.json()["error"]
    assert error["code"] == "invalid"
    return " ".join(error["fields"]["bundle"])


def test_bad_bundles_are_clear_400s_and_nothing_is_written(world: World) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    blob = world.extra["blob"]
    assert "not a referral bundle" in _refused_with(client, b"not a bundle at all")
    # One byte of the encrypted part changed: the signature no longer matches.
    tampered = bytearray(blob)
    tampered[-10] ^= 0x01
    assert "not signed by a registered and verified partner" in _refused_with(client, bytes(tampered))
    # A partner no longer registered (deactivated): its signature is of an unknown sender.
    referrals.deactivate_partner(world.users[Role.ADMIN], world.extra["partner"])
    assert "not signed by a registered and verified partner" in _refused_with(client, blob)


def test_a_bundle_for_another_organisation_is_refused(world: World) -> None:
    """Signed by a registered partner, but encrypted to someone else: not ours to open."""
    foreign = partner_bundle(world.extra["private"], "Elsewhere", recipient=_stranger()["age_recipient"])
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    assert "made for another organisation" in _refused_with(client, foreign)
    # And one from a key nobody registered here.
    unknown = partner_bundle(crypto.generate_signing_key(), "Unknown")
    assert "not signed by a registered and verified partner" in _refused_with(client, unknown)


def test_an_upload_over_the_limit_or_missing_is_a_400(world: World, settings: Any) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    missing = client.post(f"{API}referral-imports/", {})
    assert missing.status_code == 400 and "bundle" in missing.json()["error"]["fields"]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 2**20
    big = _upload(client, bundle.MAGIC + b"\0" * (bundle.MAX_BUNDLE_BYTES + 1))
    assert big.status_code == 400 and "larger than a referral bundle" in big.json()["error"]["fields"]["bundle"][0]
    assert StagedBundle.objects.count() == 0


def test_options_answers_without_a_500(world: World) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    for url in (
        f"{API}referrals/{world.extra['referral_a'].pk}/approve/",
        f"{API}referral-imports/",
        f"{API}referral-imports/00000000-0000-0000-0000-000000000000/confirm/",
    ):
        assert client.options(url).status_code < 500, url
