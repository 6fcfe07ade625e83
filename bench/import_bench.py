"""Legacy import (issue 13, item 3): a 10,000-row spreadsheet read, checked and written.

Synthetic rows (no real person) in a cp1251 CSV with Russian headers and in an XLSX file;
each row a person with names, date of birth, phone, location, languages, a status, priority
and a note. Times reading + checking (the report) and writing (one durable action through the
cases app's actions) separately. Goal: the whole import of 10,000 rows in <= 20 s on 2 cores.
"""

from __future__ import annotations

import io
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

    started = time.perf_counter()
    table = spreadsheet.read(data, name)
    read = time.perf_counter() - started
    plan = legacy.check(actor, table, legacy.suggest_mapping(table.headers), team)
    checked = time.perf_counter() - started
    if plan.errors:
        raise RuntimeError(f"bench rows refused: {plan.errors[:3]}")
    cases = import_rows(actor, plan)
    total = time.perf_counter() - started
    return {
        "rows": len(table.rows),
        "bytes": len(data),
        "read_s": round(read, 2),
        "read_and_check_s": round(checked, 2),
        "write_s": round(total - checked, 2),
        "total_s": round(total, 2),
        "rows_per_s": round(len(cases) / total, 1),
        "goal": f"<= {GOAL_SECONDS:.0f} s",
        "goal_met": total <= GOAL_SECONDS,
    }


def run(rows: int = ROWS) -> dict[str, Any]:
    from corridor.accounts import domain as accounts_domain
    from corridor.accounts.models import Role

    team = accounts_domain.team_named(None, "Bench import")
    actor, _token = accounts_domain.create_user(None, username="bench-importer", role=Role.CASEWORKER, teams=[team])
    return {
        "csv_cp1251": _one(actor, team, _csv(rows, 0), "people.csv"),
        "xlsx": _one(actor, team, _xlsx(rows, rows), "people.xlsx"),
        "measures": "spreadsheet.read + legacy.check (every row, duplicates in the file and by blind index against "
        "existing people) + domain import_rows (per row: create_person, open_case, a status change for 3 rows in 4, "
        "a note; one durable transaction) with the in-process keyring on the bench database",
    }
