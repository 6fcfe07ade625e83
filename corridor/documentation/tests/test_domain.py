"""Documentation actions: what each accepts and refuses, and that each is audited."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from corridor.accounts import domain as accounts_domain
from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.core.errors import Conflict
from corridor.documentation import domain
from corridor.documentation.models import Information, Source, Term, Vocabulary
from corridor.documentation.tests.factories import D, act_on, event, officer, perpetrator, person_in_case, source, term

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    return accounts_domain.create_team(None, "Documentation A")


@pytest.fixture
def doc(team):
    return officer(team)


def test_vocabulary_is_seeded_in_english_and_russian() -> None:
    torture = term("torture")
    assert torture.labels == {"en": "torture", "ru": "пытки"}
    shock = term("electric_shock", Vocabulary.METHOD)
    assert shock.parent == torture
    assert {"arbitrary_detention", "enforced_disappearance", "killing", "threats", "forced_outing", "extortion"} <= set(
        Term.objects.filter(vocabulary=Vocabulary.ACT_TYPE).values_list("code", flat=True)
    )


def test_add_and_update_term(doc) -> None:
    new = domain.add_term(
        doc, vocabulary=Vocabulary.ACT_TYPE, code="forced_labour", labels={"en": "forced labour", "ru": "принудительный труд"}
    )
    assert new.labels["ru"] == "принудительный труд"
    with pytest.raises(ValidationError):
        domain.add_term(doc, vocabulary=Vocabulary.ACT_TYPE, code="forced_labour", labels={"en": "again"})
    with pytest.raises(ValidationError):
        domain.add_term(doc, vocabulary=Vocabulary.ACT_TYPE, code="Bad Code!", labels={"en": "x"})
    with pytest.raises(ValidationError):
        domain.add_term(doc, vocabulary=Vocabulary.ACT_TYPE, code="nolabel", labels={"ru": "только по-русски"})
    domain.update_term(doc, new, labels={"en": "forced labour", "ru": "принудительный труд (исправлено)"}, active=False)
    new.refresh_from_db()
    assert (new.labels["ru"], new.active) == ("принудительный труд (исправлено)", False)


def test_caseworker_may_not_record(team) -> None:
    caseworker = make_staff(Role.CASEWORKER, teams=[team])
    with pytest.raises(PermissionDenied):
        event(caseworker, team)


def test_event_dates_are_checked(doc, team) -> None:
    with pytest.raises(ValidationError) as refused:
        event(doc, team, start=D(2017, 3, 5), end=D(2017, 3, 1))
    assert "end" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        event(doc, team, start=datetime.date.today() + datetime.timedelta(days=2))
    assert "start" in refused.value.message_dict
    with pytest.raises(ValidationError):
        event(doc, team, title="  ")


def test_event_for_another_team_is_refused(doc) -> None:
    other = accounts_domain.create_team(None, "Elsewhere")
    with pytest.raises(ValidationError):
        event(doc, other)


def test_update_event_from_a_stale_copy_is_a_conflict(doc, team) -> None:
    made = event(doc, team)
    stale = made.updated
    domain.update_event(doc, made, title="Detention and transfer", seen=stale)
    with pytest.raises(Conflict):
        domain.update_event(doc, made, description="later", seen=stale)
    made.refresh_from_db()
    assert (made.title, made.description) == ("Detention and transfer", None)


def test_event_chain_refuses_cycles(doc, team) -> None:
    detention, transfer, release = (
        event(doc, team, title="detention"),
        event(doc, team, title="transfer"),
        event(doc, team, title="release"),
    )
    domain.link_events(doc, transfer, detention)
    domain.link_events(doc, release, transfer)
    with pytest.raises(ValidationError):
        domain.link_events(doc, detention, release)
    with pytest.raises(ValidationError):
        domain.link_events(doc, detention, detention)
    detention.refresh_from_db()
    assert detention.follows_id is None


def test_act_victim_must_be_visible(doc, team) -> None:
    made = event(doc, team)
    mine, _case = person_in_case(team)
    theirs, _other = person_in_case(accounts_domain.create_team(None, "Other team"))
    act = act_on(doc, made, mine, methods=[term("beating", Vocabulary.METHOD)])
    assert list(act.methods.values_list("code", flat=True)) == ["beating"]
    with pytest.raises(ValidationError) as refused:
        act_on(doc, made, theirs)
    assert "victim" in refused.value.message_dict
    with pytest.raises(ValidationError):
        domain.add_act(doc, made, victim=mine, act_type=term("beating", Vocabulary.METHOD))
    with pytest.raises(ValidationError):
        act_on(doc, made, mine, start=D(2017, 3, 5), end=D(2017, 3, 2))


def test_update_act_and_involvements(doc, team) -> None:
    victim, _case = person_in_case(team)
    act = act_on(doc, event(doc, team), victim)
    domain.update_act(
        doc, act, physical_consequences="broken ribs", end_status="released", methods=[term("electric_shock", "method")]
    )
    act.refresh_from_db()
    assert (act.physical_consequences, act.end_status) == ("broken ribs", "released")
    unit = perpetrator(doc)
    involvement = domain.add_involvement(doc, act, perpetrator=unit, degree="direct")
    with pytest.raises(ValidationError):
        domain.add_involvement(doc, act, perpetrator=unit, degree="ordered")
    with pytest.raises(ValidationError):
        domain.add_involvement(doc, act, perpetrator=perpetrator(doc, "Other"), degree="nonsense")
    domain.remove_involvement(doc, involvement)
    assert act.involvements.count() == 0


def test_perpetrator_part_of_refuses_cycles(doc) -> None:
    ministry = perpetrator(doc, "Ministry", "institution")
    unit = domain.create_perpetrator(doc, kind="unit", name="Unit", part_of=ministry)
    with pytest.raises(ValidationError):
        domain.update_perpetrator(doc, ministry, part_of=unit)


def test_sources_derivation_refuses_cycles(doc, team) -> None:
    a, b, c = source(doc, team, title="a"), source(doc, team, title="b"), source(doc, team, title="c")
    domain.mark_derived(doc, b, a)
    domain.mark_derived(doc, c, b)
    assert domain.root_of(c) == a
    with pytest.raises(ValidationError):
        domain.mark_derived(doc, a, c)
    with pytest.raises(ValidationError):
        domain.mark_derived(doc, a, a)
    assert Source.objects.get(pk=a.pk).derived_from_id is None


def test_testimony_needs_a_visible_person(doc, team) -> None:
    witness, _case = person_in_case(team, "Witness Name")
    hidden, _other = person_in_case(accounts_domain.create_team(None, "Hidden team"), "Hidden Name")
    source(doc, team, kind="testimony", person=witness)
    with pytest.raises(ValidationError):
        source(doc, team, kind="testimony")
    with pytest.raises(ValidationError):
        source(doc, team, kind="testimony", person=hidden)
    with pytest.raises(ValidationError):
        source(doc, team, kind="media", person=witness)
    with pytest.raises(ValidationError):
        source(doc, team, url="javascript:alert(1)")


def test_information_targets_exactly_one(doc, team) -> None:
    victim, _case = person_in_case(team)
    made = event(doc, team)
    act = act_on(doc, made, victim)
    report = source(doc, team)
    with pytest.raises(ValidationError):
        domain.link_information(doc, report, event=made, act_=act, how_known="hearsay")
    with pytest.raises(ValidationError):
        domain.link_information(doc, report, how_known="hearsay")
    with pytest.raises(ValidationError):
        domain.link_information(
            doc, report, act_=act, how_known="hearsay", reported_start=D(2017, 3, 4), reported_end=D(2017, 3, 1)
        )
    info = domain.link_information(
        doc, report, act_=act, how_known="hearsay", reported_start=D(2017, 3, 1), reported_perpetrators=[perpetrator(doc)]
    )
    assert Information.objects.get(pk=info.pk).reported_perpetrators.count() == 1


def test_evidence_hash_custody_and_redacted_copy(doc, team) -> None:
    import hashlib

    made = event(doc, team)
    body = b"medical report: bruises consistent with beating\n"
    evidence = domain.add_evidence(doc, made, SimpleUploadedFile("report.txt", body, "text/plain"))
    assert evidence.sha256 == hashlib.sha256(body).hexdigest()
    assert [entry["action"] for entry in evidence.custody] == ["received"]
    assert domain.open_evidence(doc, evidence) == body
    copy = domain.add_redacted_copy(
        doc, evidence, SimpleUploadedFile("report.txt", b"medical report: [redacted]\n", "text/plain"), note="for the UN"
    )
    assert copy.redacted_from == evidence
    evidence.refresh_from_db()
    assert [entry["action"] for entry in evidence.custody] == ["received", "viewed", "redacted"]
    with pytest.raises(ValidationError):
        domain.add_redacted_copy(doc, copy, SimpleUploadedFile("r.txt", b"x\n", "text/plain"), note="copy of copy")
    domain.record_custody(doc, evidence, "handed_over", "to the lawyer")
    with pytest.raises(ValidationError):
        domain.record_custody(doc, evidence, "received", "forged")
    names = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "documentation.evidence.add",
        "documentation.evidence.redacted",
        "documentation.evidence.custody",
        "documentation.evidence.viewed",
    } <= names
