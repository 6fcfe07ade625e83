"""Figures from the status history: hand-computed examples, the SQL percentile against the Python
reference, and the whole computation over many countries in one query."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest

from corridor.accounts.models import Team
from corridor.relocation import figures
from corridor.relocation.figures import COUNTRY_TOTAL
from corridor.relocation.models import Country
from corridor.relocation.stats import percentile
from corridor.relocation.tests.factories import S, caseworker_for, make_case, make_programme, walk

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2024, 3, 31)


@pytest.fixture
def world() -> dict[str, Any]:
    team = Team.objects.create(name="Figures team")
    actor = caseworker_for(team)
    case = team
    is1, is2, no = make_programme("IS"), make_programme("IS", "National visa"), make_programme("NO")
    walk(actor, case, is1, [(S.SUBMITTED, D(2024, 1, 1)), (S.DECISION, D(2024, 1, 11)), (S.VISA_ISSUED, D(2024, 1, 15)),
                            (S.TRAVEL_BOOKED, D(2024, 1, 20)), (S.DEPARTED, D(2024, 1, 25)), (S.ARRIVED, D(2024, 1, 31))])
    walk(actor, case, is1, [(S.SUBMITTED, D(2024, 1, 1)), (S.INTERVIEW, D(2024, 1, 5)), (S.REFUSED, D(2024, 1, 21))])
    walk(actor, case, is1, [(S.SUBMITTED, D(2024, 1, 1)), (S.VISA_ISSUED, D(2024, 2, 10))])
    walk(actor, case, is1, [(S.SUBMITTED, D(2024, 3, 1))])  # pending 30 days on TODAY
    walk(actor, case, is1, [])  # a draft: counted as an application, nothing else
    walk(actor, case, is1, [(S.SUBMITTED, D(2024, 3, 11)), (S.WITHDRAWN, D(2024, 3, 15))])
    walk(actor, case, is2, [(S.SUBMITTED, D(2024, 2, 1)), (S.DECISION, D(2024, 2, 3))])
    walk(actor, case, no, [(S.SUBMITTED, D(2024, 1, 1)), (S.REFUSED, D(2024, 1, 5))])
    return {"is1": is1, "is2": is2, "no": no}


def test_hand_computed_programme_figures(world: dict[str, Any]) -> None:
    figs = figures.compute(["IS", "NO"], TODAY)
    f = figs[("IS", world["is1"].pk)]
    assert (f.applications, f.submitted, f.grants, f.refusals, f.withdrawn, f.pending) == (6, 5, 2, 1, 1, 1)
    # Decisions after 10, 20 and 40 days: median 20; p90 at position 1.8 → 20 + 0.8 × 20 = 36.
    assert (f.decision_median, f.decision_p90) == (20.0, 36.0)
    assert (f.arrival_median, f.arrival_p90) == (30.0, 30.0)
    assert (f.pending_median, f.pending_max) == (30.0, 30.0)
    assert f.funnel == {"submitted": 5, "interview": 3, "decision": 2, "visa_issued": 2, "departed": 1, "arrived": 1}
    # 2 of 3 granted: posterior mean (2 + 1) / (3 + 2) = 0.6.
    assert f.rate.mean == pytest.approx(0.6)


def test_country_totals_pool_the_programmes(world: dict[str, Any]) -> None:
    figs = figures.compute(["IS", "NO"], TODAY)
    total = figs[("IS", COUNTRY_TOTAL)]
    assert (total.applications, total.grants, total.refusals) == (7, 3, 1)
    # Decisions 2, 10, 20, 40: median 15; p90 at position 2.7 → 20 + 0.7 × 20 = 34.
    assert (total.decision_median, total.decision_p90) == (15.0, pytest.approx(34.0))
    norway = figs[("NO", COUNTRY_TOTAL)]
    assert (norway.grants, norway.refusals, norway.decision_median, norway.arrival_median) == (0, 1, 4.0, None)
    assert set(figs) == {("IS", world["is1"].pk), ("IS", world["is2"].pk), ("IS", COUNTRY_TOTAL), ("NO", world["no"].pk), ("NO", COUNTRY_TOTAL)}


def test_filter_and_empty_inputs(world: dict[str, Any]) -> None:
    assert set(figures.compute(["NO"], TODAY)) == {("NO", world["no"].pk), ("NO", COUNTRY_TOTAL)}
    assert figures.compute([], TODAY) == {}
    assert figures.compute(["LT"], TODAY) == {}


def test_sql_percentiles_equal_the_python_reference() -> None:
    rng = random.Random(7)
    team = Team.objects.create(name="Percentile team")
    actor = caseworker_for(team)
    case = team
    programme = make_programme("IS")
    durations = [rng.randint(1, 60) for _ in range(23)]
    for days in durations:
        start = D(2023, 1, 1) + datetime.timedelta(days=rng.randint(0, 200))
        status = S.DECISION if rng.random() < 0.5 else S.REFUSED
        walk(actor, case, programme, [(S.SUBMITTED, start), (status, start + datetime.timedelta(days=days))])
    f = figures.compute(["IS"], TODAY)[("IS", programme.pk)]
    assert f.decisions == 23
    assert f.decision_median == pytest.approx(percentile(durations, 0.5))
    assert f.decision_p90 == pytest.approx(percentile(durations, 0.9))


def test_many_countries_in_one_query(django_assert_num_queries: Any) -> None:
    team = Team.objects.create(name="Many team")
    actor = caseworker_for(team)
    case = make_case(actor, team)
    codes = list(Country.objects.exclude(programmes__isnull=False).values_list("pk", flat=True)[:40])
    for index, code in enumerate(codes):
        programme = make_programme(code)
        walk(actor, case, programme, [(S.SUBMITTED, D(2024, 1, 1)), (S.REFUSED if index % 3 else S.DECISION, D(2024, 1, 2 + index % 20))])
    with django_assert_num_queries(1):
        figs = figures.compute(today=TODAY)
    assert {code for code, _p in figs} == set(codes)
    assert sum(f.decisions for (code, p), f in figs.items() if p == COUNTRY_TOTAL) == 40
