"""The figures read a per-application tally kept by the domain functions (tally.py): over a
seeded random history of every kind of move, they equal the figures computed from the raw
status history, for everyone and for a viewer; the migration's backfill gives the same rows.
(After an erasure: tests/test_relocation_tally_erasure.py, outside relocation, which may not
import documentation even through transfer.)"""

from __future__ import annotations

import dataclasses
import datetime
import importlib
import random
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from corridor.accounts.models import Team
from corridor.relocation import domain, figures, tally
from corridor.relocation.models import APPLICATION_TRANSITIONS, Application, ApplicationTally, Programme
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


def test_tally_figures_equal_the_figures_from_the_events(history: dict[str, Any]) -> None:
    assert ApplicationTally.objects.count() == len(history["applications"])
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
        moved += 1
        if moved == 10:
            break
    assert moved == 10


def test_rebuild_and_the_migration_backfill_give_the_domain_rows(history: dict[str, Any]) -> None:
    def rows() -> list[tuple[Any, ...]]:
        return list(ApplicationTally.objects.order_by("pk").values_list())

    kept = rows()
    ApplicationTally.objects.all().delete()
    tally.rebuild()
    assert rows() == kept
    ApplicationTally.objects.all().delete()
    migration = importlib.import_module("corridor.relocation.migrations.0004_application_tally")
    migration.backfill(None, type("SchemaEditor", (), {"connection": connection})())
    assert rows() == kept
    _assert_same()
