"""Two coordinators move one application at the same moment: real threads, real row locks.

Both read the application while it is "submitted" and both ask for a move that is allowed from
there. Exactly one goes through; the other waits for the first one's lock, sees the status it
left, and gets a Conflict: one new event, one audit entry, nothing half-written.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.db import connection

from corridor.accounts.models import Team
from corridor.audit.models import AuditEntry
from corridor.core.errors import Conflict
from corridor.relocation import domain
from corridor.relocation.models import Application, ApplicationEvent, Country
from corridor.relocation.tests.factories import S, caseworker_for, make_programme, walk

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs row locks (SELECT … FOR UPDATE) and concurrent writers: SQLite locks the whole file"
    ),
]


def test_two_moves_from_the_same_status_one_succeeds_the_other_conflicts() -> None:
    # A transactional test starts with the reference data flushed: one country is enough here.
    Country.objects.get_or_create(code="LT", defaults={"name_en": "Lithuania", "name_ru": "Литва"})
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    application = walk(actor, team, make_programme("LT"), [(S.SUBMITTED, datetime.date(2024, 2, 1))])
    events_before = ApplicationEvent.objects.filter(application=application).count()
    read_both = threading.Barrier(2, timeout=30)
    outcomes: dict[str, Any] = {}

    def move(new: str) -> None:
        try:
            copy = Application.objects.select_related("case__data_key").get(pk=application.pk)
            read_both.wait()  # both copies say "submitted" before either move starts
            domain.transition_application(actor, copy, new, reason=f"to {new}", on=datetime.date(2024, 2, 2))
            outcomes[new] = "moved"
        except Conflict as exc:
            outcomes[new] = exc
        except BaseException as exc:  # noqa: BLE001 -- reported by the assertion below, not swallowed
            outcomes[new] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(new,)) for new in (S.INTERVIEW, S.DOCUMENTS_REQUESTED)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(type(outcome).__name__ for outcome in outcomes.values()) == ["Conflict", "str"], outcomes
    winner = next(new for new, outcome in outcomes.items() if outcome == "moved")
    assert Application.objects.get(pk=application.pk).status == winner
    assert list(ApplicationEvent.objects.filter(application=application).values_list("status", flat=True))[events_before:] == [winner]
    moves = AuditEntry.objects.filter(object_id=str(application.pk), action__startswith="application.status.")
    assert list(moves.order_by("seq").values_list("action", flat=True)) == ["application.status.submitted", f"application.status.{winner}"]


def test_moves_of_different_applications_at_once_keep_the_summary_exact() -> None:
    """Four coordinators move four applications of one programme at the same moment: every
    move changes the same counts of the programme and its country (the summary's hot rows).
    The row locks serialise them in one order (tally._apply sorts), none deadlocks, and the
    summary is the one counted afresh from the tally; the figures equal those from the events."""
    from corridor.relocation import figures
    from corridor.relocation.tests.test_tally import _rounded, assert_summary_in_step

    Country.objects.get_or_create(code="LT", defaults={"name_en": "Lithuania", "name_ru": "Литва"})
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    programme = make_programme("LT")
    day = datetime.date(2024, 2, 1)
    applications = [walk(actor, team, programme, [(S.SUBMITTED, day)]) for _ in range(4)]
    moves = [S.REFUSED, S.DECISION, S.WITHDRAWN, S.VISA_ISSUED]
    start = threading.Barrier(len(moves), timeout=30)
    failures: list[BaseException] = []

    def move(application: Application, new: str) -> None:
        try:
            copy = Application.objects.select_related("case__data_key").get(pk=application.pk)
            extra = {"refusal_reason": "no_reason"} if new == S.REFUSED else {}
            start.wait()
            domain.transition_application(actor, copy, new, reason="at once", on=datetime.date(2024, 3, 1), **extra)
        except BaseException as exc:  # noqa: BLE001 -- reported by the assertion below, not swallowed
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=pair) for pair in zip(applications, moves, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert_summary_in_step()
    today = datetime.date(2024, 6, 1)
    mine = figures.compute(today=today)[("LT", programme.pk)]
    assert (mine.applications, mine.grants, mine.refusals, mine.withdrawn, mine.pending) == (4, 2, 1, 1, 0)
    assert _rounded(figures.compute(today=today)) == _rounded(figures.compute(today=today, from_events=True))
