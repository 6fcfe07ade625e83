"""Statistics pages: the access matrix, and a report drafted, approved by a second person
and published through the pages, then read as HTML and CSV in English and Russian."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from corridor.accounts.models import Role
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.cases import domain as cases_domain
from corridor.cases.models import ConsentScope
from corridor.statistics.domain import reports
from corridor.statistics.models import Report, ReportState, Snapshot

pytestmark = pytest.mark.django_db

REPORTERS = {Role.ADMIN, Role.CASEWORKER, Role.RELOCATION, Role.DOCUMENTATION}
LATER = timezone.localdate() + datetime.timedelta(days=400)


@pytest.fixture
def world() -> World:
    world = make_world()
    author = make_staff(Role.CASEWORKER, teams=[world.team_a], username="stats-author")
    reviewer = make_staff(Role.RELOCATION, teams=[world.team_a], username="stats-reviewer")
    draft = reports.draft_report(author, title="Draft", measure="people", dimensions=["status"], lag_days=0)
    approved = reports.draft_report(author, title="Approved", measure="cases", dimensions=["status"], lag_days=0)
    reports.approve_report(reviewer, approved)
    published = reports.draft_report(author, title="Published", measure="people", dimensions=["status"], lag_days=0)
    reports.approve_report(reviewer, published)
    world.extra.update(
        author=author,
        reviewer=reviewer,
        draft=draft,
        approved=approved,
        snapshot=reports.publish_report(reviewer, published, LATER),
    )
    return world


NEW_REPORT = {
    "title": "By status",
    "measure": "people",
    "first": "status",
    "second": "",
    "third": "",
    "granularity": "month",
    "threshold": "5",
    "lag_days": "30",
}

ROUTES = [
    Route("statistics:reports", lambda w: "/statistics/", REPORTERS),
    Route("statistics:new", lambda w: "/statistics/new/", REPORTERS),
    Route("statistics:new", lambda w: "/statistics/new/", REPORTERS, method="post", data=NEW_REPORT, ok_status=(302,)),
    Route("statistics:report", lambda w: f"/statistics/reports/{w.extra['draft'].pk}/", REPORTERS),
    Route(
        "statistics:approve",
        lambda w: f"/statistics/reports/{w.extra['draft'].pk}/approve/",
        REPORTERS,
        method="post",
        ok_status=(302,),
    ),
    Route(
        "statistics:publish",
        lambda w: f"/statistics/reports/{w.extra['approved'].pk}/publish/",
        REPORTERS,
        method="post",
        ok_status=(302,),
    ),
    Route("statistics:snapshot", lambda w: f"/statistics/published/{w.extra['snapshot'].pk}/", REPORTERS),
    Route("statistics:snapshot_csv", lambda w: f"/statistics/published/{w.extra['snapshot'].pk}/csv/", REPORTERS),
    Route("statistics:snapshot_pdf", lambda w: f"/statistics/published/{w.extra['snapshot'].pk}/pdf/", REPORTERS),
]


def test_matrix(world: World) -> None:
    assert check_matrix(world, ROUTES) > 0


def test_draft_approve_publish_through_the_pages() -> None:
    world = make_world()
    author = make_staff(Role.CASEWORKER, teams=[world.team_a], username="page-author")
    reviewer = make_staff(Role.DOCUMENTATION, teams=[world.team_a], username="page-reviewer")
    for i in range(6):
        person = cases_domain.create_person(author, names=[{"name": f"Counted {i}"}])
        case = cases_domain.open_case(author, team=world.team_a, principal=person, dependants=[], summary="s")
        cases_domain.record_consent(author, case, person, ConsentScope.STATISTICS, timezone.localdate())
    writer = sign_in(Client(), author)
    response = writer.post("/statistics/new/", {**NEW_REPORT, "lag_days": "0"})
    assert response.status_code == 302
    report = Report.objects.get(title="By status")
    # The author sees no approve button and cannot approve by posting.
    page = writer.get(f"/statistics/reports/{report.pk}/").content.decode()
    assert "Someone other than the author approves this report." in page
    writer.post(f"/statistics/reports/{report.pk}/approve/")
    writer.post(f"/statistics/reports/{report.pk}/publish/")
    report.refresh_from_db()
    assert (report.state, Snapshot.objects.count()) == (ReportState.DRAFT, 0)
    second = sign_in(Client(), reviewer)
    assert second.post(f"/statistics/reports/{report.pk}/approve/").status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.APPROVED


def test_staff_below_the_floor_get_an_error_on_the_form(world: World) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    page = client.post("/statistics/new/", {**NEW_REPORT, "threshold": "2"})
    assert page.status_code == 200
    assert "Only an administrator may show cells smaller than 5." in page.content.decode()


def test_published_table_in_english_and_russian(world: World) -> None:
    snapshot = world.extra["snapshot"]
    client = sign_in(Client(), world.users[Role.DOCUMENTATION])
    html = client.get(f"/statistics/published/{snapshot.pk}/").content.decode()
    assert "How the numbers were protected" in html and "<svg" in html
    client.cookies["django_language"] = "ru"
    ru = client.get(f"/statistics/published/{snapshot.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Как защищены числа" in ru
    csv = client.get(f"/statistics/published/{snapshot.pk}/csv/")
    assert csv["Content-Type"].startswith("text/csv")


def test_built_in_reports_fill_the_form_and_run(world: World) -> None:
    client = sign_in(Client(), world.users[Role.RELOCATION])
    presets = (
        "people-by-status-and-month",
        "decisions-by-country",
        "applications-by-country",
        "acts-by-type-and-period",
        "arrival-time-by-month",
        "arrival-time-by-country",
    )
    for key in presets:
        page = client.get(f"/statistics/new/?preset={key}")
        assert page.status_code == 200
        form = page.context["form"]
        data = {name: str(form.initial.get(name, field.initial) or "") for name, field in form.fields.items()}
        # An unticked multiple choice sends nothing at all (not an empty value).
        data = {name: value for name, value in data.items() if value or name not in form.FILTERS}
        assert client.post("/statistics/new/", data).status_code == 302
    titles = set(Report.objects.values_list("title", flat=True))
    assert "Documented acts by type and quarter" in titles
    assert "Time from first contact to arrival, by country" in titles
    shown = ["People helped by status and month", "Documented acts by type and quarter", "Time from first contact to arrival, by country"]
    for report in Report.objects.filter(title__in=shown):
        assert client.get(f"/statistics/reports/{report.pk}/").status_code == 200


def test_pdf_in_english_and_russian(world: World) -> None:
    snapshot = world.extra["snapshot"]
    client = sign_in(Client(), world.users[Role.ADMIN])
    english = client.get(f"/statistics/published/{snapshot.pk}/pdf/")
    assert english["Content-Type"] == "application/pdf"
    assert english.content.startswith(b"%PDF-")
    client.cookies["django_language"] = "ru"
    russian = client.get(f"/statistics/published/{snapshot.pk}/pdf/", HTTP_ACCEPT_LANGUAGE="ru")
    assert russian.content.startswith(b"%PDF-") and russian.content != english.content


def test_the_preview_warns_when_subtraction_reveals_a_small_group(world: World) -> None:
    author, reviewer = world.extra["author"], world.extra["reviewer"]
    person = cases_domain.create_person(author, names=[{"name": "Newcomer"}])
    case = cases_domain.open_case(author, team=world.team_a, principal=person, dependants=[], summary="s")
    cases_domain.record_consent(author, case, person, ConsentScope.STATISTICS, timezone.localdate())
    again = reports.draft_report(author, title="Again", measure="people", dimensions=["status"], lag_days=0)
    page = sign_in(Client(), reviewer).get(f"/statistics/reports/{again.pk}/").content.decode()
    # Published today with lag 0, the current month is out of both: nothing to warn about yet.
    assert "could learn these by subtraction" not in page
    # Counted a year on, the newcomer is 1: withheld (with the total) in the new release, so
    # subtracting the earlier, empty release reveals nothing.
    assert reports.differencing_warnings(again, reports.build(again, LATER)[1]) == []
