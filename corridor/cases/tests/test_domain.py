"""Case work through the domain functions: people, search, duplicates, workflow, safe houses."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.cases import domain
from corridor.cases.models import ConsentScope, Priority, RiskFactor, Status, VerificationMethod

pytestmark = pytest.mark.django_db


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="North")


@pytest.fixture
def worker(team: Team):
    return make_staff(Role.CASEWORKER, teams=[team], username="worker")


def _person(worker, name: str = "Магомед Исаев", born: int = 1994, phone: str = "+7 928 000 11 22"):
    return domain.create_person(
        worker,
        names=[{"name": name, "kind": "legal"}],
        birth_date=datetime.date(born, 3, 1),
        contacts=[{"kind": "phone", "value": phone}],
    )


def test_search_finds_a_person_by_any_spelling_codename_or_phone(worker, team) -> None:
    person = _person(worker)
    domain.open_case(worker, team=team, principal=person)
    for query in ("Магомед Исаев", "Magomed Isaev", "MAGOMED ISAEV", person.codename, "89280001122"):
        assert [p.pk for p in domain.search_people(worker, query)] == [person.pk], query
    assert domain.search_people(worker, "Ахмед Исаев") == []


def test_people_in_other_teams_are_not_found(worker, team) -> None:
    other_team = Team.objects.create(name="South")
    other = make_staff(Role.CASEWORKER, teams=[other_team], username="other")
    person = _person(other)
    domain.open_case(other, team=other_team, principal=person)
    assert domain.search_people(worker, "Magomed Isaev") == []


def test_duplicates_are_reported_before_saving(worker, team) -> None:
    person = _person(worker)
    domain.open_case(worker, team=team, principal=person)
    found = domain.find_duplicates(worker, names=["Magomed Isaev"], birth_year=1994, phones=[])
    assert [d.person.pk for d in found if d.person] == [person.pk]
    by_phone = domain.find_duplicates(worker, names=["Someone Else"], birth_year=None, phones=["8 (928) 000-11-22"])
    assert [d.person.pk for d in by_phone if d.person] == [person.pk]
    assert domain.find_duplicates(worker, names=["Magomed Isaev"], birth_year=1990, phones=[]) == []


def test_duplicate_in_another_team_is_not_told_but_reviewed(worker, team) -> None:
    from corridor.cases.models import DuplicateReview

    other_team = Team.objects.create(name="South")
    other = make_staff(Role.CASEWORKER, teams=[other_team], username="other")
    case = domain.open_case(other, team=other_team, principal=_person(other))
    found = domain.find_duplicates(worker, names=["Магомед Исаев"], birth_year=1994, phones=[])
    assert found == []
    assert list(DuplicateReview.objects.values_list("user", "person")) == [(worker.pk, case.members.get().person_id)]


def test_workflow_needs_verification_and_a_reason(worker, team) -> None:
    case = domain.open_case(worker, team=team, principal=_person(worker))
    with pytest.raises(ValidationError):
        domain.transition(worker, case, Status.VERIFYING, "  ")
    domain.transition(worker, case, Status.VERIFYING, "referred by a partner")
    with pytest.raises(ValidationError):
        domain.transition(worker, case, Status.ACTIVE, "looks fine")
    domain.record_verification(worker, case, VerificationMethod.INTERVIEW, "video call")
    domain.transition(worker, case, Status.ACTIVE, "interviewed")
    with pytest.raises(ValidationError):
        domain.transition(worker, case, Status.ARRIVED, "skip ahead")
    domain.transition(worker, case, Status.ON_HOLD, "lost contact")
    with pytest.raises(ValidationError):
        domain.transition(worker, case, Status.RELOCATING, "back")
    domain.transition(worker, case, Status.ACTIVE, "contact again")
    assert [c.new for c in case.status_changes.all()] == ["verifying", "active", "on_hold", "active"]


def test_consent_is_checked_and_withdrawable(worker, team) -> None:
    person = _person(worker)
    case = domain.open_case(worker, team=team, principal=person)
    assert not domain.has_consent(case, person, ConsentScope.SHARE, "Partner Org")
    consent = domain.record_consent(worker, case, person, ConsentScope.SHARE, datetime.date.today(), partner="Partner Org")
    assert domain.has_consent(case, person, ConsentScope.SHARE, "partner org")
    assert not domain.has_consent(case, person, ConsentScope.SHARE, "Another Org")
    domain.withdraw_consent(worker, consent)
    with pytest.raises(PermissionDenied):
        domain.require_consent(case, person, ConsentScope.SHARE, "Partner Org")


def test_risk_suggestion_and_override(worker, team) -> None:
    case = domain.open_case(worker, team=team, principal=_person(worker))
    assert domain.suggest_priority([RiskFactor.BEING_SEARCHED]) == Priority.EMERGENCY
    assert domain.suggest_priority([RiskFactor.HEALTH]) == Priority.URGENT
    assert domain.suggest_priority([]) == Priority.NORMAL
    with pytest.raises(ValidationError):
        domain.assess_risk(worker, case, [RiskFactor.HEALTH], Priority.NORMAL)
    domain.assess_risk(worker, case, [RiskFactor.HEALTH], Priority.NORMAL, "already treated")
    domain.assess_risk(worker, case, [RiskFactor.BEING_SEARCHED], Priority.EMERGENCY)
    case.refresh_from_db()
    assert case.priority == Priority.EMERGENCY


def test_compromised_safe_house_opens_an_urgent_task_per_case(worker, team) -> None:
    house = domain.create_safe_house(worker, team=team, label="Blue", address="ул. Ленина 5, кв. 12", capacity=2)
    cases = []
    for name in ("Анзор", "Ислам"):
        person = _person(worker, name=name)
        case = domain.open_case(worker, team=team, principal=person)
        domain.place(worker, case, person, house)
        cases.append(case)
    with pytest.raises(ValidationError):
        third = _person(worker, name="Третий")
        domain.place(worker, domain.open_case(worker, team=team, principal=third), third, house)
    tasks = domain.mark_compromised(worker, house)
    assert sorted(t.case_id for t in tasks) == sorted(c.pk for c in cases)
    assert all(t.urgent and t.due == datetime.date.today() for t in tasks)


def test_erasing_a_person_makes_them_unreadable(worker, team) -> None:
    from corridor.cases.models import Person
    from corridor.keys.fields import Shredded

    person = _person(worker)
    domain.open_case(worker, team=team, principal=person)
    domain.erase_person(worker, person)
    fresh = Person.objects.get(pk=person.pk)
    with pytest.raises(Shredded):
        _ = fresh.names
    assert domain.search_people(worker, "Magomed Isaev") == []


def test_refused_access_to_an_existing_case_is_audited_and_looks_missing(worker, team) -> None:
    import uuid

    from django.http import Http404

    from corridor.audit.models import AuditEntry
    from corridor.cases import access

    other_team = Team.objects.create(name="South")
    other = make_staff(Role.CASEWORKER, teams=[other_team], username="other")
    case = domain.open_case(other, team=other_team, principal=_person(other))
    with pytest.raises(Http404):
        access.get_case_for_user(worker, case.pk)
    denied = AuditEntry.objects.filter(action="access.deny", object_id=str(case.pk))
    assert [entry.actor_id for entry in denied] == [worker.pk]
    with pytest.raises(Http404):
        access.get_case_for_user(worker, uuid.uuid4())
    assert AuditEntry.objects.filter(action="access.deny").count() == 1


def test_references_keep_counting_past_9999(worker, team) -> None:
    from django.utils import timezone

    from corridor.cases.models import Case

    case = domain.open_case(worker, team=team, principal=_person(worker))
    Case.objects.filter(pk=case.pk).update(reference=f"C-{timezone.now().year}-9999")
    second = domain.open_case(worker, team=team, principal=_person(worker, name="Второй"))
    Case.objects.filter(pk=second.pk).update(reference=f"C-{timezone.now().year}-10000")
    third = domain.open_case(worker, team=team, principal=_person(worker, name="Третий"))
    assert third.reference == f"C-{timezone.now().year}-10001"
