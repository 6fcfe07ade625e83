"""Referral pages: the access matrix, and a referral prepared, approved and downloaded through
the pages (step-up for approval and export; the download is marked not to be stored)."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest
from django.test import Client

from corridor.accounts.models import Role
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.cases import domain as cases
from corridor.keys import crypto
from corridor.transfer import referrals as bundle
from corridor.transfer.domain import referrals
from corridor.transfer.models import Partner, Referral, ReferralStatus

pytestmark = pytest.mark.django_db

ADMIN = {Role.ADMIN}
WORKER = {Role.CASEWORKER}


def _partner_keys() -> dict[str, str]:
    _identity, recipient = crypto.generate_age_identity()
    signing = crypto.public_key(crypto.generate_signing_key())
    return {"age_recipient": recipient, "signing_key": base64.b64encode(signing).decode("ascii")}


@pytest.fixture
def world() -> World:
    world = make_world()
    admin2 = make_staff(Role.ADMIN, username="second-admin")
    partner = referrals.register_partner(world.users[Role.ADMIN], name="Partner Org", **_partner_keys())
    referrals.verify_partner(admin2, partner)
    for key, team, actor in (("a", world.team_a, world.users[Role.CASEWORKER]), ("b", world.team_b, world.outsider)):
        person, case = cases.create_person_with_case(actor, team=team, names=[{"name": f"Person {key}", "kind": "legal"}])
        cases.record_consent(actor, case, person, "share", datetime.date.today(), partner="Partner Org")
        world.extra[f"case_{key}"] = case
        world.extra[f"referral_{key}"] = referrals.prepare_referral(actor, case, partner)
    world.extra["partner"] = partner
    world.extra["admin2"] = admin2
    return world


def _reset(world: World) -> None:
    Partner.objects.filter(pk=world.extra["partner"].pk).update(active=True)
    Referral.objects.filter(pk=world.extra["referral_a"].pk).update(status=ReferralStatus.PREPARED)


def _case(key: str, suffix: str, prefix: str = "/transfer/") -> Any:
    return lambda w: f"{prefix}cases/{w.extra[f'case_{key}'].pk}/{suffix}"


def _referral(key: str, suffix: str = "", prefix: str = "/transfer/") -> Any:
    return lambda w: f"{prefix}referrals/{w.extra[f'referral_{key}'].pk}/{suffix}"


def _partner(suffix: str) -> Any:
    return lambda w: f"/transfer/partners/{w.extra['partner'].pk}/{suffix}"


ROUTES = [
    Route("transfer:partners", lambda w: "/transfer/partners/", ADMIN | WORKER),
    Route("transfer:partner_new", lambda w: "/transfer/partners/new/", ADMIN),
    Route("transfer:partner_verify", _partner("verify/"), ADMIN, method="post", ok_status=(302,)),
    Route("transfer:referral_new", _case("a", "referrals/new/"), WORKER, other_team_url=_case("b", "referrals/new/")),
    Route("transfer:referral", _referral("a"), WORKER, other_team_url=_referral("b")),
    Route(
        "transfer:referral_approve",
        _referral("a", "approve/"),
        WORKER,
        method="post",
        ok_status=(302,),
        other_team_url=_referral("b", "approve/"),
    ),
    Route(
        "transfer:referral_export",
        _referral("a", "export/"),
        WORKER,
        method="post",
        ok_status=(302,),
        other_team_url=_referral("b", "export/"),
    ),
    Route(
        "transfer:referral_cancel",
        _referral("a", "cancel/"),
        WORKER,
        method="post",
        ok_status=(302,),
        other_team_url=_referral("b", "cancel/"),
        after=_reset,
    ),
    Route("transfer:referral_import", lambda w: "/transfer/referrals/import/", WORKER),
    Route("transfer:partner_deactivate", _partner("deactivate/"), ADMIN, method="post", ok_status=(302,), after=_reset),
    Route("api-transfer-partners", lambda w: "/api/v1/transfer/partners/", ADMIN | WORKER, api=True),
    Route(
        "api-transfer-case-referrals",
        _case("a", "referrals/", prefix="/api/v1/transfer/"),
        WORKER,
        api=True,
        other_team_url=_case("b", "referrals/", prefix="/api/v1/transfer/"),
    ),
    Route(
        "api-transfer-case-referrals",
        _case("a", "referrals/", prefix="/api/v1/transfer/"),
        WORKER,
        api=True,
        method="post",
        data=lambda w: {"partner": str(w.extra["partner"].pk)},
        ok_status=(201,),
        other_team_url=_case("b", "referrals/", prefix="/api/v1/transfer/"),
    ),
    Route(
        "api-transfer-referral",
        _referral("a", prefix="/api/v1/transfer/"),
        WORKER,
        api=True,
        other_team_url=_referral("b", prefix="/api/v1/transfer/"),
    ),
    Route(
        "api-transfer-referral-cancel",
        _referral("a", "cancel/", prefix="/api/v1/transfer/"),
        WORKER,
        api=True,
        method="post",
        other_team_url=_referral("b", "cancel/", prefix="/api/v1/transfer/"),
        after=_reset,
    ),
]


def test_matrix(world: World) -> None:
    assert check_matrix(world, ROUTES) > 0


def test_prepare_approve_download_through_the_pages(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    colleague = make_staff(Role.CASEWORKER, teams=[world.team_a], username="colleague")
    case = world.extra["case_a"]
    page = sign_in(Client(), worker).get(f"/transfer/cases/{case.pk}/referrals/new/")
    assert page.status_code == 200
    for name in bundle.DEFAULT_FIELDS:
        assert f'value="{name}" ' in page.content.decode() or f'value="{name}"' in page.content.decode()
    response = sign_in(Client(), worker).post(
        f"/transfer/cases/{case.pk}/referrals/new/",
        {"partner": world.extra["partner"].pk, "include": ["names", "needs"]},
    )
    assert response.status_code == 302, response.content
    referral = Referral.objects.filter(case=case).exclude(pk=world.extra["referral_a"].pk).get()
    assert referral.fields == ["names", "needs"]

    # The one who prepared it cannot approve it; a colleague can, after confirming who they are.
    sign_in(Client(), worker).post(f"/transfer/referrals/{referral.pk}/approve/")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PREPARED
    client = sign_in(Client(), colleague)
    assert client.post(f"/transfer/referrals/{referral.pk}/approve/").status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.APPROVED

    download = sign_in(Client(), worker).post(f"/transfer/referrals/{referral.pk}/export/")
    assert download.status_code == 200
    assert download["Cache-Control"] == "no-store"
    assert download["Content-Disposition"].startswith('attachment; filename="referral-')
    assert download.content.startswith(bundle.MAGIC)
    again = sign_in(Client(), worker).post(f"/transfer/referrals/{referral.pk}/export/")
    assert again.status_code == 302  # once only


def test_approval_asks_to_confirm_identity_again(world: World) -> None:
    from corridor.accounts import sessions

    colleague = make_staff(Role.CASEWORKER, teams=[world.team_a], username="colleague")
    client = sign_in(Client(), colleague)
    session = client.session
    session[sessions.AUTH_AT] = 0
    session.save()
    response = client.post(f"/transfer/referrals/{world.extra['referral_a'].pk}/approve/")
    assert response.status_code == 302 and "/accounts/reauth/" in response["Location"]
    assert Referral.objects.get(pk=world.extra["referral_a"].pk).status == ReferralStatus.PREPARED


def test_import_refuses_what_is_not_a_bundle(world: World) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/transfer/referrals/import/",
        {"bundle": SimpleUploadedFile("x.corridor", b"not a bundle at all"), "team": world.team_a.pk},
    )
    assert response.status_code == 400
    assert "cannot be imported" in response.content.decode()
    response = client.post("/transfer/referrals/import/", {"staged": "%%%", "team": world.team_a.pk})
    assert response.status_code == 400
    response = client.post(
        "/transfer/referrals/import/", {"staged": "00000000-0000-0000-0000-000000000000", "team": world.team_a.pk}
    )
    assert response.status_code == 400 and "Choose the bundle file" in response.content.decode()


def test_api_prepares_with_the_minimum_by_default_and_refuses_unknown_fields(world: World) -> None:
    from corridor.accounts.testing import sign_in as session

    client = session(Client(), world.users[Role.CASEWORKER])
    url = f"/api/v1/transfer/cases/{world.extra['case_a'].pk}/referrals/"
    made = client.post(url, {"partner": str(world.extra["partner"].pk)}, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["include"] == list(bundle.DEFAULT_FIELDS)
    bad = client.post(url, {"partner": str(world.extra["partner"].pk), "include": ["shoe size"]}, content_type="application/json")
    assert bad.status_code == 400
    missing = client.post(url, {"partner": "00000000-0000-0000-0000-000000000000"}, content_type="application/json")
    assert missing.status_code == 400
    listed = client.get(url)
    assert listed.status_code == 200 and len(listed.json()) == 2


def test_partner_page_in_russian(world: World) -> None:
    client = sign_in(Client(), world.users[Role.ADMIN])
    page = client.get("/transfer/partners/", HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Организации-партнёры" in text and "Отпечаток ключа подписи" in text


def test_import_preview_past_the_duplicate_check_limit_is_a_form_error(world: World, settings: Any) -> None:
    from unittest import mock

    from corridor.cases.domain.duplicates import DuplicateCheckLimited

    client = sign_in(Client(), world.users[Role.CASEWORKER])
    opened = mock.patch.object(referrals, "open_bundle", side_effect=DuplicateCheckLimited(12))
    from django.core.files.uploadedfile import SimpleUploadedFile

    with opened:
        response = client.post(
            "/transfer/referrals/import/", {"bundle": SimpleUploadedFile("x.corridor", b"abc"), "team": world.team_a.pk}
        )
    assert response.status_code == 400
    assert "12 minutes" in response.content.decode()


def test_a_referral_is_not_approved_or_sent_for_someone_other_than_the_person_prepared_for(world: World) -> None:
    """Review R2: the principal swapped after preparing must not send the new principal's data."""
    from django.core.exceptions import ValidationError

    from corridor.cases.models import CaseMember, MemberRole

    case, referral = world.extra["case_a"], world.extra["referral_a"]
    actor = world.users[Role.CASEWORKER]
    other = cases.create_person_in_case(actor, case, names=[{"name": "Someone else", "kind": "legal"}])
    cases.record_consent(actor, case, other, "share", datetime.date.today(), partner="Partner Org")
    assert referral.person is not None and referral.person != other
    CaseMember.objects.filter(case=case).update(role=MemberRole.DEPENDANT)
    CaseMember.objects.filter(case=case, person=other).update(role=MemberRole.PRINCIPAL)
    with pytest.raises(ValidationError, match="principal person has changed"):
        referrals.approve_referral(make_staff(Role.CASEWORKER, teams=[world.team_a], username="second-worker"), referral)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PREPARED
