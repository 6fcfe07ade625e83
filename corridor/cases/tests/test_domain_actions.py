"""The case actions decide on the rows as they are under the lock, not on the caller's copy.

Each test hands an action a copy read before someone else's change (the page a second user had
open) and checks the refusal the domain gives: a Conflict for a status that moved, a clear error
for what was already done, and nothing written. Concurrency with real threads is in
test_concurrency.py (PostgreSQL).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from corridor.accounts.models import Role
from corridor.accounts.testing import World, make_world
from corridor.audit.models import AuditEntry
from corridor.cases import domain, queries
from corridor.cases.models import (
    Case,
    Consent,
    ConsentScope,
    Person,
    Placement,
    Priority,
    SafeHouse,
    Status,
    StatusChange,
    Task,
)
from corridor.core.errors import Conflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def _worker(world: World) -> Any:
    return world.users[Role.CASEWORKER]


def _case(world: World, name: str = "Адам Ахмадов", priority: str = Priority.NORMAL) -> Case:
    worker = _worker(world)
    person = domain.create_person(worker, names=[{"name": name, "kind": "legal"}])
    return domain.open_case(worker, team=world.team_a, principal=person, priority=priority)


def _principal(case: Case) -> Person:
    return case.members.get(role="principal").person


def _twice(change: Callable[[Any], object], obj: Any) -> ValidationError:
    """Make `change` to `obj`, then again to a copy read before the first: what refused the second."""
    stale = type(obj)._default_manager.get(pk=obj.pk)
    change(obj)
    with pytest.raises(ValidationError) as twice:
        change(stale)
    return twice.value


def _actions(obj: Any) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(obj.pk)).order_by("pk").values_list("action", flat=True))


def test_a_transition_decided_on_a_stale_copy_is_a_conflict_and_changes_nothing(world: World) -> None:
    worker = _worker(world)
    case = _case(world)
    stale = Case.objects.get(pk=case.pk)
    domain.transition(worker, case, Status.VERIFYING, "Referrer called back")
    assert case.status == Status.VERIFYING  # the caller's copy follows, so it can move on
    with pytest.raises(Conflict) as conflict:
        domain.transition(worker, stale, Status.CLOSED, "Duplicate")
    assert conflict.value.message_dict == {
        "status": ["The case's status changed to “verifying” while you were working; nothing was changed."]
    }
    assert StatusChange.objects.filter(case=case).count() == 1
    assert Case.objects.get(pk=case.pk).status == Status.VERIFYING
    assert _actions(case) == ["case.open", "case.status.verifying"]


def test_a_transition_from_the_status_a_page_showed_is_a_conflict_once_it_moved(world: World) -> None:
    worker = _worker(world)
    case = _case(world)
    domain.transition(worker, case, Status.VERIFYING, "Referrer called back")
    current = Case.objects.get(pk=case.pk)  # read by the request, after the page was shown as "new"
    with pytest.raises(Conflict):
        domain.transition(worker, current, Status.CLOSED, "Duplicate", seen=Status.NEW)
    domain.transition(worker, current, Status.CLOSED, "Duplicate", seen=Status.VERIFYING)
    assert Case.objects.get(pk=case.pk).status == Status.CLOSED


def test_a_transition_the_workflow_forbids_is_refused_on_the_locked_status(world: World) -> None:
    worker = _worker(world)
    case = _case(world)
    with pytest.raises(ValidationError) as refused:
        domain.transition(worker, case, Status.ARRIVED, "Landed")
    assert not isinstance(refused.value, Conflict)
    assert refused.value.message_dict == {"status": ["A case cannot go from “new” to “arrived”."]}


def test_the_permission_is_checked_before_anything_is_read(world: World) -> None:
    case = _case(world)
    relocation = world.users[Role.RELOCATION]
    with pytest.raises(PermissionDenied):
        domain.transition(relocation, case, Status.VERIFYING, "")  # no reason either: the permission comes first
    with pytest.raises(PermissionDenied):
        domain.create_safe_house(world.users[Role.HOTLINE], team=world.team_a, label="X", address="Y", capacity=0)


def test_a_priority_set_on_a_stale_copy_keeps_the_rest_of_the_row(world: World) -> None:
    worker = _worker(world)
    case = _case(world)
    stale = Case.objects.get(pk=case.pk)
    domain.transition(worker, case, Status.VERIFYING, "Referrer called back")
    domain.set_priority(worker, stale, Priority.URGENT)
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.status, fresh.priority) == (Status.VERIFYING, Priority.URGENT)
    assert _actions(case)[-1] == "case.priority.urgent"


def test_updating_a_person_from_a_stale_copy_changes_only_the_fields_given(world: World) -> None:
    worker = _worker(world)
    case = _case(world)
    person = _principal(case)
    stale = Person.objects.get(pk=person.pk)
    domain.update_person(worker, person, location="Тбилиси")
    domain.update_person(worker, stale, languages=["ce", "ru"])
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.location, fresh.languages) == ("Тбилиси", ["ce", "ru"])


def test_withdrawing_a_consent_twice_is_refused_by_the_domain(world: World) -> None:
    worker = _worker(world)
    case = _case(world)
    today = timezone.localdate()
    consent = domain.record_consent(worker, case, _principal(case), ConsentScope.STORE, today)
    stale = Consent.objects.get(pk=consent.pk)
    with pytest.raises(ValidationError) as early:
        domain.withdraw_consent(worker, consent, today - datetime.timedelta(days=1))
    assert early.value.message_dict == {"on": ["A consent cannot be withdrawn before it was given."]}
    domain.withdraw_consent(worker, consent)
    assert consent.withdrawn == today
    with pytest.raises(ValidationError) as twice:
        domain.withdraw_consent(worker, stale)
    assert twice.value.message_dict == {"on": ["This consent was already withdrawn."]}
    assert _actions(case).count("consent.withdraw.store") == 1


def test_ending_a_placement_twice_is_refused_by_the_domain(world: World) -> None:
    worker = _worker(world)
    case = _case(world)
    house = domain.create_safe_house(worker, team=world.team_a, label="Green", address="ул. Ленина 5", capacity=2)
    placement = domain.place(worker, case, _principal(case), house)
    stale = Placement.objects.get(pk=placement.pk)
    domain.end_placement(worker, placement)
    with pytest.raises(ValidationError) as twice:
        domain.end_placement(worker, stale, timezone.localdate() + datetime.timedelta(days=3))
    assert twice.value.message_dict == {"end": ["This placement has already ended."]}
    assert Placement.objects.get(pk=placement.pk).end == timezone.localdate()


def test_marking_a_house_compromised_twice_is_refused_and_makes_no_second_task(world: World) -> None:
    worker = _worker(world)
    case = _case(world)
    house = domain.create_safe_house(worker, team=world.team_a, label="Green", address="ул. Ленина 5", capacity=2)
    domain.place(worker, case, _principal(case), house)
    stale = SafeHouse.objects.get(pk=house.pk)
    assert len(domain.mark_compromised(worker, house)) == 1
    with pytest.raises(ValidationError) as twice:
        domain.mark_compromised(worker, stale)
    assert twice.value.messages == ["This safe house is already marked compromised."]
    assert Task.objects.filter(case=case, urgent=True).count() == 1


def test_reviewing_a_break_glass_twice_is_refused(world: World) -> None:
    case = _case(world)
    admin = world.users[Role.ADMIN]
    grant = domain.break_glass(world.outsider, case, "The person called our line and is in danger now.")
    twice = _twice(lambda g: domain.review_break_glass(admin, g), grant)
    assert grant.reviewed is not None
    assert twice.messages == ["This access was already reviewed."]


def test_erasing_a_person_twice_is_refused(world: World) -> None:
    worker = _worker(world)
    person = _principal(_case(world))
    twice = _twice(lambda p: domain.erase_person(worker, p), person)
    assert person.erased is not None
    assert twice.messages == ["This person's data was already erased."]
    assert _actions(person).count("person.erase") == 1


def test_completing_a_done_task_again_keeps_its_time_and_records_nothing(world: World) -> None:
    worker = _worker(world)
    case = _case(world)
    task = domain.add_task(worker, case, "Call the lawyer")
    stale = Task.objects.get(pk=task.pk)
    domain.complete_task(worker, task)
    done = Task.objects.get(pk=task.pk).done
    domain.complete_task(worker, stale)
    assert stale.done == done
    assert Task.objects.get(pk=task.pk).done == done
    assert _actions(case).count("task.done") == 1


def test_cases_are_ordered_by_urgency_in_one_place(world: World) -> None:
    worker = _worker(world)
    normal = _case(world, "Адам Ахмадов", Priority.NORMAL)
    urgent_late = _case(world, "Ибрагим Хасанов", Priority.URGENT)
    urgent_soon = _case(world, "Руслан Умаров", Priority.URGENT)
    emergency = _case(world, "Ислам Мусаев", Priority.EMERGENCY)
    domain.set_priority(worker, urgent_late, Priority.URGENT, timezone.localdate() + datetime.timedelta(days=20))
    domain.set_priority(worker, urgent_soon, Priority.URGENT, timezone.localdate() + datetime.timedelta(days=2))
    ordered = list(queries.by_urgency(Case.objects.all()).values_list("pk", flat=True))
    assert ordered == [emergency.pk, urgent_soon.pk, urgent_late.pk, normal.pk]


def test_a_reference_taken_meanwhile_gives_the_next_number(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cases opened at once read the same last reference; the second takes the next, no error."""
    from corridor.cases.domain import cases as case_actions

    first = _case(world, "Адам Ахмадов")
    real = case_actions._next_reference
    answers = iter([first.reference])  # the first try reads what another open had just taken
    monkeypatch.setattr(case_actions, "_next_reference", lambda: next(answers, None) or real())

    second = _case(world, "Ислам Мусаев")

    assert second.reference != first.reference
    assert int(second.reference.rsplit("-", 1)[1]) == int(first.reference.rsplit("-", 1)[1]) + 1
    assert Case.objects.count() == 2
    assert AuditEntry.objects.filter(action="case.open").count() == 2
