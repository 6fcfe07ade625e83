"""The seizure test for referral bundles (Invariant 1): strings planted in a case go out through
the referral pages (prepare, approve, download) and come in through the import pages of another
instance (upload, preview, confirm). Afterwards neither instance's data directory, the database
nor the sessions hold any of them, nor any piece of the bundle file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from corridor.accounts.domain import create_team
from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.cases import domain as cases
from corridor.transfer import partners as partner_keys
from corridor.transfer import referrals as bundle
from corridor.transfer.models import Referral, ReferralImport
from corridor.transfer.tests.test_referral_roundtrip import (  # noqa: F401 -- main_dir is a fixture
    LOCATION,
    NAME,
    PHONE,
    _instance,
    _register,
    _sender,
    main_dir,
    on,
)
from tests import seizure

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.mark.usefixtures("main_dir")
def test_a_referral_through_the_pages_leaves_nothing_at_rest(settings: SettingsWrapper, tmp_path: Path) -> None:
    need = f"needs {seizure.token()}"
    b = _instance(tmp_path, "b")
    with on(settings, b):
        b_keys = partner_keys.own_keys()
    a_keys = partner_keys.own_keys()
    sender = _sender(["Partner B"])
    cases.add_need(sender.preparer, sender.case, "legal", need)
    partner = _register(sender.admin, sender.admin2, "Partner B", b_keys)

    new = sign_in(Client(), sender.preparer).post(
        f"/transfer/cases/{sender.case.pk}/referrals/new/",
        {"partner": partner.pk, "include": ["names", "contacts", "needs", "location"], "documents": [str(sender.document.pk)]},
    )
    assert new.status_code == 302, new.content
    referral = Referral.objects.get(case=sender.case)
    assert sign_in(Client(), sender.approver).post(f"/transfer/referrals/{referral.pk}/approve/").status_code == 302
    download = sign_in(Client(), sender.preparer).post(f"/transfer/referrals/{referral.pk}/export/")
    assert download.status_code == 200
    blob = download.content
    _signature, ciphertext, _digest = bundle.unpack(blob)
    planted: dict[str, str | bytes] = {"name": NAME, "phone": PHONE, "location": LOCATION, "need": need}
    pieces: dict[str, str | bytes] = {"bundle start": ciphertext[100:132], "bundle end": ciphertext[-48:-16]}
    everything: dict[str, str | bytes] = planted | pieces
    assert seizure.scan_at_rest(everything) == []

    with on(settings, b):
        team_b = create_team(None, "Receiving team")
        worker_b = make_staff(Role.CASEWORKER, teams=[team_b], username="b-worker")
        _register(make_staff(Role.ADMIN, username="b1"), make_staff(Role.ADMIN, username="b2"), "Partner A", a_keys)
        client = sign_in(Client(), worker_b)
        preview = client.post(
            "/transfer/referrals/import/", {"bundle": SimpleUploadedFile("r.corridor", blob), "team": team_b.pk}
        )
        assert preview.status_code == 200, preview.content
        page = preview.content.decode()
        assert NAME in page and need in page and LOCATION in page
        assert not ReferralImport.objects.exists()  # a preview creates nothing
        confirmed = client.post(
            "/transfer/referrals/import/",
            {"staged": preview.context["staged"], "team": team_b.pk, "confirm": "1"},
        )
        assert confirmed.status_code == 302, confirmed.content
        imported = ReferralImport.objects.get()
        assert imported.case is not None and imported.case.documents.count() == 1
        b_files = list(seizure.files_at_rest(b.data_dir))

    # The database (it lives in A's directory here), A's files, the sessions, and B's files.
    sources = seizure.sources_at_rest() + [(f"B: {name}", data) for name, data in b_files]
    assert seizure.scan_sources(everything, sources) == []
