"""The figures read a summary per programme (FigureCell) and a per-application tally, both kept
by the domain functions (tally.py): over a seeded random history of every kind of move, they
equal the figures computed from the raw status history, for everyone and for a viewer; after
every further move (status moved back, withdrawn, refused) the summary is the one counted
afresh from the tally; rebuild and the migrations' backfills give the same rows. (After an
erasure: tests/test_relocation_tally_erasure.py, outside relocation, which may not import
documentation even through transfer; concurrent moves: test_concurrency.py.)"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import random
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.relocation import domain, figures, tally
from corridor.relocation.models import APPLICATION_TRANSITIONS, Application, ApplicationTally, Country, FigureCell, Programme
from corridor.relocation.tests.factories import S, caseworker_for, make_programme, walk

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2024, 6, 30)

# Paths an application can take (APPLICATION_TRANSITIONS), each cut at a random length below.
PATHS = (
    [S.SUBMITTED, S.DECISION, S.VISA_ISSUED, S.TRAVEL_BOOKED, S.DEPARTED, S.ARRIVED],
    [S.SUBMITTED, S.INTERVIEW, S.DOCUMENTS_REQUESTED, S.SUBMITTED, S.REFUSED],
    [S.SUBMITTED, S.VISA_ISSUED, S.WITHDRAWN],
    [S.SUBMITTED, S.INTERVIEW, S.VISA_ISSUED, S.TRAVEL_BOOKED, S.DEPARTED, S.ARRIVED],
    [S.SUBMITTED, S.REFUSED],
    [S.WITHDRAWN],
    [S.SUBMITTED, S.DOCUMENTS_REQUESTED, S.INTERVIEW, S.WITHDRAWN],
)


def _rounded(figs: dict[tuple[str, int], figures.Figures]) -> dict[tuple[str, int], dict[str, Any]]:
    """Figures as plain values, durations to 9 decimals (two sums of the same terms in another order)."""
    return {
        key: {k: round(v, 9) if isinstance(v, float) else v for k, v in dataclasses.asdict(f).items()} for key, f in figs.items()
    }


def _history(seed: int, teams: list[Team], programmes: list[Programme], count: int) -> list[Application]:
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        team = rng.choice(teams)
        actor = caseworker_for(team)
        path = rng.choice(PATHS)
        day = D(2023, 1, 1) + datetime.timedelta(days=rng.randint(0, 400))
        steps = []
        for status in path[: rng.randint(0, len(path))]:
            day += datetime.timedelta(days=rng.randint(0, 40))  # 0: two moves on one day
            steps.append((status, min(day, TODAY)))
        made.append(walk(actor, team, rng.choice(programmes), steps))
    return made


@pytest.fixture
def history() -> dict[str, Any]:
    teams = [Team.objects.create(name="Tally A"), Team.objects.create(name="Tally B")]
    programmes = [make_programme("IS"), make_programme("IS", "National visa"), make_programme("NO"), make_programme("CA")]
    applications = _history(15, teams, programmes, 70)
    return {"teams": teams, "programmes": programmes, "applications": applications}


def _assert_same(**kwargs: Any) -> None:
    tallied = figures.compute(today=TODAY, **kwargs)
    raw = figures.compute(today=TODAY, from_events=True, **kwargs)
    assert tallied, "a history with no figures proves nothing"
    assert _rounded(tallied) == _rounded(raw)


def cells() -> list[tuple[str, int, int, int, int]]:
    """The summary as it is: (country, programme, measure, value, n), sorted."""
    return sorted(FigureCell.objects.values_list("country_id", "programme", "measure", "value", "n"))


def counted_afresh() -> list[tuple[str, int, int, int, int]]:
    """The summary as counted from the tally rows that exist now (tally.cells_sql)."""
    with connection.cursor() as cursor:
        cursor.execute(tally.cells_sql("relocation_applicationtally"))
        return sorted((c, int(p), int(m), int(v), int(n)) for c, p, m, v, n in cursor.fetchall())


def assert_summary_in_step() -> None:
    """The summary kept move by move is the one counted afresh, and holds no empty cell."""
    kept = cells()
    assert kept, "an empty summary proves nothing"
    assert kept == counted_afresh()
    assert min(n for *_cell, n in kept) > 0


def test_tally_figures_equal_the_figures_from_the_events(history: dict[str, Any]) -> None:
    assert ApplicationTally.objects.count() == len(history["applications"])
    assert_summary_in_step()
    _assert_same()
    _assert_same(countries=["IS", "CA"])
    viewer = caseworker_for(history["teams"][0])
    _assert_same(viewer=viewer)
    with override_settings(RELOCATION_MIN_CELL=3):  # pools other teams' applications in some programmes
        _assert_same(viewer=viewer)
    # A history built of every move: drafts, grants, refusals, withdrawals, arrivals and pending ones.
    figs = figures.compute(today=TODAY)
    totals = [f for (_c, p), f in figs.items() if p == figures.COUNTRY_TOTAL]
    assert all(sum(getattr(f, name) for f in totals) > 0 for name in ("grants", "refusals", "withdrawn", "pending"))
    assert sum(f.funnel["arrived"] for f in totals) > 0


def test_every_move_keeps_the_tally_in_step(history: dict[str, Any]) -> None:
    """One more move on open applications, each followed by the comparison."""
    rng = random.Random(3)
    moved = 0
    for application in history["applications"]:
        application.refresh_from_db()
        nexts = sorted({S.WITHDRAWN, S.REFUSED, S.SUBMITTED} & APPLICATION_TRANSITIONS[S(application.status)])
        if not nexts:
            continue
        new = rng.choice(nexts)
        extra = {"refusal_reason": "no_reason"} if new == S.REFUSED else {}
        domain.transition_application(caseworker_for(application.case.team), application, new, reason="again", on=TODAY, **extra)
        _assert_same()
        assert_summary_in_step()
        moved += 1
        if moved == 10:
            break
    assert moved == 10


def test_moving_back_and_on_keeps_the_summary_in_step(history: dict[str, Any]) -> None:
    """Documents requested sends an application back to "submitted" (a second submission, whose
    date the figures ignore), then on to a grant and a withdrawal; each move changes several
    cells. Then the case applies to the programme again."""
    team = history["teams"][0]
    actor = caseworker_for(team)
    programme = history["programmes"][0]
    application = walk(actor, team, programme, [(S.SUBMITTED, D(2024, 1, 10)), (S.DOCUMENTS_REQUESTED, D(2024, 2, 1))])
    moves = (
        (S.SUBMITTED, D(2024, 2, 20)),
        (S.INTERVIEW, D(2024, 3, 1)),
        (S.VISA_ISSUED, D(2024, 4, 1)),
        (S.WITHDRAWN, D(2024, 4, 2)),
    )
    for status, day in moves:
        domain.transition_application(actor, application, status, reason="next", on=day)
        assert_summary_in_step()
        _assert_same()
    mine = figures.compute(today=TODAY)[("IS", programme.pk)]
    assert (mine.grants, mine.withdrawn) >= (1, 1)
    # Reopened: the same case applies to the same programme again once the first is closed.
    again = walk(actor, application.case, programme, [(S.SUBMITTED, D(2024, 5, 1))])
    assert again.pk != application.pk
    assert_summary_in_step()
    _assert_same()
    assert figures.compute(today=TODAY)[("IS", programme.pk)].applications == mine.applications + 1


def test_a_programme_moved_to_another_country_takes_its_counts_along(history: dict[str, Any]) -> None:
    programme = history["programmes"][1]  # one of two in IS
    norway_before = figures.compute(today=TODAY)[("NO", figures.COUNTRY_TOTAL)].applications
    moved = figures.compute(today=TODAY)[("IS", programme.pk)].applications
    coordinator = make_staff(Role.RELOCATION, username="coord-mover")
    domain.update_programme(coordinator, programme, country=Country.objects.get(pk="NO"))
    assert_summary_in_step()
    _assert_same()
    assert figures.compute(today=TODAY)[("NO", figures.COUNTRY_TOTAL)].applications == norway_before + moved > norway_before


def test_rebuild_and_the_migration_backfill_give_the_domain_rows(history: dict[str, Any]) -> None:
    def rows() -> list[tuple[Any, ...]]:
        return list(ApplicationTally.objects.order_by("pk").values_list())

    kept, kept_cells = rows(), cells()
    ApplicationTally.objects.all().delete()
    assert cells() == []  # each deleted tally row took its counts with it (tally.forget)
    tally.rebuild()
    assert (rows(), cells()) == (kept, kept_cells)
    ApplicationTally.objects.all().delete()
    editor = type("SchemaEditor", (), {"connection": connection})()
    importlib.import_module("corridor.relocation.migrations.0004_application_tally").backfill(None, editor)
    importlib.import_module("corridor.relocation.migrations.0005_figure_cells").backfill(None, editor)
    assert (rows(), cells()) == (kept, kept_cells)
    _assert_same()
