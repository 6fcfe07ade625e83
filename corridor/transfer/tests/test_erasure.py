"""Erasure of a person (issue 13, item 5): everything that names or describes them goes.

A person is planted through the domain with documents, notes, an intake thread, a placement,
a relocation application, a documented act and a testimony; a second person approves the
erasure; then, with the key service unsealed (every epoch it holds), every remaining row of
every model with encrypted fields is decrypted and searched, and the database and data
directory are scanned for the planted strings.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, CaseMember, Document, Note, Person, Placement, Relation, RelationKind
from corridor.documentation.models import Act, Source, SourceKind, Term, Vocabulary
from corridor.documentation.tests import factories as doc_factories
from corridor.intake import domain as intake_domain
from corridor.intake.models import IntakeMessage, IntakeRequest
from corridor.intake.tests.helpers import SECRET_CONTACT, SECRET_PLACE, SECRET_STORY, submit
from corridor.keys.errors import KeyringError
from corridor.keys.fields import EncryptedField
from corridor.keys.models import BlindIndexEntry, EncryptedFile
from corridor.relocation import domain as relocation_domain
from corridor.relocation.models import Application, Country
from corridor.relocation.tests.factories import make_programme
from corridor.transfer import erasure
from corridor.transfer.domain.erasure import approve_erasure, cancel_erasure, request_erasure
from corridor.transfer.models import ErasureStatus
from tests.seizure import scan_at_rest

pytestmark = pytest.mark.django_db(transaction=True)


def _mark(label: str) -> str:
    return f"{label}-{secrets.token_hex(6)}"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    # The help form's rate limits count in the cache, which outlives a test's database.
    cache.clear()


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="North")


def _plant(team: Team) -> tuple[Person, Case, dict[str, str], list[Path]]:
    """A person with everything the issue lists, each carrying its own planted string."""
    worker = make_staff(Role.CASEWORKER, teams=[team])
    hotline = make_staff(Role.HOTLINE, teams=[team])
    officer = doc_factories.officer(team)
    planted = {
        "name": _mark("Zelimkhan"),
        "note": _mark("hidden at the cousin's flat"),
        "summary": _mark("summary of the flight"),
        "document": _mark("passport scan of"),
        "file": _mark("passport page bytes"),
        "channel": _mark("consulate in Vilnius"),
        "act_place": _mark("the basement in Argun"),
        "testimony": _mark("they beat me with pipes"),
        "relation": _mark("brother who informed on him"),
    }
    response, _codename = submit()
    assert response.status_code == 200
    request = IntakeRequest.objects.get()
    case = intake_domain.open_case(hotline, request, name=planted["name"], team=team)
    person = CaseMember.objects.get(case=case).person
    cases_domain.add_note(worker, case, planted["note"])
    document = cases_domain.upload_document(
        worker,
        case,
        SimpleUploadedFile("passport.txt", planted["file"].encode()),
        "passport",
        person=person,
        description=planted["document"],
    )
    house = cases_domain.create_safe_house(worker, team=team, label="Blue", address="ул. Ленина 5", capacity=2)
    cases_domain.place(worker, case, person, house)
    # A transactional test's flush empties the rows data migrations made: made again here.
    Country.objects.get_or_create(code="LT", defaults={"name_en": "Lithuania", "name_ru": "Литва"})
    Term.objects.get_or_create(vocabulary=Vocabulary.ACT_TYPE, code="torture", defaults={"labels": {"en": "torture"}})
    programme = make_programme("LT")
    relocation_domain.create_application(worker, case, programme, channel=planted["channel"], members=[person])
    event = doc_factories.event(officer, team)
    doc_factories.act_on(officer, event, person, place=planted["act_place"])
    doc_factories.source(officer, team, kind=SourceKind.TESTIMONY, title="Testimony", text=planted["testimony"], person=person)
    # A relation recorded on someone else, its note under their key: only deleting the row removes it.
    # (No domain action makes relations yet; written here as the people pages would.)
    other = cases_domain.create_person(worker, names=[{"name": "Someone Else"}])
    Relation.objects.create(person=other, other=person, kind=RelationKind.FAMILY, note=planted["relation"])
    files = [EncryptedFile.objects.get(pk=document.file_id).path]
    return person, case, planted, files


def _readable_values() -> list[str]:
    """Every encrypted value of every remaining row that still decrypts, as text."""
    found: list[str] = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedField)]
        if not names:
            continue
        for row in model._default_manager.all():
            for name in names:
                try:
                    found.append(repr(getattr(row, name)))
                except KeyringError:
                    continue
    return found


def _intake_plaintexts() -> list[str]:
    """Every intake message the instance can still open with its intake identity."""
    from corridor.keys import api as keys_api

    texts: list[str] = []
    for message in IntakeMessage.objects.all():
        # A message the instance cannot open reveals nothing: skipped.
        with contextlib.suppress(Exception):
            texts.append(keys_api.open_intake([bytes(message.ciphertext)])[0].decode(errors="replace"))
    return texts


def test_erasure_leaves_nothing_of_the_person_readable(team: Team) -> None:
    person, case, planted, files = _plant(team)
    secrets_all = [*planted.values(), SECRET_STORY, SECRET_PLACE, SECRET_CONTACT]
    # Before: the planted strings are there to find (the scan works).
    before = "\n".join(_readable_values() + _intake_plaintexts())
    for key in ("name", "note", "document", "channel", "act_place", "testimony", "relation"):
        assert planted[key] in before, key
    assert SECRET_STORY in before  # the intake thread, moved into the case notes and still in the intake
    assert all(path.exists() for path in files)

    plan = erasure.plan(person)
    assert plan.counts["documents"] == 1 and plan.counts["cases"] == 1 and plan.counts["acts"] == 1
    assert plan.counts["testimonies"] == 1 and plan.counts["placements"] == 1 and plan.counts["applications"] == 1
    assert plan.counts["name_index"] > 0 and plan.counts["notes"] >= 2 and plan.counts["relations"] == 1

    asker = make_staff(Role.CASEWORKER, teams=[team])
    approver = make_staff(Role.ADMIN, teams=[team])
    request = request_erasure(asker, person)
    done = approve_erasure(approver, request)
    assert done.status == ErasureStatus.DONE and done.counts["documents"] == 1

    person = Person.objects.only("pk", "erased", "data_key").get(pk=person.pk)
    assert person.erased is not None
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not Document.objects.exists() and not Note.objects.filter(case_id=case.pk).exists()
    assert not Placement.objects.filter(person=person).exists()
    assert not Application.objects.filter(case_id=case.pk).exists()
    assert not Act.objects.filter(victim=person).exists() and not Source.objects.filter(person=person).exists()
    assert not IntakeRequest.objects.filter(case_id=case.pk).exists()
    assert not Relation.objects.filter(other=person).exists()
    assert not BlindIndexEntry.objects.filter(data_key_id=person.data_key_id).exists()
    assert not any(path.exists() for path in files)

    readable = "\n".join(_readable_values() + _intake_plaintexts())
    for secret in secrets_all:
        assert secret not in readable, secret
    # Every byte at rest (the database file or a pg_dump, the data directory, sessions), in
    # every encoding the seizure test knows.
    assert scan_at_rest(secrets_all) == []


def test_erasure_waits_for_a_second_person(team: Team) -> None:
    worker = make_staff(Role.CASEWORKER, teams=[team])
    person, _case = cases_domain.create_person_with_case(worker, team=team, names=[{"name": "Waiting Person"}])
    request = request_erasure(worker, person)
    person.refresh_from_db()
    assert person.erased is None
    with pytest.raises(PermissionDenied):
        approve_erasure(worker, request)
    person.refresh_from_db()
    request.refresh_from_db()
    assert person.erased is None and request.status == ErasureStatus.REQUESTED
    assert str(person.names[0]["name"]) == "Waiting Person"
    with pytest.raises(ValidationError):
        request_erasure(worker, person)
    cancel_erasure(worker, request)
    other = make_staff(Role.CASEWORKER, teams=[team])
    with pytest.raises(ValidationError):
        approve_erasure(other, request)
    person.refresh_from_db()
    assert person.erased is None


def test_a_family_case_stays_and_the_preview_says_so(team: Team) -> None:
    worker = make_staff(Role.CASEWORKER, teams=[team])
    person = cases_domain.create_person(worker, names=[{"name": "Leaving Member"}])
    other = cases_domain.create_person(worker, names=[{"name": "Staying Member"}])
    case = cases_domain.open_case(worker, team=team, principal=other, dependants=[person], summary="family")
    plan = erasure.plan(person)
    assert plan.family_cases == [case] and plan.solo_cases == [] and plan.counts["cases"] == 0
    approve_erasure(make_staff(Role.ADMIN, teams=[team]), request_erasure(worker, person))
    assert Case.objects.filter(pk=case.pk).exists()
    other.refresh_from_db()
    assert other.names[0]["name"] == "Staying Member"


def test_referrals_for_them_and_of_their_cases_are_counted_and_go(team: Team) -> None:
    """Issue 13: the preview did not count referrals, and a referral prepared for them in a
    family case (which stays) kept naming them: which partner, which fields, which bundle."""
    import datetime
    import uuid

    from django.utils import timezone

    from corridor.transfer.models import Partner, Referral, ReferralImport

    worker = make_staff(Role.CASEWORKER, teams=[team])
    person = cases_domain.create_person(worker, names=[{"name": "Referred Member"}])
    other = cases_domain.create_person(worker, names=[{"name": "Staying Member"}])
    family = cases_domain.open_case(worker, team=team, principal=person, dependants=[other], summary="family")
    own = cases_domain.open_case(worker, team=team, principal=person, summary="own")
    unrelated = cases_domain.open_case(worker, team=team, principal=other, summary="theirs")
    partner = Partner.objects.create(name="Partner abroad", age_recipient="age1x", signing_key="k" * 44)
    for_them = Referral.objects.create(case=family, partner=partner, person=person, fields=["names"], bundle_sha256="a" * 64)
    of_own = Referral.objects.create(case=own, partner=partner, person=person, fields=["names"])
    for_other = Referral.objects.create(case=unrelated, partner=partner, person=other, fields=["names"])
    received = ReferralImport.objects.create(
        sender=partner,
        remote_id=uuid.uuid4(),
        case=own,
        bundle_sha256="b" * 64,
        created_at_sender=timezone.now() - datetime.timedelta(days=3),
    )
    kept = ReferralImport.objects.create(
        sender=partner, remote_id=uuid.uuid4(), case=unrelated, bundle_sha256="c" * 64, created_at_sender=timezone.now()
    )

    plan = erasure.plan(person)
    assert (plan.counts["referrals"], plan.counts["referral_imports"]) == (2, 1)
    assert (2, erasure.describe("referrals", 2)) in plan.lines()

    approve_erasure(make_staff(Role.ADMIN, teams=[team]), request_erasure(worker, person))
    assert set(Referral.objects.values_list("pk", flat=True)) == {for_other.pk}
    assert set(ReferralImport.objects.values_list("pk", flat=True)) == {kept.pk}
    assert not Referral.objects.filter(pk__in=[for_them.pk, of_own.pk]).exists()
    assert not ReferralImport.objects.filter(pk=received.pk).exists()
    assert Case.objects.filter(pk=family.pk).exists()
