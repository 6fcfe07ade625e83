"""Records that tell the truth: an application already under way can be entered with its real
dates (past ones; never future ones; events in order), and figures and route ranking say when
they rest on too little data instead of showing "33 %" for 0 of 1 or a 0-day decision.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from corridor.accounts import domain as accounts
from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff, sign_in
from corridor.relocation import figures, ranking, stats
from corridor.relocation.models import Application, Programme
from corridor.relocation.tests.factories import D, S, caseworker_for, make_case, members, walk

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
API = "/api/v1/relocation"


def _coordinator() -> tuple[Any, Team]:
    """A relocation coordinator and their team (cases are opened by its caseworker)."""
    team = Team.objects.create(name="T")
    return make_staff(Role.RELOCATION, teams=[team]), team


def _case(team: Team) -> Any:
    return make_case(caseworker_for(team), team)


def _api(user: Any) -> Client:
    token = accounts.create_api_token(user, user)
    return Client(headers={"authorization": f"Bearer {token}"})


def test_an_application_submitted_in_september_is_recorded_with_its_dates() -> None:
    coordinator, team = _coordinator()
    case = _case(team)
    lt = Programme.objects.get(country="LT")
    page = sign_in(Client(), coordinator)
    started, submitted, decided = (
        TODAY() - datetime.timedelta(days=90),
        TODAY() - datetime.timedelta(days=80),
        TODAY() - datetime.timedelta(days=10),
    )
    made = page.post(
        f"/relocation/cases/{case.pk}/applications/new/",
        {
            "programme": lt.pk,
            "channel": "Embassy in Vilnius",
            "members": [p.pk for p in members(case)],
            "on": started.isoformat(),
        },
    )
    assert made.status_code == 302, made.content.decode()[:2000]
    application = Application.objects.get(case=case)
    assert application.last_moved == started
    for status, day in ((S.SUBMITTED, submitted), (S.DECISION, decided)):
        moved = page.post(
            f"/relocation/applications/{application.pk}/transition/",
            {
                "status": status,
                "on": day.isoformat(),
                "reason": "recorded after the fact",
                "seen": Application.objects.get(pk=application.pk).status,
            },
        )
        assert moved.status_code == 302, moved.content.decode()[:2000]
    history = [(e.status, e.happened_on) for e in application.events.order_by("happened_on", "recorded")]
    assert history == [(S.DRAFT, started), (S.SUBMITTED, submitted), (S.DECISION, decided)]
    figs = figures.compute(["LT"], TODAY())[("LT", lt.pk)]
    # Days from submission to decision come from the dates entered, not the day they were typed in.
    assert (figs.decision_median, figs.grants, figs.decisions) == (70.0, 1, 1)


def test_a_future_date_is_refused_with_a_clear_message_on_the_page() -> None:
    coordinator, team = _coordinator()
    case = _case(team)
    lt = Programme.objects.get(country="LT")
    page = sign_in(Client(), coordinator)
    tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
    refused = page.post(
        f"/relocation/cases/{case.pk}/applications/new/",
        {"programme": lt.pk, "channel": "Embassy", "members": [p.pk for p in members(case)], "on": tomorrow},
    )
    assert refused.status_code == 400
    assert "The date cannot be in the future." in refused.content.decode()
    assert not Application.objects.filter(case=case).exists()
    # The date pickers offer no future day.
    assert f'max="{TODAY().isoformat()}"' in page.get(f"/relocation/cases/{case.pk}/").content.decode()


def test_an_event_cannot_be_dated_before_the_previous_one() -> None:
    coordinator, team = _coordinator()
    lt = Programme.objects.get(country="LT")
    application = walk(coordinator, _case(team), lt, [(S.SUBMITTED, D(2025, 9, 10))])
    page = sign_in(Client(), coordinator)
    refused = page.post(
        f"/relocation/applications/{application.pk}/transition/",
        {"status": S.DECISION, "on": "2025-09-01", "reason": "granted", "seen": S.SUBMITTED},
    )
    assert refused.status_code == 400
    assert "The date cannot be before the previous step (10 September 2025)." in refused.content.decode()
    application.refresh_from_db()
    assert application.status == S.SUBMITTED


def test_the_api_takes_a_past_start_and_refuses_a_future_one() -> None:
    coordinator, team = _coordinator()
    case = _case(team)
    lt = Programme.objects.get(country="LT")
    client = _api(coordinator)
    body = {"programme": lt.pk, "channel": "Embassy", "members": [str(p.pk) for p in members(case)]}
    future = client.post(
        f"{API}/cases/{case.pk}/applications/",
        body | {"on": (TODAY() + datetime.timedelta(days=3)).isoformat()},
        content_type="application/json",
    )
    assert future.status_code == 400
    assert future.json()["error"]["fields"] == {"on": ["The date cannot be in the future."]}
    made = client.post(f"{API}/cases/{case.pk}/applications/", body | {"on": "2025-09-01"}, content_type="application/json")
    assert made.status_code == 201
    assert [(e["status"], e["happened_on"]) for e in made.json()["events"]] == [("draft", "2025-09-01")]
    early = client.post(
        f"{API}/applications/{made.json()['id']}/transitions/",
        {"status": "submitted", "reason": "sent", "on": "2025-08-01"},
        content_type="application/json",
    )
    assert early.status_code == 400 and list(early.json()["error"]["fields"]) == ["on"]
    submitted = client.post(
        f"{API}/applications/{made.json()['id']}/transitions/",
        {"status": "submitted", "reason": "sent", "on": "2025-09-15"},
        content_type="application/json",
    )
    assert (submitted.status_code, submitted.json()["happened_on"]) == (201, "2025-09-15")


def test_the_threshold_is_where_the_interval_stops_being_wider_than_sixty_points() -> None:
    def widest(n: int) -> float:
        return max(high - low for low, high in (stats.grant_rate(k, n).interval for k in range(n + 1)))

    below, at = stats.MIN_DECISIONS_FOR_RATE - 1, stats.MIN_DECISIONS_FOR_RATE
    assert widest(below) > 0.6 > widest(at)
    assert (stats.grant_rate(0, below).enough, stats.grant_rate(0, at).enough) == (False, True)


def test_zero_of_one_is_too_few_not_33_percent() -> None:
    actor = caseworker_for(Team.objects.create(name="T"))
    lt = Programme.objects.get(country="LT")
    walk(actor, actor.teams.get(), lt, [(S.SUBMITTED, D(2025, 9, 1)), (S.REFUSED, D(2025, 11, 1))])
    page = sign_in(Client(), actor).get("/relocation/").content.decode()
    assert "1 decision — too few to compute a rate" in page
    assert "A grant rate is stated from 5 decisions on" in page
    assert "33%" not in page
    russian = sign_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), actor).get("/relocation/").content.decode()
    assert "1 решение — слишком мало, чтобы вычислить долю" in russian
    charts = sign_in(Client(), actor).get("/relocation/charts/").content.decode()
    assert 'id="too-few"' in charts and "33%" not in charts

    [row] = [r for r in _api(actor).get(f"{API}/figures/?country=LT").json() if r["programme"] == lt.pk]
    assert (row["grants"], row["refusals"], row["enough_for_rate"], row["enough_for_times"]) == (0, 1, False, False)

    case = make_case(actor, actor.teams.get())
    with translation.override("en"):
        [route] = [r for r in ranking.rank_routes(case, viewer=actor) if r.programme == lt]
        assert not route.enough_for_rate
        assert route.why.startswith("1 decision — too few to compute a rate;")
        assert "%" not in route.why
        # The one decision's own days are not taken for the programme's decision time.
        assert route.duration_source == "too few decisions of our own: 180 days assumed"


def test_enough_decisions_are_stated_as_a_rate() -> None:
    actor = caseworker_for(Team.objects.create(name="T"))
    lt = Programme.objects.get(country="LT")
    for index in range(stats.MIN_DECISIONS_FOR_RATE):
        outcome = S.DECISION if index % 2 else S.REFUSED
        walk(actor, actor.teams.get(), lt, [(S.SUBMITTED, D(2025, 1, 1)), (outcome, D(2025, 3, 1 + index))])
    figs = figures.compute(["LT"], D(2025, 6, 1))[("LT", lt.pk)]
    assert (figs.decisions, figs.rate.enough, figs.decision_times_known, figs.too_few) == (5, True, True, "")
    page = sign_in(Client(), actor).get("/relocation/").content.decode()
    assert "too few to compute" not in page
    case = make_case(actor, actor.teams.get())
    with translation.override("en"):
        [route] = [r for r in ranking.rank_routes(case, viewer=actor) if r.programme == lt]
        assert route.enough_for_rate and "% chance of a grant" in route.why
        assert route.duration_source.startswith("our 5 decisions, median")
