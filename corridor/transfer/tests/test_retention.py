"""Retention policies (issue 13, item 5): set by admins, enforced by `corridor purge` and the
scheduler's job, every deletion audited by id, a dry run deleting nothing."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, Person, Status
from corridor.intake.models import IntakeRequest, RequestState
from corridor.intake.tests.helpers import submit
from corridor.keys import instance
from corridor.notifications import jobs
from corridor.notifications.models import Alert
from corridor.transfer import retention
from corridor.transfer.domain.erasure import request_erasure
from corridor.transfer.domain.retention import purge, set_policy
from corridor.transfer.models import ErasureRequest, ErasureStatus, RecordKind

pytestmark = pytest.mark.django_db(transaction=True)

LONG_AGO = timezone.now() - datetime.timedelta(days=400)


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    # The help form's rate limits count in the cache, which outlives a test's database.
    cache.clear()


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="North")


def _old_request(state: str = RequestState.OPEN) -> IntakeRequest:
    known = list(IntakeRequest.objects.values_list("pk", flat=True))
    response, _codename = submit()
    assert response.status_code == 200
    request = IntakeRequest.objects.exclude(pk__in=known).get()
    IntakeRequest.objects.filter(pk=request.pk).update(state=state, activity_hour=LONG_AGO)
    return request


def _closed_case(team: Team, name: str) -> tuple[Person, Case]:
    worker = make_staff(Role.CASEWORKER, teams=[team])
    person, case = cases_domain.create_person_with_case(worker, team=team, names=[{"name": name}])
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, updated=LONG_AGO)
    return person, case


def test_only_admins_set_policies_and_it_is_audited(team: Team) -> None:
    admin = make_staff(Role.ADMIN)
    with pytest.raises(PermissionDenied):
        set_policy(make_staff(Role.CASEWORKER, teams=[team]), RecordKind.CLOSED_CASES, 365)
    with pytest.raises(ValidationError):
        set_policy(admin, RecordKind.CLOSED_CASES, 0)
    with pytest.raises(ValidationError):
        set_policy(admin, "everything", 10)
    policy = set_policy(admin, RecordKind.CLOSED_CASES, 365)
    assert AuditEntry.objects.filter(action=retention.RetentionAudit.POLICY_SET, object_id=str(policy.pk)).exists()
    assert {p.kind: p.days for p in retention.policies()}[RecordKind.CLOSED_CASES] == 365
    set_policy(admin, RecordKind.CLOSED_CASES, None)
    assert {p.kind: p.days for p in retention.policies()}[RecordKind.CLOSED_CASES] is None


def test_dry_run_lists_and_purge_deletes_what_is_past_its_time(team: Team) -> None:
    old = _old_request()
    spam = _old_request(RequestState.SPAM)
    submit()
    fresh = IntakeRequest.objects.exclude(pk__in=[old.pk, spam.pk]).get()
    person, case = _closed_case(team, "Closed Long Ago")
    waiting = request_erasure(make_staff(Role.CASEWORKER, teams=[team]), person)
    _kept_person, kept_case = _closed_case(team, "Closed Recently")
    Case.objects.filter(pk=kept_case.pk).update(updated=timezone.now())
    set_policy(make_staff(Role.ADMIN), RecordKind.CLOSED_CASES, 365)

    dry = purge(dry_run=True)
    assert dry.ids[RecordKind.INTAKE_UNANSWERED] == [str(old.pk)]
    assert dry.ids[RecordKind.INTAKE_SPAM] == [str(spam.pk)]
    assert dry.ids[RecordKind.CLOSED_CASES] == [str(case.pk)]
    assert IntakeRequest.objects.count() == 3 and Case.objects.filter(pk=case.pk).exists()

    out = io.StringIO()
    call_command("purge", "--dry-run", stdout=out)
    assert "closed_cases: would delete 1" in out.getvalue()

    done = purge()
    assert done.counts[RecordKind.CLOSED_CASES] == 1
    assert list(IntakeRequest.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not Case.objects.filter(pk=case.pk).exists() and Case.objects.filter(pk=kept_case.pk).exists()
    assert Person.objects.only("erased").get(pk=person.pk).erased is not None
    assert ErasureRequest.objects.get(pk=waiting.pk).status == ErasureStatus.DONE
    # Each deletion audited by id, no details.
    entries = AuditEntry.objects.filter(action=retention.RetentionAudit.PURGED)
    assert {old.pk.hex, spam.pk.hex} <= {e.object_id.replace("-", "") for e in entries}
    assert all(not e.details for e in entries)
    # Nothing left to do: a second run deletes nothing and records nothing.
    before = AuditEntry.objects.count()
    assert purge().total == 0
    assert AuditEntry.objects.count() == before


def test_the_scheduler_runs_the_purge_even_sealed(team: Team) -> None:
    names = {job.name: job for job in jobs.registered()}
    assert names["transfer.retention_purge"].every_seconds == retention.EVERY_SECONDS
    old = _old_request()
    Alert.objects.create(subject_key="x" * 64, due=None, created=LONG_AGO)
    person, case = _closed_case(team, "Closed While Sealed")
    set_policy(make_staff(Role.ADMIN), RecordKind.CLOSED_CASES, 365)
    instance.keyring().seal()
    names["transfer.retention_purge"].fn()
    assert not IntakeRequest.objects.filter(pk=old.pk).exists()
    assert not Alert.objects.exists()
    # Shredding needs no key: the closed case and its only member went while sealed.
    assert not Case.objects.filter(pk=case.pk).exists()
    assert Person.objects.only("erased").get(pk=person.pk).erased is not None
