"""The legacy import's bulk write path (issue 13, item 1) writes exactly what the cases app's
one-row actions write: every field decrypted and compared, the same blind-index entries, people
found by the search, one audit entry per chunk naming the import, and a log that verifies."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff
from corridor.audit.log import open_details
from corridor.audit.models import AuditEntry
from corridor.audit.verify import verify
from corridor.cases.domain.cases import open_case
from corridor.cases.domain.needs_tasks import add_note
from corridor.cases.domain.people import PERSON_FIELDS, create_person, search_people
from corridor.cases.domain.workflow import transition
from corridor.cases.models import Case, CaseMember, Person, Status
from corridor.keys.api import BlindIndexEntry
from corridor.transfer import legacy, spreadsheet
from corridor.transfer.audit_names import LegacyImportAudit
from corridor.transfer.domain.legacy import import_rows

pytestmark = pytest.mark.django_db

HEADER = "Name,Other names,Date of birth,Precision,Phone,Signal,Contact,Location,Languages,Status,Priority,Owner,Summary,Notes\n"
ROWS = [
    "Иванова Мария Петровна,Mariya Ivanova; Маша,31.05.1990,,+7 900 111-22-33,,tg @masha,у сестры,\"ru, en\",закрыто,срочно,bea,Бежала из Грозного,Живёт у сестры",
    "Ахмед  Мусаев,Akhmed Musaev,1984,,,+7 901 000 11 22,,Тбилиси,ce,на паузе,экстренный,,,",
    "Ольга Смирнова,,12/03/1975,approximate,+7 902 333 44 55,,,,,проверка,обычный,anna,Риск высокий,",
    "Ilya Kuznetsov,,,,,,,,,новое,,,,Позвонить в среду",
    "Zarema Kadyrova,Зарема,2001-07-04,,+7 903 555 66 77; +7 903 555 66 78,,email z@example.org,Москва,ru,,,bea,,",
]


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="North")


@pytest.fixture
def worker(team: Team) -> User:
    make_staff(Role.CASEWORKER, teams=[team], username="bea")
    return make_staff(Role.CASEWORKER, teams=[team], username="anna")


def _plan(worker: User, team: Team, rows: list[str] = ROWS) -> legacy.Plan:
    table = spreadsheet.read((HEADER + "\n".join(rows) + "\n").encode())
    plan = legacy.check(worker, table, legacy.suggest_mapping(table.headers), team)
    assert plan.errors == []
    assert len(plan.rows) == len(rows)
    return plan


def _one_row(actor: User, row: legacy.PlannedRow) -> Case:
    """What each row used to be: the cases app's own actions, one after another."""
    team = Team.objects.get(pk=row.team_id)
    owner = User.objects.get(pk=row.owner_id) if row.owner_id else None
    person = create_person(actor, **row.person)
    case = open_case(actor, team=team, principal=person, priority=row.priority, summary=row.summary, owner=owner)
    if row.status != Status.NEW:
        transition(actor, case, row.status, "Imported from a spreadsheet in this status.")
    if row.notes:
        add_note(actor, case, row.notes)
    return case


def _principal(case: Case) -> Person:
    return Person.objects.get(memberships__case=case)


def _entries(person: Person) -> list[tuple[str, bytes]]:
    rows = BlindIndexEntry.objects.filter(owner_model="cases.person", owner_id=person.pk)
    return sorted((name, bytes(token)) for name, token in rows.values_list("index_name", "token"))


def _case_view(case: Case) -> dict[str, Any]:
    case = Case.objects.get(pk=case.pk)  # read back: every field decrypted from the database
    return {
        "status": case.status,
        "status_before_hold": case.status_before_hold,
        "priority": case.priority,
        "priority_review": case.priority_review,
        "team": case.team_id,
        "owner": case.owner_id,
        "summary": case.summary,
        "members": sorted(case.members.values_list("role", flat=True)),
        "changes": [(c.old, c.new, c.by_id, c.reason) for c in case.status_changes.order_by("at")],
        "notes": [(n.author_id, n.body) for n in case.notes.all()],
    }


def _person_view(person: Person) -> dict[str, Any]:
    person = Person.objects.get(pk=person.pk)
    return {field: getattr(person, field) for field in PERSON_FIELDS} | {"erased": person.erased}


@override_settings(CORRIDOR_REGION_IN_CLEAR=False)
def test_bulk_writes_what_the_one_row_actions_write(worker: User, team: Team) -> None:
    plan = _plan(worker, team)
    bulk = import_rows(worker, plan, chunk_rows=2)  # three chunks
    assert len(bulk) == len(ROWS)
    assert [c.reference for c in bulk] == sorted(c.reference for c in bulk)
    for row, case in zip(plan.rows, bulk, strict=True):
        reference = _one_row(worker, row)
        assert _case_view(case) == _case_view(reference)
        bulk_person, reference_person = _principal(case), _principal(reference)
        assert _person_view(bulk_person) == _person_view(reference_person)
        assert bulk_person.data_key_id != reference_person.data_key_id
        assert bulk_person.codename != reference_person.codename
        # Same tokens in the same indexes (each under the person's own data key: shredded with it).
        assert _entries(bulk_person) == _entries(reference_person) != []
        assert set(
            BlindIndexEntry.objects.filter(owner_id=bulk_person.pk).values_list("data_key_id", flat=True)
        ) == {bulk_person.data_key_id}
    # A field the one-row path would not have set, to be sure the comparison reads something.
    first = _person_view(_principal(bulk[0]))
    assert first["names"] == [
        {"name": "Иванова Мария Петровна", "kind": "used"},
        {"name": "Mariya Ivanova", "kind": "used"},
        {"name": "Маша", "kind": "used"},
    ]
    assert first["birth_date"] == datetime.date(1990, 5, 31)
    assert _case_view(bulk[1])["status_before_hold"] == Status.NEW


def test_search_finds_every_imported_person(worker: User, team: Team) -> None:
    plan = _plan(worker, team)
    cases = import_rows(worker, plan, chunk_rows=3)
    for row, case in zip(plan.rows, cases, strict=True):
        person = _principal(case)
        for entry in row.person["names"]:
            assert person.pk in {p.pk for p in search_people(worker, entry["name"])}
        for contact in row.person["contacts"]:
            if contact["kind"] in ("phone", "signal"):
                assert person.pk in {p.pk for p in search_people(worker, contact["value"])}
    # By one name part in the other script and with the birth year.
    assert [p.pk for p in search_people(worker, "Musaev 1984")] == [_principal(cases[1]).pk]
    assert [p.pk for p in search_people(worker, "Кузнецов")] == [_principal(cases[3]).pk]


def test_one_audit_entry_per_chunk_naming_the_import_and_the_log_verifies(worker: User, team: Team) -> None:
    before = AuditEntry.objects.count()
    cases = import_rows(worker, _plan(worker, team), chunk_rows=2)
    entries = list(AuditEntry.objects.filter(seq__gte=before).order_by("seq"))
    assert [e.action for e in entries] == [LegacyImportAudit.IMPORT_BATCH] * 3 + [LegacyImportAudit.IMPORT]
    assert {e.actor_id for e in entries} == {worker.pk}
    details = [open_details(e) for e in entries]
    assert all(d is not None for d in details)
    imports = {d["import"] for d in details if d}
    assert len(imports) == 1
    assert [d["lines"] for d in details[:3] if d] == [[2, 3], [4, 5], [6, 6]]
    assert [ref for d in details[:3] if d for ref in d["cases"]] == [c.reference for c in cases]
    assert details[3] == {"import": imports.pop(), "created": 5, "skipped_rows": 0, "rows": 5}
    report = verify()
    assert report.ok, report.first_problem
    assert report.entries == AuditEntry.objects.count()


def test_owner_who_left_the_team_meanwhile_refuses_the_whole_file(worker: User, team: Team) -> None:
    plan = _plan(worker, team)
    User.objects.get(username="bea").teams.clear()  # after the check, before the write
    people = Person.objects.count()
    with pytest.raises(ValidationError, match="Line 2"):
        import_rows(worker, plan, chunk_rows=2)
    assert (Person.objects.count(), Case.objects.count(), CaseMember.objects.count()) == (people, 0, 0)


def test_a_failing_chunk_names_what_was_imported(worker: User, team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    from corridor.transfer.domain import legacy as domain

    plan = _plan(worker, team)
    real = domain._write_chunk
    calls: list[int] = []

    def second_fails(*args: Any) -> list[Case]:
        calls.append(1)
        if len(calls) == 2:
            raise ValidationError("database went away")
        return real(*args)

    monkeypatch.setattr(domain, "_write_chunk", second_fails)
    with pytest.raises(ValidationError, match=r"2 people were imported \(up to line 3\)"):
        import_rows(worker, plan, chunk_rows=2)
    # The first chunk stays, whole; the failed one left nothing.
    assert Case.objects.count() == 2
    assert Person.objects.count() == 2
