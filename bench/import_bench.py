"""Legacy import (issue 13, item 3): a 10,000-row spreadsheet read, checked and written.

Synthetic rows (no real person) in a cp1251 CSV with Russian headers and in an XLSX file;
each row a person with names, date of birth, phone, location, languages, a status, priority
and a note. Times reading + checking (the report) and writing (chunks of 500 rows through the
bulk path, domain/legacy.py) separately. Goal: the whole import of 10,000 rows in <= 20 s on 2 cores.
The bulk write path is compared with the one-row actions it replaced, per row, in the same process.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from typing import Any

ROWS = 10_000
GOAL_SECONDS = 20.0
HEADERS = ["ФИО", "Другие имена", "Дата рождения", "Телефон", "Местонахождение", "Языки", "Статус", "Приоритет", "Заметки"]


def _rows(count: int, offset: int) -> list[list[str]]:
    statuses = ["новое", "проверка", "закрыто", "на паузе"]
    priorities = ["обычный", "срочно", "экстренный"]
    return [
        [
            f"Бенчмарков Пётр {offset + i}",
            f"Petr Benchmarkov {offset + i}",
            f"{1 + i % 28:02d}.{1 + i % 12:02d}.{1950 + i % 60}",
            f"+7 000 {offset + i:07d}",
            "съёмная квартира, Подмосковье",
            "ru, ce",
            statuses[i % 4],
            priorities[i % 3],
            "Синтетическая строка для замера, не человек.",
        ]
        for i in range(count)
    ]


def _csv(count: int, offset: int) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([HEADERS, *_rows(count, offset)])
    return out.getvalue().encode("cp1251")


def _xlsx(count: int, offset: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS)
    for row in _rows(count, offset):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _one(actor: Any, team: Any, data: bytes, name: str) -> dict[str, Any]:
    from corridor.transfer import legacy, spreadsheet
    from corridor.transfer.domain.legacy import import_rows

    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), time.process_time()
    table = spreadsheet.read(data, name)
    read = time.perf_counter() - started
    plan = legacy.check(actor, table, legacy.suggest_mapping(table.headers), team)
    checked, checked_cpu = time.perf_counter() - started, time.process_time() - cpu
    if plan.errors:
        raise RuntimeError(f"bench rows refused: {plan.errors[:3]}")
    cases = import_rows(actor, plan)
    total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "rows": len(table.rows),
        "bytes": len(data),
        "read_s": round(read, 2),
        "read_and_check_s": round(checked, 2),
        "write_s": round(total - checked, 2),
        "total_s": round(total, 2),
        "cpu_read_and_check_s": round(checked_cpu, 2),
        "cpu_write_s": round(total_cpu - checked_cpu, 2),
        "cpu_total_s": round(total_cpu, 2),
        "load_average_1min_at_start": round(load, 1),
        "rows_per_s": round(len(cases) / total, 1),
        "goal": f"<= {GOAL_SECONDS:.0f} s",
        "goal_met": total <= GOAL_SECONDS,
        "goal_met_in_cpu_time": total_cpu <= GOAL_SECONDS,
    }


def _one_row_path(actor: Any, plan: Any) -> None:
    """The write path before the bulk one: the cases app's actions, row after row (the baseline)."""
    from corridor.accounts.models import Team, User
    from corridor.cases.domain.cases import open_case
    from corridor.cases.domain.needs_tasks import add_note
    from corridor.cases.domain.people import create_person
    from corridor.cases.domain.workflow import transition
    from corridor.cases.models import Status

    for row in plan.rows:
        person = create_person(actor, **row.person)
        owner = User.objects.get(pk=row.owner_id) if row.owner_id else None
        case = open_case(
            actor, team=Team.objects.get(pk=row.team_id), principal=person, priority=row.priority, summary=row.summary, owner=owner
        )
        if row.status != Status.NEW:
            transition(actor, case, row.status, "Imported from a spreadsheet in this status.")
        if row.notes:
            add_note(actor, case, row.notes)


def _per_row_ratio(actor: Any, team: Any, rows: int = 200, repeats: int = 3) -> dict[str, Any]:
    """Median CPU ms per row written, one-row actions against the bulk path, the same rows' shape,
    alternated in one process (so a busy machine slows both alike)."""
    from corridor.transfer import legacy, spreadsheet
    from corridor.transfer.domain.legacy import import_rows

    one: list[float] = []
    bulk: list[float] = []
    offset = 10 * ROWS
    for _repeat in range(repeats):
        for path, out in ((_one_row_path, one), (import_rows, bulk)):
            table = spreadsheet.read(_csv(rows, offset), "sample.csv")
            offset += rows
            plan = legacy.check(actor, table, legacy.suggest_mapping(table.headers), team)
            cpu = time.process_time()
            path(actor, plan)
            out.append((time.process_time() - cpu) * 1000 / rows)
    return {
        "rows_per_sample": rows,
        "samples": repeats,
        "one_row_actions_cpu_ms_per_row": round(statistics.median(one), 2),
        "bulk_cpu_ms_per_row": round(statistics.median(bulk), 2),
        "speedup": round(statistics.median(one) / statistics.median(bulk), 1),
    }


def run(rows: int = ROWS) -> dict[str, Any]:
    from corridor.accounts import domain as accounts_domain
    from corridor.accounts.models import Role

    team = accounts_domain.team_named(None, "Bench import")
    actor, _token = accounts_domain.create_user(None, username="bench-importer", role=Role.CASEWORKER, teams=[team])
    return {
        "csv_cp1251": _one(actor, team, _csv(rows, 0), "people.csv"),
        "xlsx": _one(actor, team, _xlsx(rows, rows), "people.xlsx"),
        "write_path_per_row": _per_row_ratio(actor, team),
        "measures": "spreadsheet.read + legacy.check (every row, duplicates in the file and by blind index against "
        "existing people) + domain import_rows (bulk path: chunks of 500 rows, each one transaction with its data keys "
        "made in one keyring call, one INSERT per table, one keyring call per blind index and one audit entry) with the "
        "in-process keyring on the bench database (SQLite unless DATABASE_URL). Wall-clock seconds and this process's "
        "CPU seconds: on a shared machine (see the load average) the CPU time is the figure to compare with the goal; "
        "write_path_per_row compares the bulk path with the one-row actions it replaced",
    }
