"""Time from first contact to arrival (a median per cell, protected like the counts) and the
age band dimension (birth dates decrypted in batch during the run), on real objects; the
filters of a definition narrow what is counted and are named in the method note."""

from __future__ import annotations

import datetime
import statistics
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff, sign_in
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, ConsentScope
from corridor.relocation.tests.factories import S, make_programme, walk
from corridor.statistics import disclosure, presentation, queries
from corridor.statistics.domain import reports
from corridor.statistics.models import Report

pytestmark = pytest.mark.django_db
D = datetime.date
LATER = timezone.localdate() + datetime.timedelta(days=400)
CONTACT = D(2024, 1, 1)
ARRIVAL_PATH = (S.SUBMITTED, S.DECISION, S.VISA_ISSUED, S.TRAVEL_BOOKED, S.DEPARTED)


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="Durations")


@pytest.fixture
def author(team: Team) -> User:
    return make_staff(Role.CASEWORKER, teams=[team], username="durations-author")


def _case(actor: User, team: Team, *, consent: bool = True, **person: Any) -> Case:
    principal = cases_domain.create_person(actor, names=[{"name": "Durations Person"}], **person)
    case = cases_domain.open_case(actor, team=team, principal=principal, dependants=[], summary="s")
    if consent:
        cases_domain.record_consent(actor, case, principal, ConsentScope.STATISTICS, timezone.localdate())
    return case


def _arrive(actor: User, team: Team, programme: Any, days: int, *, consent: bool = True) -> None:
    """A case first contacted on CONTACT whose application arrives `days` later."""
    case = _case(actor, team, consent=consent)
    Case.objects.filter(pk=case.pk).update(created=timezone.make_aware(datetime.datetime.combine(CONTACT, datetime.time(12))))
    arrival = CONTACT + datetime.timedelta(days=days)
    steps = [(status, CONTACT + datetime.timedelta(days=1 + i)) for i, status in enumerate(ARRIVAL_PATH)]
    walk(actor, case, programme, [*steps, (S.ARRIVED, arrival)])


def test_median_days_to_arrival_are_shown_only_for_shown_cells_of_enough_arrivals(author: User, team: Team) -> None:
    iceland, norway, canada = make_programme("IS"), make_programme("NO"), make_programme("CA")
    durations = {"IS": [10, 20, 30, 40, 50, 60], "NO": [15, 25], "CA": [100, 110, 120, 130, 140]}
    for programme, code in ((iceland, "IS"), (norway, "NO"), (canada, "CA")):
        for days in durations[code]:
            _arrive(author, team, programme, days)
    _arrive(author, team, iceland, 900, consent=False)  # never counted, never in a median
    report = reports.draft_report(
        author, title="Arrival", measure="arrival_time", dimensions=["country"], lag_days=0, granularity="quarter"
    )
    counted, release = reports.build(report, LATER)
    assert (counted.counted, counted.left_out) == (13, 1)
    medians = reports.medians(report, counted, release)
    assert medians is not None
    every = [d for values in durations.values() for d in values]
    for key, shown in release.cells.items():
        values = every if key == (None,) else durations[str(key[0])]
        if shown is None or len(values) < report.threshold:
            assert medians[key] is None, key
        else:
            assert medians[key] == statistics.median(values), key
    assert release.cells[("NO",)] is None and medians[("NO",)] is None
    assert medians[("IS",)] in (None, 35.0) and (release.cells[("IS",)] is None) == (medians[("IS",)] is None)
    # The published snapshot keeps the medians; the page, CSV and PDF show them with the counts.
    reviewer = make_staff(Role.RELOCATION, teams=[team], username="durations-reviewer")
    reports.approve_report(reviewer, report)
    snapshot = reports.publish_report(reviewer, Report.objects.get(pk=report.pk), LATER)
    assert reports.medians_of(snapshot) == medians
    csv_text = presentation.to_csv(reports.release_of(snapshot), ["country"], reports.medians_of(snapshot))
    assert csv_text.splitlines()[0] == "country,Count,Median days,Withheld"
    note = " ".join(presentation.snapshot_note(snapshot))
    assert "median number of days from first contact" in note and "at least 5 arrivals" in note
    page = sign_in(Client(), reviewer).get(f"/statistics/published/{snapshot.pk}/").content.decode()
    assert "Median days (count)" in page


def test_cell_medians_hide_withheld_counts_and_small_groups() -> None:
    table = disclosure.Table((("a", "b", "c"),), {("a",): 6, ("b",): 2, ("c",): 5})
    release = disclosure.suppress(table)
    durations = {("a",): [1, 2, 3, 4, 5, 6], ("b",): [7, 8], ("c",): [9, 9, 9, 9, 9]}
    medians = disclosure.cell_medians(release, durations, 5)
    assert medians[("b",)] is None
    assert [k for k, v in release.cells.items() if v is None] == [k for k, v in medians.items() if v is None]
    shown = {k: v for k, v in medians.items() if v is not None}
    expected = {("a",): 3.5, ("c",): 9.0, (None,): 7.0}
    assert shown == {k: expected[k] for k in shown}


@pytest.mark.parametrize(
    ("born", "precision", "on", "band"),
    [
        (D(2008, 6, 1), "exact", D(2026, 5, 31), "00-17"),
        (D(2008, 6, 1), "exact", D(2026, 6, 1), "18-24"),
        (D(2001, 1, 1), "year", D(2026, 1, 1), "25-34"),
        (D(1990, 1, 1), "exact", D(2026, 1, 1), "35-44"),
        (D(1970, 1, 1), "exact", D(2026, 1, 1), "45-59"),
        (D(1960, 1, 1), "year", D(2026, 1, 1), "60+"),
        (D(1960, 1, 1), "approximate", D(2026, 1, 1), queries.UNKNOWN),
        (None, "exact", D(2026, 1, 1), queries.UNKNOWN),
    ],
)
def test_age_bands(born: D | None, precision: str, on: D, band: str) -> None:
    assert queries.age_band(born, precision, on) == band


def test_people_by_age_band_from_birth_dates_decrypted_in_batch(author: User, team: Team, django_assert_max_num_queries: Any) -> None:
    today = timezone.localdate()
    for years in (20, 21, 22, 23, 24):
        _case(author, team, birth_date=D(today.year - years, 1, 1), birth_precision="year")
    _case(author, team, birth_date=D(today.year - 40, 1, 1), birth_precision="year")
    _case(author, team)  # no birth date
    _case(author, team, consent=False, birth_date=D(today.year - 20, 1, 1), birth_precision="year")
    admin = make_staff(Role.ADMIN, username="durations-admin")  # only an administrator shows cells below 5
    report = reports.draft_report(admin, title="Ages", measure="people", dimensions=["age_band"], lag_days=0, threshold=1)
    with django_assert_max_num_queries(8):  # the rows, one batch of people, the left-out count: not one per person
        counted, release = reports.build(report, LATER)
    assert counted.table.counts == {("18-24",): 5, ("35-44",): 1, (queries.UNKNOWN,): 1}
    assert counted.left_out == 1
    note = " ".join(presentation.method_note(report.rule_settings(), counted.left_out, report.definition()))
    assert "decrypted in memory" in note
    assert presentation.label("age_band", "00-17") == "under 18"


def test_filters_narrow_the_count_and_are_named_in_the_note(author: User, team: Team) -> None:
    iceland, norway = make_programme("IS"), make_programme("NO")
    for programme, day in ((iceland, D(2025, 1, 10)), (iceland, D(2025, 3, 10)), (norway, D(2025, 1, 20)), (iceland, D(2025, 8, 1))):
        walk(author, _case(author, team), programme, [(S.SUBMITTED, day)])
    for application in iceland.applications.all() | norway.applications.all():
        type(application).objects.filter(pk=application.pk).update(
            created=timezone.make_aware(datetime.datetime.combine(application.last_moved, datetime.time(12)))
        )
    filters = {"period_from": "2025-01", "period_to": "2025-06", "country": ["IS"]}
    admin = make_staff(Role.ADMIN, username="filters-admin")  # only an administrator shows cells below 5
    report = reports.draft_report(
        admin, title="Filtered", measure="applications", dimensions=["country"], lag_days=0, threshold=1, filters=filters
    )
    counted, _release = reports.build(report, LATER)
    assert counted.table.counts == {("IS",): 2}
    note = presentation.method_note(report.rule_settings(), counted.left_out, report.definition())
    assert note[-1] == "Counted only: from 2025-01; until 2025-06; country: Iceland."
    with pytest.raises(ValidationError) as refused:
        reports.draft_report(author, title="Bad", measure="people", dimensions=["status"], filters={"country": ["IS"]})
    assert "country" in refused.value.message_dict


def test_the_form_saves_filters_and_explains_errors(author: User) -> None:
    client = sign_in(Client(), author)
    base = {"title": "By status", "measure": "people", "first": "status", "granularity": "month", "threshold": "5", "lag_days": "30"}
    bad = client.post("/statistics/new/", {**base, "period_from": "2025-07", "period_to": "2025-01"})
    assert bad.status_code == 200
    assert bad.context["form"].errors == {"period_to": ["The last month comes before the first."]}
    wrong = client.post("/statistics/new/", {**base, "country": ["IS"]})
    assert wrong.context["form"].errors == {"country": ["“country” does not apply to what this report counts."]}
    good = client.post("/statistics/new/", {**base, "period_from": "2025-01", "status": ["active", "new"]})
    assert good.status_code == 302
    assert Report.objects.get(title="By status").filters == {"period_from": "2025-01", "status": ["active", "new"]}
