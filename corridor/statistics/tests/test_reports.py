"""Report definitions, consent and the two-person publication rule, on real objects."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, ConsentScope, Person
from corridor.statistics import disclosure, queries
from corridor.statistics.audit_names import StatisticsAudit
from corridor.statistics.domain import reports
from corridor.statistics.models import ImmutableSnapshot, Report, ReportState, Snapshot

pytestmark = pytest.mark.django_db
LATER = timezone.localdate() + datetime.timedelta(days=400)


def open_cases(actor: User, team: Team, how_many: int, *, consent: bool) -> list[Case]:
    cases = []
    for i in range(how_many):
        person = cases_domain.create_person(actor, names=[{"name": f"Statistics Person {consent} {i}"}])
        case = cases_domain.open_case(actor, team=team, principal=person, dependants=[], summary="s")
        if consent:
            cases_domain.record_consent(actor, case, person, ConsentScope.STATISTICS, timezone.localdate())
        cases.append(case)
    return cases


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="Stats")


@pytest.fixture
def author(team: Team) -> User:
    return make_staff(Role.CASEWORKER, teams=[team], username="stats-author")


@pytest.fixture
def reviewer(team: Team) -> User:
    return make_staff(Role.DOCUMENTATION, teams=[team], username="stats-reviewer")


def people_report(author: User, threshold: int = 5) -> Report:
    return reports.draft_report(
        author, title="People by status", measure="people", dimensions=["status"], lag_days=0, threshold=threshold
    )


def test_people_without_consent_are_never_counted(author: User, team: Team) -> None:
    open_cases(author, team, 7, consent=True)
    open_cases(author, team, 3, consent=False)
    withdrawn = open_cases(author, team, 2, consent=True)
    for case in withdrawn:
        consent = case.consents.get()
        cases_domain.withdraw_consent(author, consent)
    counted, release = reports.build(people_report(author), LATER)
    assert counted.counted == 7
    assert counted.left_out == 5
    assert counted.table.counts == {("new",): 7}
    assert release.cells == {("new",): 7, (None,): 7}


def test_a_case_counts_only_when_every_member_consents(author: User, team: Team) -> None:
    principal = cases_domain.create_person(author, names=[{"name": "Principal"}])
    dependant = cases_domain.create_person(author, names=[{"name": "Dependant"}])
    case = cases_domain.open_case(author, team=team, principal=principal, dependants=[dependant], summary="s")
    cases_domain.record_consent(author, case, principal, ConsentScope.STATISTICS, timezone.localdate())
    report = reports.draft_report(author, title="Cases", measure="cases", dimensions=["status"], lag_days=0)
    counted, _release = reports.build(report, LATER)
    assert (counted.counted, counted.left_out) == (0, 1)
    cases_domain.record_consent(author, case, dependant, ConsentScope.STATISTICS, timezone.localdate())
    counted, _release = reports.build(report, LATER)
    assert (counted.counted, counted.left_out) == (1, 0)


def test_small_cells_are_withheld_in_the_published_table(author: User, reviewer: User, team: Team) -> None:
    open_cases(author, team, 3, consent=True)
    report = reports.draft_report(
        author, title="People by status and period", measure="people", dimensions=["status", "period"], lag_days=0
    )
    reports.approve_report(reviewer, report)
    snapshot = reports.publish_report(reviewer, report, LATER)
    release = reports.release_of(snapshot)
    assert all(value is None for value in release.cells.values())
    assert snapshot.counted == 3


def test_no_publication_before_a_second_person_approves(author: User, reviewer: User, team: Team) -> None:
    open_cases(author, team, 6, consent=True)
    report = people_report(author)
    with pytest.raises(ValidationError):
        reports.publish_report(author, report, LATER)
    with pytest.raises(PermissionDenied):
        reports.approve_report(author, report)
    assert Snapshot.objects.count() == 0
    report = reports.approve_report(reviewer, report)
    assert (report.state, report.approved_by) == (ReportState.APPROVED, reviewer)
    snapshot = reports.publish_report(author, report, LATER)
    assert snapshot.approved_by == reviewer
    assert snapshot.published_by == author
    assert snapshot.definition == {"measure": "people", "dimensions": ["status"], "filters": {}}
    assert snapshot.rule == {"threshold": 5, "rounding_base": None, "granularity": "month", "lag_days": 0}
    assert reports.release_of(snapshot).cells == {("new",): 6, (None,): 6}
    actions = list(AuditEntry.objects.filter(action__startswith="statistics.").values_list("action", flat=True).order_by("pk"))
    assert actions == [StatisticsAudit.REPORT_DRAFT, StatisticsAudit.REPORT_APPROVE, StatisticsAudit.REPORT_PUBLISH]


def test_a_change_after_approval_needs_approval_again(author: User, reviewer: User) -> None:
    report = reports.approve_report(reviewer, people_report(author))
    report = reports.change_report(author, report, title="People by status (changed)")
    assert (report.state, report.approved_by) == (ReportState.DRAFT, None)
    with pytest.raises(ValidationError):
        reports.publish_report(reviewer, report, LATER)


def test_staff_cannot_lower_the_threshold_below_the_floor(author: User) -> None:
    with pytest.raises(ValidationError):
        people_report(author, threshold=2)
    admin = make_staff(Role.ADMIN, username="stats-admin")
    assert people_report(admin, threshold=2).threshold == 2


def test_people_outside_the_reporting_roles_cannot_draft() -> None:
    auditor = make_staff(Role.AUDITOR, username="stats-auditor")
    with pytest.raises(PermissionDenied):
        people_report(auditor)


def test_a_snapshot_never_changes(author: User, reviewer: User) -> None:
    report = reports.approve_report(reviewer, people_report(author))
    snapshot = reports.publish_report(reviewer, report, LATER)
    snapshot.title = "rewritten"
    with pytest.raises(ImmutableSnapshot):
        snapshot.save()


def test_a_bad_definition_is_refused(author: User) -> None:
    with pytest.raises(ValidationError):
        reports.draft_report(author, title="x", measure="people", dimensions=["act_type"])
    with pytest.raises(ValidationError):
        reports.draft_report(author, title="x", measure="people", dimensions=[])
    with pytest.raises(ValidationError):
        reports.draft_report(author, title="x", measure="nothing", dimensions=["period"])
    with pytest.raises(ValidationError):
        reports.draft_report(author, title="  ", measure="people", dimensions=["period"])


def test_the_publication_cutoff_keeps_the_current_period_out(author: User, team: Team) -> None:
    open_cases(author, team, 6, consent=True)
    report = reports.draft_report(author, title="Now", measure="people", dimensions=["period"], lag_days=0)
    counted, _release = reports.build(report, timezone.localdate())
    assert counted.counted == 0
    assert counted.cutoff == disclosure.period_start(timezone.localdate(), "month")


def test_every_measure_runs_on_every_dimension() -> None:
    for measure in ("people", "cases", "acts", "applications", "decisions"):
        for dimension in queries.dimensions_for(measure):
            counted = queries.count(measure, [dimension], {}, granularity="quarter", lag_days=0, today=LATER)
            assert (counted.counted, counted.left_out) == (0, 0)
    assert Person.objects.count() == 0


def test_a_new_release_warns_about_what_subtraction_reveals(author: User, reviewer: User, team: Team) -> None:
    open_cases(author, team, 10, consent=True)
    first = reports.approve_report(reviewer, people_report(author))
    reports.publish_report(reviewer, first, LATER)
    open_cases(author, team, 2, consent=True)  # two more people since: 12 now
    again = people_report(author)
    _counted, release = reports.build(again, LATER)
    risks = reports.differencing_warnings(again, release)
    assert risks == [
        disclosure.DifferencingRisk(("new",), 2, "small-difference"),
        disclosure.DifferencingRisk((None,), 2, "small-difference"),
    ]
