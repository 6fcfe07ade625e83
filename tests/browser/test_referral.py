"""A referral walked in the browser: a caseworker prepares a referral of a demo case to a
registered, verified partner, choosing what to send; a second caseworker approves it after
confirming their password and code again (step-up), and downloads the bundle once (an age file
behind the Corridor header and signature). Then a bundle that partner sent to this instance is
imported: uploaded, previewed, and created as a case with its provenance.

One instance cannot be both sides of one referral (it refuses its own key as a partner), so the
bundle imported is one the test makes as the partner's instance would (its signing key is the
partner's registered one; it is encrypted to this instance's key).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import PASSWORD, make_staff
from corridor.cases import demo as cases_demo
from corridor.cases import domain
from corridor.cases.models import Case, CaseMember, MemberRole
from corridor.transfer import referrals as bundle
from corridor.transfer.domain import referrals
from corridor.transfer.models import Referral, ReferralImport, ReferralStatus
from corridor.transfer.tests.test_api_referrals_approve_import import partner_bundle, partner_keys_pair
from tests.browser.conftest import screenshot, sign_in
from tests.browser.test_safehouse_walk import next_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]

AGE_HEADER = b"age-encryption.org/v1\n"


def test_prepare_approve_download_and_import_a_referral(page_factory: Any, settings: Any, tmp_path: Path) -> None:
    # Step-up after one second, so the approver meets the password-and-code prompt for real.
    settings.STEP_UP_SECONDS = 1
    cases_demo.populate(6, seed=5)
    team = Team.objects.get(name="North Caucasus")
    preparer = make_staff(Role.CASEWORKER, teams=[team], username="zarema")
    approver = make_staff(Role.CASEWORKER, teams=[team], username="ruslan")
    admin, admin2 = make_staff(Role.ADMIN, username="marat"), make_staff(Role.ADMIN, username="lidia")
    private, public = partner_keys_pair()
    partner = referrals.verify_partner(admin2, referrals.register_partner(admin, name="Safe Passage Berlin", **public))
    case = Case.objects.filter(team=team).order_by("reference").first()
    assert case is not None
    principal = CaseMember.objects.get(case=case, role=MemberRole.PRINCIPAL).person
    domain.record_consent(preparer, case, principal, "share", datetime.date.today(), partner="Safe Passage Berlin")

    # The caseworker prepares it: the minimum is ticked; they add the location and leave out contacts.
    page, requests, base = page_factory()
    sign_in(page, base, preparer)
    page.goto(f"{base}/transfer/cases/{case.pk}/referrals/new/")
    for name in bundle.DEFAULT_FIELDS:
        assert page.locator(f"input[name=include][value={name}]").is_checked()
    page.select_option("#id_partner", str(partner.pk))
    page.uncheck("input[name=include][value=contacts]")
    page.check("input[name=include][value=location]")
    screenshot(page, "referral-prepare")
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_url("**/transfer/referrals/**")
    referral = Referral.objects.get(case=case)
    assert sorted(referral.fields) == ["location", "names", "needs"]
    assert page.locator("form[action$='/approve/']").count() == 0  # not for the one who prepared it

    # A second caseworker approves; the button first asks them who they are.
    second, requests2, _base = page_factory()
    sign_in(second, base, approver)
    second.wait_for_timeout(1100)
    second.goto(f"{base}/transfer/referrals/{referral.pk}/")
    second.click("form[action$='/approve/'] button")
    second.wait_for_url("**/accounts/reauth/**")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PREPARED  # nothing before the step-up
    second.fill("#id_username", approver.username)
    second.fill("#id_password", PASSWORD)
    second.fill("#id_code", next_code(approver))
    second.click("main button[type=submit]")
    second.wait_for_url(f"{base}/transfer/referrals/{referral.pk}/")
    settings.STEP_UP_SECONDS = 300  # fresh now: the approval and the download must not ask again
    with second.expect_navigation():
        second.click("form[action$='/approve/'] button")
    referral.refresh_from_db()
    assert (referral.status, referral.approved_by) == (ReferralStatus.APPROVED, approver)
    screenshot(second, "referral-approve")

    with second.expect_download() as download:
        second.click("form[action$='/export/'] button")
    saved = tmp_path / "referral.corridor"
    download.value.save_as(str(saved))
    blob = saved.read_bytes()
    assert download.value.suggested_filename == f"referral-{referral.pk}.corridor"
    assert blob.startswith(bundle.MAGIC)
    assert blob[len(bundle.MAGIC) + bundle.SIGNATURE_BYTES :].startswith(AGE_HEADER)
    assert principal.codename.encode() not in blob
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.EXPORTED

    # The partner's bundle arrives: the caseworker uploads it, checks the preview, creates the case.
    incoming = tmp_path / "from-partner.corridor"
    incoming.write_bytes(partner_bundle(private, "Хасанов Адам"))
    page.goto(f"{base}/transfer/referrals/import/")
    page.set_input_files("#id_bundle", str(incoming))
    page.select_option("#id_team", str(team.pk))
    page.click("main form[method=post] button[type=submit]")
    page.wait_for_selector("input[name=confirm]", state="attached")
    text = page.locator("main").inner_text()
    assert "Safe Passage Berlin" in text and "Хасанов Адам" in text
    assert ReferralImport.objects.count() == 0  # the preview creates nothing
    screenshot(page, "referral-import-preview")
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    imported = ReferralImport.objects.get()
    assert imported.sender == partner and imported.case.team == team
    assert page.url.rstrip("/").endswith(str(imported.case.pk))

    assert requests.foreign() == [] and requests2.foreign() == []
