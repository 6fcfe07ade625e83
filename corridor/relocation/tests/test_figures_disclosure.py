"""Organisation-wide figures expose no single application: another team's applications are
counted only in programmes with at least RELOCATION_MIN_CELL of them, and where they are,
pending times (today minus a submission date) are whole months. Own-team figures stay exact."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client, override_settings

from corridor.accounts.models import Role
from corridor.accounts.testing import World, make_world, sign_in
from corridor.relocation import figures, ranking
from corridor.relocation.figures import COUNTRY_TOTAL
from corridor.relocation.tests.factories import S, make_case, make_programme, walk

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2024, 6, 30)
# Team B's lone application: submitted on this day, still pending on TODAY (105 days).
LONE_SUBMITTED = D(2024, 3, 17)


@pytest.fixture
def world() -> World:
    world = make_world()
    worker_a = world.users[Role.CASEWORKER]
    world.extra["lone"] = make_programme("IS", "Humanitarian visa")
    world.extra["busy"] = make_programme("NO", "Resettlement")
    walk(world.outsider, world.team_b, world.extra["lone"], [(S.SUBMITTED, LONE_SUBMITTED), (S.INTERVIEW, D(2024, 4, 2))])
    for day in (1, 3, 5, 8, 13):
        walk(world.outsider, world.team_b, world.extra["busy"], [(S.SUBMITTED, D(2024, 2, day))])
    walk(worker_a, world.team_a, world.extra["busy"], [(S.SUBMITTED, D(2024, 1, 20)), (S.DECISION, D(2024, 2, 9))])
    return world


def test_a_caseworker_of_team_a_does_not_see_team_b_lone_application(world: World) -> None:
    worker_a = world.users[Role.CASEWORKER]
    figs = figures.compute(None, TODAY, viewer=worker_a)
    assert ("IS", world.extra["lone"].pk) not in figs
    assert ("IS", COUNTRY_TOTAL) not in figs
    # Through the API and the pages, the same: nothing of it, not its stage nor its date.
    body = sign_in(Client(), worker_a).get("/api/v1/relocation/figures/?country=IS").json()
    assert body == []
    page = sign_in(Client(), worker_a).get("/relocation/")
    row = next(r for r in page.context["rows"] if r["country"].code == "IS")
    assert (row["total"], row["programmes"]) == (None, [(world.extra["lone"], None)])
    assert "counted only in programmes with at least 5 of them" in page.content.decode()
    charts = sign_in(Client(), worker_a).get("/relocation/charts/")
    assert [name for name, _f in charts.context["totals"]] == ["Norway"]
    # Team B itself sees its own application exactly, date and all.
    own = figures.compute(["IS"], TODAY, viewer=world.outsider)[("IS", world.extra["lone"].pk)]
    assert (own.applications, own.funnel["interview"], own.pending_max, own.pooled) == (1, 1, 105.0, False)


def test_pooled_cells_count_other_teams_but_date_no_application(world: World) -> None:
    worker_a = world.users[Role.CASEWORKER]
    busy = figures.compute(["NO"], TODAY, viewer=worker_a)[("NO", world.extra["busy"].pk)]
    # Five of team B's applications: counted; the longest pending (since 1 February, 150 days) is
    # shown as whole calendar months only (February to June: 4), and so is the median (since 5 February, 146 days).
    assert (busy.applications, busy.pending, busy.grants, busy.pooled) == (6, 5, 1, True)
    assert (busy.pending_max, busy.pending_median) == (120.0, 120.0)
    total = figures.compute(["NO"], TODAY, viewer=worker_a)[("NO", COUNTRY_TOTAL)]
    assert (total.applications, total.pending_max, total.pooled) == (6, 120.0, True)
    # Without a viewer (reports, tests) every figure is exact.
    exact = figures.compute(["NO"], TODAY)[("NO", world.extra["busy"].pk)]
    assert (exact.pending_max, exact.pending_median, exact.pooled) == (150.0, 146.0, False)


def test_the_small_cell_limit_is_a_setting(world: World) -> None:
    worker_a = world.users[Role.CASEWORKER]
    with override_settings(RELOCATION_MIN_CELL=1):
        lone = figures.compute(["IS"], TODAY, viewer=worker_a)[("IS", world.extra["lone"].pk)]
    # Counted now, but still no date: 105 days become 90.
    assert (lone.applications, lone.pending_max, lone.pooled) == (1, 90.0, True)
    with override_settings(RELOCATION_MIN_CELL=6):
        assert figures.compute(["NO"], TODAY, viewer=worker_a)[("NO", world.extra["busy"].pk)].applications == 1


def test_roles_that_see_no_case_see_only_pooled_cells(world: World) -> None:
    admin = world.users[Role.ADMIN]
    figs = figures.compute(None, TODAY, viewer=admin)
    # Every application is another team's for them: Norway's six are counted, Iceland's one is not.
    assert {key: (f.applications, f.pooled) for key, f in figs.items()} == {
        ("NO", world.extra["busy"].pk): (6, True),
        ("NO", COUNTRY_TOTAL): (6, True),
    }


def test_the_route_ranking_of_a_team_a_case_does_not_use_team_b_lone_decision(world: World) -> None:
    worker_a = world.users[Role.CASEWORKER]
    refused = make_programme("LV", "National visa")
    walk(world.outsider, world.team_b, refused, [(S.SUBMITTED, D(2024, 1, 1)), (S.REFUSED, D(2024, 1, 9))])
    case_a: Any = make_case(worker_a, world.team_a)
    route = next(r for r in ranking.rank_routes(case_a, TODAY, viewer=worker_a) if r.programme == refused)
    assert (route.figures, route.grant_probability) == (None, 0.5)


def test_watching_the_figures_day_by_day_dates_no_application_finer_than_its_month(world: World) -> None:
    """Whole months counted from today would tick over on the day an application reaches 30, 60,
    90… days: whoever looks every day would read its submission date off the day it changes.
    Counted in calendar months, the figures change only when a month begins."""
    worker_a = world.users[Role.CASEWORKER]
    busy = world.extra["busy"].pk
    seen: list[tuple[datetime.date, float | None, float | None, float | None]] = []
    with override_settings(RELOCATION_MIN_CELL=1):
        for offset in range(62):
            day = TODAY + datetime.timedelta(days=offset)
            figs = figures.compute(None, day, viewer=worker_a)
            seen.append((day, figs[("IS", world.extra["lone"].pk)].pending_max, figs[("NO", busy)].pending_max, figs[("NO", busy)].pending_median))
    changed_on = [today for (_, *before), (today, *after) in zip(seen, seen[1:], strict=False) if before != after]
    assert changed_on == [D(2024, 7, 1), D(2024, 8, 1)]
    assert seen[0][1:] == (90.0, 120.0, 120.0)


def test_a_pooled_cell_does_not_give_the_duration_of_another_teams_lone_decision(world: World) -> None:
    """Five of team B's applications make the programme count, but only one was decided: its
    median and 90th percentile would be that application's own days from submission to decision
    (and, read on the day the count of decisions moves, both of its dates)."""
    worker_a = world.users[Role.CASEWORKER]
    programme = make_programme("FI", "Humanitarian admission")
    walk(world.outsider, world.team_b, programme, [(S.SUBMITTED, D(2024, 1, 10)), (S.DECISION, D(2024, 4, 3))])
    for day in (2, 4, 6, 9):
        walk(world.outsider, world.team_b, programme, [(S.SUBMITTED, D(2024, 3, day))])
    figs = figures.compute(["FI"], TODAY, viewer=worker_a)
    cell, total = figs[("FI", programme.pk)], figs[("FI", COUNTRY_TOTAL)]
    assert (cell.applications, cell.decisions, cell.pooled) == (5, 1, True)
    assert (cell.decision_median, cell.decision_p90, total.decision_median, total.decision_p90) == (None, None, None, None)
    # Team B sees its own decision exactly.
    own = figures.compute(["FI"], TODAY, viewer=world.outsider)[("FI", programme.pk)]
    assert (own.decision_median, own.pooled) == (84.0, False)
