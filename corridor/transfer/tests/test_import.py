"""Legacy import of people and cases from CSV and XLSX (issue 13, item 3): encodings and
delimiters, the suggested mapping, every bad row reported with its line, nothing written until
the whole file is valid (or the valid rows only, when asked), and fuzzing with hypothesis."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.cases.models import Case, CaseMember, Note, Person, Status
from corridor.transfer import legacy, spreadsheet
from corridor.transfer.domain.legacy import ImportRefused, import_rows

pytestmark = pytest.mark.django_db

HEADER_RU = "ФИО;Дата рождения;Телефон;Статус;Приоритет;Заметки\n"


@pytest.fixture
def team() -> Team:
    return Team.objects.create(name="North")


@pytest.fixture
def worker(team: Team) -> User:
    return make_staff(Role.CASEWORKER, teams=[team], username="anna")


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plan(worker: User, team: Team, data: bytes) -> legacy.Plan:
    table = spreadsheet.read(data)
    return legacy.check(worker, table, legacy.suggest_mapping(table.headers), team)


def test_cp1251_semicolons_russian_headers(worker: User, team: Team) -> None:
    data = (HEADER_RU + "Иванова Мария;31.05.1990;+7 900 111-22-33;закрыто;срочно;Живёт у сестры\n").encode("cp1251")
    table = spreadsheet.read(data, "export.csv")
    assert table.encoding == "cp1251"
    assert legacy.suggest_mapping(table.headers) == {
        0: "name",
        1: "birth_date",
        2: "phone",
        3: "status",
        4: "priority",
        5: "notes",
    }
    plan = legacy.check(worker, table, legacy.suggest_mapping(table.headers), team)
    assert plan.errors == []
    [case] = import_rows(worker, plan)
    case.refresh_from_db()
    assert case.status == Status.CLOSED and case.priority == "urgent"
    person = case.members.get().person
    assert person.primary_name == "Иванова Мария" and str(person.birth_date) == "1990-05-31"
    assert Note.objects.get(case=case).body == "Живёт у сестры"
    assert AuditEntry.objects.filter(action="legacy.import").count() == 1


def test_utf8_bom_commas_english(worker: User, team: Team) -> None:
    data = '\ufeffName,Date of birth,Languages\nOleg Petrov,1985,"ru, uk"\n'.encode()
    plan = _plan(worker, team, data)
    assert plan.errors == []
    assert plan.rows[0].person["birth_precision"] == "year"
    assert plan.rows[0].person["languages"] == ["ru", "uk"]


def test_every_bad_row_reported_and_nothing_written(worker: User, team: Team) -> None:
    data = (
        b"Name,Date of birth,Status,Team\n"
        b"Good One,1990-01-01,,\n"
        b",1990-01-01,,\n"  # line 3: no name
        b"Bad Date,31.02.1990,,\n"  # line 4
        b"Bad Status,,flying,\n"  # line 5
        b"Good One,1990-01-01,,\n"  # line 6: duplicate of line 2
        b"Other Team,,,South\n"  # line 7
        b"Active One,,active,\n"  # line 8: needs a verification
    )
    plan = _plan(worker, team, data)
    assert plan.bad_lines() == [3, 4, 5, 6, 7, 8]
    assert any("line 2" in e.reason for e in plan.errors if e.line == 6)
    people = Person.objects.count()
    with pytest.raises(ImportRefused):
        import_rows(worker, plan)
    assert Person.objects.count() == people and not AuditEntry.objects.filter(action="legacy.import").exists()
    # The user chooses to import only the valid rows.
    [case] = import_rows(worker, plan, valid_only=True)
    assert case.members.get().person.primary_name == "Good One"


def test_possible_duplicate_of_existing_person(worker: User, team: Team) -> None:
    data = b"Name,Date of birth,Phone\nVera Lis,1970-03-03,+380501112233\n"
    import_rows(worker, _plan(worker, team, data))
    again = _plan(worker, team, b"Name,Date of birth,Phone\nVera Lis,1970-03-03,\nSomeone,,+380 50 111 22 33\n")
    assert [e.line for e in again.errors] == [2, 3]
    assert all("Possibly the same person" in e.reason for e in again.errors)


def test_xlsx_with_dates_and_formula_not_evaluated(worker: User, team: Team) -> None:
    import datetime

    data = _xlsx([["Name", "Date of birth", "Summary"], ["Lena K", datetime.datetime(1991, 2, 3), "=1+1"]])
    table = spreadsheet.read(data, "people.xlsx")
    assert table.rows == [["Lena K", "1991-02-03", ""]]  # no cached value: the formula's text is never data
    plan = legacy.check(worker, table, legacy.suggest_mapping(table.headers), team)
    assert plan.errors == []


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"", "x.csv"),
        (b"\x00\x01\x02binary", "x.csv"),
        (b"PK\x03\x04broken zip", "x.xlsx"),
        (b"not a zip", "x.xlsx"),
        (("a," * (spreadsheet.MAX_COLUMNS + 1) + "\n").encode(), "x.csv"),
        (b"Name\n" + b"x" * (spreadsheet.MAX_CELL + 1) + b"\n", "x.csv"),
        (b"\xff\xfe\xfd" * 3 + b"\x98", "x.csv"),
    ],
)
def test_unreadable_files_refused_clearly(data: bytes, name: str) -> None:
    with pytest.raises(spreadsheet.SpreadsheetError):
        spreadsheet.read(data, name)


def test_mapping_needs_a_name_column() -> None:
    with pytest.raises(ValueError, match="name"):
        legacy.clean_mapping({0: "phone"}, 2)
    with pytest.raises(ValueError):
        legacy.clean_mapping({0: "name", 1: "name"}, 2)
    with pytest.raises(ValueError):
        legacy.clean_mapping({5: "name"}, 2)


def test_command_imports_with_progress_and_refuses_bad_files(worker: User, team: Team, tmp_path: Any) -> None:
    good = tmp_path / "good.csv"
    good.write_bytes(b"Name,Team\nA Person,North\nB Person,North\n")
    out = io.StringIO()
    call_command("import_people", str(good), "--user", "anna", stdout=out)
    assert "2" in out.getvalue()
    assert Case.objects.filter(team=team).count() == 2
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Name,Date of birth\nC Person,tomorrow\n")
    with pytest.raises(CommandError, match="line 2"):
        call_command("import_people", str(bad), "--user", "anna", "--team", "North", stdout=io.StringIO())
    assert Case.objects.filter(team=team).count() == 2


# --- fuzzing (hypothesis) ---------------------------------------------------------------------

cell = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "1990-01-01", "31.12.1989", "1975", "2999-01-01", "closed", "new", "urgent", "+7 900 000 00 00", "North", "South"]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.binary(max_size=2000), name=st.sampled_from(["f.csv", "f.xlsx", "f"]))
def test_fuzz_random_bytes_never_crash(data: bytes, name: str) -> None:
    try:
        spreadsheet.read(data, name)
    except spreadsheet.SpreadsheetError:
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=7), max_size=8), use_xlsx=st.booleans())
def test_fuzz_rows_every_bad_row_reported_nothing_partial(
    worker: User, team: Team, rows: list[list[str]], use_xlsx: bool
) -> None:
    header = ["Name", "Date of birth", "Status", "Priority", "Phone", "Team", "Notes"]
    if use_xlsx:
        clean = [[c for c in (r or [""])] for r in rows]
        try:
            data = _xlsx([header, *clean])
        except Exception:  # openpyxl refuses some control characters on writing: not our input
            return
    else:
        out = io.StringIO()
        import csv

        csv.writer(out).writerows([header, *rows])
        data = out.getvalue().encode()
    try:
        table = spreadsheet.read(data, "f.xlsx" if use_xlsx else "f.csv")
    except spreadsheet.SpreadsheetError:
        return
    plan = legacy.check(worker, table, legacy.suggest_mapping(table.headers), team)
    # Every data row is either planned or reported, never both, never neither.
    planned = {row.line for row in plan.rows}
    assert planned.isdisjoint(plan.bad_lines())
    assert planned | set(plan.bad_lines()) == set(table.lines)
    before = (Person.objects.count(), Case.objects.count(), AuditEntry.objects.count())
    if plan.errors:
        with pytest.raises(ImportRefused):
            import_rows(worker, plan)
        assert (Person.objects.count(), Case.objects.count(), AuditEntry.objects.count()) == before
    elif plan.rows:
        cases = import_rows(worker, plan)
        assert len(cases) == len(plan.rows)
        # Clean up so the next example's in-file and existing duplicate checks start afresh.
        Person.objects.filter(pk__in=CaseMember.objects.filter(case__in=cases).values("person_id")).update(erased=timezone.now())


def test_owner_column_does_not_tell_which_usernames_exist_elsewhere(worker: User, team: Team) -> None:
    """A row's owner is looked up among the members of the teams the rows can go to only: a
    user of another team, an address of theirs and a name nobody has all read alike."""
    other = Team.objects.create(name="South")
    zoe = make_staff(Role.CASEWORKER, teams=[other], username="zoe-south")
    bea = make_staff(Role.CASEWORKER, teams=[team], username="bea-north")
    User.objects.filter(pk=zoe.pk).update(email="zoe@example.org")
    User.objects.filter(pk=bea.pk).update(email="bea@example.org")
    data = b"Name,Owner\nA Person,zoe-south\nB Person,zoe@example.org\nC Person,nobody-at-all\nD Person,BEA@example.org\n"
    plan = _plan(worker, team, data)
    assert [row.line for row in plan.rows] == [5]
    assert plan.rows[0].owner_id == User.objects.get(username="bea-north").pk
    reasons = {error.line: error.reason for error in plan.errors}
    assert sorted(reasons) == [2, 3, 4]
    assert len(set(reasons.values())) == 1
    assert "zoe" not in reasons[2] and "South" not in reasons[2]
