"""Documents in a real browser: upload from a phone-sized screen, the picture preview, and the
browser's own viewer for the served file under its strict Content-Security-Policy.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.cases import domain
from corridor.cases.models import Document
from corridor.cases.tests.test_files import jpeg_with_gps, pdf_with_metadata
from tests.browser.conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


def _csp_violations(page: Any) -> list[str]:
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(msg.text) if "Content Security Policy" in msg.text else None)
    return messages


def test_upload_a_photo_on_a_phone_and_preview_it(page_factory: Any, tmp_path: Path) -> None:
    team = Team.objects.create(name="North")
    user = make_staff(Role.CASEWORKER, teams=[team], username="madina")
    person = domain.create_person(user, names=[{"name": "Ахмед", "kind": "legal"}], birth_date=datetime.date(1990, 1, 1))
    case = domain.open_case(user, team=team, principal=person)
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes(jpeg_with_gps(orientation=6))

    page, requests, base = page_factory(viewport={"width": 360, "height": 740})
    violations = _csp_violations(page)
    sign_in(page, base, user)
    page.goto(f"{base}/cases/{case.pk}/documents/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "documents-upload-phone")
    page.set_input_files("#id_file", str(photo))
    page.select_option("#id_kind", "photo")
    page.fill("#id_description", "Photo of the injury")
    page.click("button[type=submit] >> text=Upload")
    document = Document.objects.get()
    page.wait_for_url(f"{base}/documents/{document.pk}/")
    # The preview is upright (orientation applied) and actually decoded by the browser.
    size = page.evaluate(
        "(() => { const i = document.querySelector('.document-preview img'); return [i.naturalWidth, i.naturalHeight]; })()"
    )
    assert size == [30, 60]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "document-detail-phone")

    page.goto(f"{base}/documents/{document.pk}/file/")
    shown = page.evaluate(
        "(() => { const i = document.querySelector('img'); return i ? [i.naturalWidth, i.naturalHeight] : null; })()"
    )
    assert shown == [30, 60]
    assert violations == []
    assert requests.foreign() == []


def test_pdf_opens_in_the_browsers_own_viewer(page_factory: Any) -> None:
    team = Team.objects.create(name="North")
    caseworker = make_staff(Role.CASEWORKER, teams=[team], username="aslan")
    user = make_staff(Role.DOCUMENTATION, teams=[team], username="zarema")
    person = domain.create_person(caseworker, names=[{"name": "Ахмед", "kind": "legal"}])
    case = domain.open_case(caseworker, team=team, principal=person)
    document = domain.upload_document(caseworker, case, SimpleUploadedFile("statement.pdf", pdf_with_metadata()), "testimony")

    page, requests, base = page_factory()
    violations = _csp_violations(page)
    sign_in(page, base, user)
    response = page.goto(f"{base}/documents/{document.pk}/file/")
    assert response.headers["content-type"] == "application/pdf"
    page.wait_for_timeout(1500)
    # Chromium shows a PDF in its built-in viewer (an extension frame), never a viewer of ours.
    viewer = [frame.url for frame in page.frames if frame.url.startswith("chrome-extension://")]
    screenshot(page, "document-pdf-viewer")
    assert viewer == ["chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/index.html"]
    assert violations == []
    assert requests.foreign() == []
