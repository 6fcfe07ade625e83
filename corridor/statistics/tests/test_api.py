"""The statistics API: the permission matrix of every endpoint; a second person approves, after a
recent step-up, never the author and never with a bare token; nothing is exported before a
second person approved and the report was published; exports as CSV and JSON; filters that
are refused with their reasons."""

from __future__ import annotations

import csv
import datetime
import io
import time
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from corridor.accounts import sessions
from corridor.accounts.models import ApiToken, Role
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
from corridor.statistics.domain import reports
from corridor.statistics.models import Report, ReportState, Snapshot

pytestmark = pytest.mark.django_db

API = "/api/v1/statistics/"
REPORTERS = {Role.ADMIN, Role.CASEWORKER, Role.RELOCATION, Role.DOCUMENTATION}
LATER = timezone.localdate() + datetime.timedelta(days=400)
NEW = {"title": "People by status", "measure": "people", "dimensions": ["status"], "lag_days": 0}


@pytest.fixture
def world() -> World:
    world = make_world()
    author = make_staff(Role.CASEWORKER, teams=[world.team_a], username="stats-api-author")
    reviewer = make_staff(Role.RELOCATION, teams=[world.team_a], username="stats-api-reviewer")
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


def _reset(report_key: str, state: str) -> object:
    def reset(world: World) -> None:
        Report.objects.filter(pk=world.extra[report_key].pk).update(state=state, approved_by=None, approved_at=None)
        if state == ReportState.APPROVED:
            Report.objects.filter(pk=world.extra[report_key].pk).update(
                approved_by=world.extra["reviewer"], approved_at=timezone.now()
            )

    return reset


ROUTES = [
    Route("api-statistics-reports", lambda w: f"{API}reports/", REPORTERS, api=True),
    Route("api-statistics-reports", lambda w: f"{API}reports/", REPORTERS, method="post", data=NEW, ok_status=(201,), api=True),
    Route("api-statistics-report", lambda w: f"{API}reports/{w.extra['draft'].pk}/", REPORTERS, api=True),
    Route(
        "api-statistics-report-submit",
        lambda w: f"{API}reports/{w.extra['draft'].pk}/submit/",
        REPORTERS,
        method="post",
        api=True,
        after=_reset("draft", ReportState.DRAFT),  # type: ignore[arg-type]  # a callable of the world
    ),
    Route(
        "api-statistics-report-approve",
        lambda w: f"{API}reports/{w.extra['draft'].pk}/approve/",
        REPORTERS,
        method="post",
        api=True,
        after=_reset("draft", ReportState.DRAFT),  # type: ignore[arg-type]  # a callable of the world
    ),
    Route(
        "api-statistics-report-publish",
        lambda w: f"{API}reports/{w.extra['approved'].pk}/publish/",
        REPORTERS,
        method="post",
        ok_status=(201,),
        api=True,
        after=_reset("approved", ReportState.APPROVED),  # type: ignore[arg-type]  # a callable of the world
    ),
    Route("api-statistics-snapshots", lambda w: f"{API}published/", REPORTERS, api=True),
    Route("api-statistics-snapshot", lambda w: f"{API}published/{w.extra['snapshot'].pk}/", REPORTERS, api=True),
    Route("api-statistics-snapshot-export", lambda w: f"{API}published/{w.extra['snapshot'].pk}/export/", REPORTERS, api=True),
]


def test_matrix(world: World) -> None:
    assert check_matrix(world, ROUTES) > len(ROUTES) * len(world.users)


def _token(user: object) -> Client:
    _record, value = ApiToken.issue(user)
    return Client(headers={"authorization": f"Bearer {value}"})


def test_a_report_is_drafted_submitted_approved_by_a_second_person_published_and_exported(world: World) -> None:
    author, reviewer = world.extra["author"], world.extra["reviewer"]
    mine = sign_in(Client(), author)
    made = mine.post(f"{API}reports/", NEW, content_type="application/json")
    assert made.status_code == 201
    pk = made.json()["id"]
    assert (made.json()["state"], made.json()["author"]) == ("draft", "stats-api-author")
    assert mine.post(f"{API}reports/{pk}/submit/", content_type="application/json").json()["state"] == "review"
    # Nothing to export yet: publishing before a second person approves is refused, no snapshot exists.
    early = mine.post(f"{API}reports/{pk}/publish/", content_type="application/json")
    assert (early.status_code, Snapshot.objects.filter(report_id=pk).count()) == (400, 0)
    assert mine.get(f"{API}published/{pk}/export/").status_code == 404  # a report is no snapshot
    # The author cannot approve their own report.
    own = mine.post(f"{API}reports/{pk}/approve/", content_type="application/json")
    assert (own.status_code, own.json()["error"]["message"]) == (403, "A second person approves a report, not its author.")
    assert Report.objects.get(pk=pk).state == ReportState.REVIEW
    # A second person, signed in with a recent step-up, approves; then publishes.
    second = sign_in(Client(), reviewer)
    approved = second.post(f"{API}reports/{pk}/approve/", content_type="application/json")
    assert (approved.status_code, approved.json()["state"], approved.json()["approved_by"]) == (200, "approved", "stats-api-reviewer")
    published = second.post(f"{API}reports/{pk}/publish/", content_type="application/json")
    assert published.status_code == 201
    snapshot = published.json()
    assert any("smallest" in line or "not shown" in line for line in snapshot["method_note"])
    listed = [row["id"] for row in mine.get(f"{API}published/").json()]
    assert snapshot["id"] in listed
    as_json = mine.get(f"{API}published/{snapshot['id']}/export/?output=json")
    assert (as_json.status_code, as_json.json()["cells"]) == (200, snapshot["cells"])
    as_csv = mine.get(f"{API}published/{snapshot['id']}/export/")
    assert as_csv["Content-Type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(as_csv.content.decode())))
    assert header == ["status", "Count", "Withheld"]
    assert mine.get(f"{API}published/{snapshot['id']}/export/?output=xml").status_code == 400


def test_approval_needs_a_recent_step_up_not_a_token(world: World) -> None:
    draft, reviewer = world.extra["draft"], world.extra["reviewer"]
    refused = _token(reviewer).post(f"{API}reports/{draft.pk}/approve/", content_type="application/json")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "step_up_required")
    stale = sign_in(Client(), reviewer)
    session = stale.session
    session[sessions.AUTH_AT] = time.time() - 3600
    session.save()
    assert stale.post(f"{API}reports/{draft.pk}/approve/", content_type="application/json").status_code == 403
    assert Report.objects.get(pk=draft.pk).state == ReportState.DRAFT
    # A token may still read and draft: only the approval needs the step-up.
    assert _token(reviewer).get(f"{API}reports/{draft.pk}/").status_code == 200


def test_filters_are_saved_and_refused_with_their_reasons(world: World) -> None:
    client = sign_in(Client(), world.extra["author"])
    body = {
        **NEW,
        "measure": "applications",
        "dimensions": ["country"],
        "filters": {"period_from": "2025-01", "period_to": "2025-06", "country": ["IS", "NO"]},
    }
    made = client.post(f"{API}reports/", body, content_type="application/json")
    assert made.status_code == 201
    assert Report.objects.get(pk=made.json()["id"]).filters == {"period_from": "2025-01", "period_to": "2025-06", "country": ["IS", "NO"]}
    cases = (
        ({"period_from": "2025-13"}, "period_from"),
        ({"period_from": "2025-06", "period_to": "2025-01"}, "period_to"),
        ({"country": ["XX"]}, "country"),
        ({"status": ["active"]}, "status"),  # applications have no case status
    )
    for filters, field in cases:
        answer = client.post(f"{API}reports/", {**body, "filters": filters}, content_type="application/json")
        assert answer.status_code == 400, filters
        assert any(key.startswith(field) or key.endswith(field) for key in answer.json()["error"]["fields"]), (filters, answer.json())


def test_options_and_unknown_ids_answer_without_a_server_error(world: World) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    for path in ("reports/", f"reports/{uuid.uuid4()}/", f"reports/{uuid.uuid4()}/approve/", "published/", f"published/{uuid.uuid4()}/export/"):
        assert client.options(f"{API}{path}").status_code == 200, path
    assert client.get(f"{API}reports/{uuid.uuid4()}/").status_code == 404
    assert client.get(f"{API}published/not-an-id/").status_code == 404


def test_a_title_that_is_not_text_is_refused_not_turned_into_text(world: World) -> None:
    """Found by `make check` (schemathesis): DRF's CharField made {"title": 0} the title "0"."""
    client = sign_in(Client(), world.extra["author"])
    before = Report.objects.count()
    for title in (0, True, ["People"], {"x": 1}):
        answer = client.post(f"{API}reports/", {**NEW, "title": title}, content_type="application/json")
        assert answer.status_code == 400 and "title" in answer.json()["error"]["fields"], (title, answer.content[:200])
    assert Report.objects.count() == before


def test_an_unknown_key_is_refused_by_name_and_nothing_is_drafted(world: World) -> None:
    """Found by `make check` (schemathesis): an extra key was dropped without a word; a misspelt
    "filter" would have drafted a report without the filter its author meant."""
    client = sign_in(Client(), world.extra["author"])
    before = Report.objects.count()
    answer = client.post(f"{API}reports/", {**NEW, "filter": {"country": ["IS"]}}, content_type="application/json")
    assert answer.status_code == 400 and list(answer.json()["error"]["fields"]) == ["filter"]
    assert Report.objects.count() == before
