"""Two people acting on the same rows at the same moment, with real threads on PostgreSQL.

Each test forces the order instead of hoping for it: the first action does its work inside an
open transaction and waits; the second starts; the test watches PostgreSQL until the second is
waiting for a lock the first holds (or has finished without waiting, which is the bug), then lets
the first commit. Without the row locks in the actions each test fails (checked by removing them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_world
from corridor.audit.actions import act
from corridor.cases import domain
from corridor.cases.models import Case, ConsentScope, Note, Person, Placement, SafeHouse, Status, StatusChange
from corridor.core.errors import Conflict

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has no row locks (SELECT … FOR UPDATE is ignored, a write locks the whole file): "
        "these run on PostgreSQL, as CI does (DATABASE_URL=postgres://…)",
    ),
]

WAIT = 20  # seconds; generous for a loaded CI machine, never reached when the code is right


def _case(actor: Any, team: Team, name: str) -> Case:
    person = domain.create_person(actor, names=[{"name": name, "kind": "legal"}])
    return domain.open_case(actor, team=team, principal=person)


def _principal(case: Case) -> Person:
    return case.members.get(role="principal").person


def _fresh(case: Case) -> Case:
    """Another copy of the case, as a second user's page would have read it."""
    return Case.objects.get(pk=case.pk)


class Outcome:
    """What one thread's action came to: its result, or the exception it raised."""

    def __init__(self) -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self.finished = threading.Event()


def _run(work: Callable[[], Any]) -> tuple[threading.Thread, Outcome]:
    """`work` in its own thread, with its own database connection (closed at the end)."""
    outcome = Outcome()

    def target() -> None:
        try:
            outcome.result = work()
        except BaseException as exc:  # noqa: BLE001 -- reported to the test, which asserts on it
            outcome.error = exc
        finally:
            outcome.finished.set()
            connection.close()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def _holding(work: Callable[[], Any], pause: Callable[[], None]) -> Callable[[], Any]:
    """`work` inside an outer system action whose transaction stays open (locks held) during `pause`."""

    def held() -> Any:
        with act(None, None):  # audited by the action inside
            result = work()
            pause()
        return result

    return held


def _waits_for_a_lock(outcome: Outcome) -> bool:
    """True once another session is waiting for a row lock; False if `outcome` finished without waiting."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            (waiting,) = cursor.fetchone()
        if waiting:
            return True
        if outcome.finished.is_set():
            return False
        time.sleep(0.02)
    raise AssertionError("the second action neither waited nor finished")


def _first_then_second(
    first: Callable[..., Any], second: Callable[[], Any], *, first_pauses_itself: bool = False
) -> tuple[Outcome, Outcome, bool]:
    """Run `first` up to its commit (or up to where it calls the pause it is given), start
    `second`, see whether it waits for a lock, then let `first` go on."""
    done, release = threading.Event(), threading.Event()

    def pause() -> None:
        done.set()
        assert release.wait(WAIT), "the test never released the first action"

    body = (lambda: first(pause)) if first_pauses_itself else _holding(first, pause)
    first_thread, first_outcome = _run(body)
    try:
        assert done.wait(WAIT), f"the first action did not get through: {first_outcome.error!r}"
        second_thread, second_outcome = _run(second)
        waited = _waits_for_a_lock(second_outcome)
    finally:
        release.set()
    first_thread.join(WAIT)
    second_thread.join(WAIT)
    assert first_outcome.finished.is_set() and second_outcome.finished.is_set()
    return first_outcome, second_outcome, waited


def test_two_placements_into_the_last_bed_one_succeeds_the_other_is_told_the_house_is_full() -> None:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    house: SafeHouse = domain.create_safe_house(
        worker, team=world.team_a, label="Last bed", address="ул. Ленина 5", capacity=2
    )
    domain.place(worker, (already := _case(worker, world.team_a, "Руслан Умаров")), _principal(already), house)
    # Two people, two cases: only the house is shared, so only the house's lock can keep them apart.
    case_a, case_b = _case(worker, world.team_a, "Адам Ахмадов"), _case(worker, world.team_a, "Ибрагим Хасанов")

    first, second, waited = _first_then_second(
        lambda: domain.place(worker, case_a, _principal(case_a), house),
        lambda: domain.place(worker, case_b, _principal(case_b), house),
    )

    assert first.error is None
    assert isinstance(first.result, Placement)
    assert isinstance(second.error, ValidationError)
    assert not isinstance(second.error, Conflict)
    assert second.error.message_dict == {"safe_house": ["This safe house is full on that date."]}
    assert waited is True
    assert Placement.objects.filter(safe_house=house, end__isnull=True).count() == 2


def test_two_transitions_from_the_same_status_one_succeeds_the_other_gets_a_conflict() -> None:
    world = make_world()
    worker, hotline = world.users[Role.CASEWORKER], world.users[Role.HOTLINE]
    case = _case(worker, world.team_a, "Адам Ахмадов")
    # Both users read the case while it was new.
    seen_by_worker, seen_by_hotline = _fresh(case), _fresh(case)

    first, second, waited = _first_then_second(
        lambda: domain.transition(worker, seen_by_worker, Status.VERIFYING, "Referrer called back"),
        lambda: domain.transition(hotline, seen_by_hotline, Status.VERIFYING, "Documents arrived"),
    )

    assert first.error is None
    assert isinstance(first.result, StatusChange)
    assert isinstance(second.error, Conflict)
    assert second.error.message_dict == {
        "status": ["The case's status changed to “verifying” while you were working; nothing was changed."]
    }
    assert waited is True
    assert [(c.old, c.new, c.reason) for c in StatusChange.objects.filter(case=case)] == [
        ("new", "verifying", "Referrer called back")
    ]
    assert Case.objects.get(pk=case.pk).status == Status.VERIFYING


def _share_with_partner(
    actor: Any, case: Case, person: Person, partner: str, between: Callable[[], None] = lambda: None
) -> Note:
    """A change that relies on the person's consent to share with `partner`.

    No production change needs consent yet (the partner referral bundle is not built), so this
    stands in for it, shaped as every such action must be: require_consent inside the action.
    `between` runs after the consent was checked and before anything is written.
    """
    with act(actor, "cases.change_case", case):
        domain.require_consent(case, person, ConsentScope.SHARE, partner)
        between()
        note = domain.add_note(actor, case, f"Referral sent to {partner}.")  # its entry counts for this action too
    return note


def _case_with_consent(world: Any) -> tuple[Any, Case, Person, Any]:
    worker = world.users[Role.CASEWORKER]
    case = _case(worker, world.team_a, "Адам Ахмадов")
    person = _principal(case)
    consent = domain.record_consent(worker, case, person, ConsentScope.SHARE, timezone.localdate(), partner="Partner Org")
    return worker, case, person, consent


def test_a_change_started_before_a_withdrawal_committed_cannot_use_the_withdrawn_consent() -> None:
    world = make_world()
    worker, case, person, consent = _case_with_consent(world)
    hotline = world.users[Role.HOTLINE]

    first, second, waited = _first_then_second(
        lambda: domain.withdraw_consent(hotline, consent),
        lambda: _share_with_partner(worker, _fresh(case), person, "Partner Org"),
    )

    assert first.error is None
    assert isinstance(second.error, PermissionDenied)
    assert str(second.error) == f"{person.codename} has not consented to this."
    assert waited is True
    assert Note.objects.filter(case=case).count() == 0


def test_a_withdrawal_that_starts_during_a_change_waits_for_it() -> None:
    world = make_world()
    worker, case, person, consent = _case_with_consent(world)
    hotline = world.users[Role.HOTLINE]

    # The change holds after checking the consent, before writing anything: every action writes
    # the audit log, whose lock would otherwise keep the two apart on its own.
    first, second, waited = _first_then_second(
        lambda pause: _share_with_partner(worker, _fresh(case), person, "Partner Org", between=pause),
        lambda: domain.withdraw_consent(hotline, consent),
        first_pauses_itself=True,
    )

    assert first.error is None and second.error is None
    assert waited is True  # the withdrawal waited for the change that relied on the consent
    note = Note.objects.get(case=case)
    consent.refresh_from_db()
    assert consent.withdrawn is not None
    assert note.body == "Referral sent to Partner Org."


def test_two_cases_opened_at_once_get_two_references() -> None:
    """Both opens read the same last reference before either inserts; both succeed, numbered apart."""
    from corridor.cases.domain import cases as case_actions

    world = make_world()
    worker, hotline = world.users[Role.CASEWORKER], world.users[Role.HOTLINE]
    people = [domain.create_person(worker, names=[{"name": n, "kind": "legal"}]) for n in ("Адам", "Ислам")]
    both_read = threading.Barrier(2, timeout=WAIT)
    real = case_actions._next_reference
    reads = threading.local()

    def next_reference() -> str:
        reference = real()
        if not getattr(reads, "done", False):  # only each thread's first read waits for the other's
            reads.done = True
            both_read.wait()
        return reference

    original = case_actions._next_reference
    case_actions._next_reference = next_reference
    try:
        runs = [_run(lambda p=p, u=u: domain.open_case(u, team=world.team_a, principal=p)) for p, u in zip(people, (worker, hotline), strict=True)]
        for thread, _outcome in runs:
            thread.join(WAIT)
    finally:
        case_actions._next_reference = original

    assert [outcome.error for _thread, outcome in runs] == [None, None]
    references = sorted(outcome.result.reference for _thread, outcome in runs)
    assert len(set(references)) == 2
    assert Case.objects.count() == 2
