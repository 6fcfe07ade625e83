"""A caseworker drafts a statistics report, a documentation officer (in Russian) approves and
publishes it and downloads the PDF; its first page is rendered to PNG with pdftoppm."""

from __future__ import annotations

import datetime
import shutil
import subprocess  # noqa: S404 -- pdftoppm, a fixed local program, renders the PDF page
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, ConsentScope
from corridor.statistics.models import Report, ReportState, Snapshot
from tests.browser.conftest import SCREENSHOTS, screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("browser")]


def test_draft_review_publish_and_print(page_factory: Any, tmp_path: Path) -> None:
    team = Team.objects.create(name="Statistics")
    author = make_staff(Role.CASEWORKER, teams=[team], username="sasha")
    reviewer = make_staff(Role.DOCUMENTATION, teams=[team], username="vera")
    last_year = timezone.now() - datetime.timedelta(days=365)
    for i in range(23):
        person = cases_domain.create_person(author, names=[{"name": f"Counted Person {i}"}])
        case = cases_domain.open_case(author, team=team, principal=person, dependants=[], summary="s")
        cases_domain.record_consent(author, case, person, ConsentScope.STATISTICS, timezone.localdate())
    # Spread the cases over last year's months and a few statuses (test data, not an action).
    for index, case in enumerate(Case.objects.order_by("reference")):
        Case.objects.filter(pk=case.pk).update(
            created=last_year + datetime.timedelta(days=30 * (index % 3)),
            status=("new", "active", "new", "relocating")[index % 4],
        )

    page, _log, base = page_factory()
    sign_in(page, base, author)
    page.goto(f"{base}/statistics/new/?preset=people-by-status-and-month")
    page.select_option("#id_granularity", "quarter")
    page.fill("#id_lag_days", "0")
    page.click("form[method=post] button[type=submit]")
    page.wait_for_url("**/statistics/reports/**")
    report = Report.objects.get()
    assert page.locator("form[action$='/approve/']").count() == 0  # not for the author

    second, _log2, _base = page_factory(locale="ru-RU")
    sign_in(second, base, reviewer)
    second.goto(f"{base}/statistics/reports/{report.pk}/")
    second.click("form[action$='/approve/'] button")
    second.wait_for_selector("form[action$='/publish/']")
    report.refresh_from_db()
    assert report.state == ReportState.APPROVED
    second.click("form[action$='/publish/'] button")
    second.wait_for_url("**/statistics/published/**")
    snapshot = Snapshot.objects.get()
    assert snapshot.approved_by == reviewer
    screenshot(second, "statistics-published-ru")
    with second.expect_download() as download:
        second.click("a[href$='/pdf/']")
    pdf = tmp_path / "report.pdf"
    download.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF-")
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm is not None, "scripts/system-deps poppler-utils"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 -- fixed arguments, a file this test wrote
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(SCREENSHOTS / "statistics-pdf-ru")],
        check=True,
    )
    assert (SCREENSHOTS / "statistics-pdf-ru.png").stat().st_size > 0
