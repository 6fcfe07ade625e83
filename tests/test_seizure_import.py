"""The seizure test for the legacy spreadsheet import (Invariant 1): names, phones, places,
summaries and notes planted in a CSV (cp1251) and an XLSX go in through the import page (read,
check, import, with the file carried by the page between steps) and through `corridor
import_people`. Afterwards the data directory, the database, the sessions and the logs hold
none of them, nor any piece of the files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from openpyxl import Workbook

from corridor.accounts.domain import create_team
from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.cases.models import Case
from tests import seizure

pytestmark = [pytest.mark.django_db(transaction=True)]

HEADERS = ["ФИО", "Телефон", "Местонахождение", "Краткое описание", "Заметки", "Статус"]


def _row(tag: str) -> tuple[list[str], dict[str, str | bytes]]:
    typed, digits = seizure.phone()
    values = [
        f"Секретова Зарина {tag}",
        typed,
        f"ул. Тайная {tag}",
        f"прячется от семьи {tag}",
        f"звонить только после 20:00 {tag}",
        "проверка",
    ]
    planted: dict[str, str | bytes] = {
        f"name {tag}": values[0],
        f"phone {tag}": digits,
        f"location {tag}": values[2],
        f"summary {tag}": values[3],
        f"note {tag}": values[4],
    }
    return values, planted


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([HEADERS, *rows])
    return out.getvalue().encode("cp1251")


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [HEADERS, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_spreadsheet_import_leaves_nothing_at_rest(tmp_path: Path) -> None:
    team = create_team(None, "Import team")
    worker = make_staff(Role.CASEWORKER, teams=[team], username="importer")
    planted: dict[str, str | bytes] = {}
    files: list[tuple[str, bytes]] = []
    for kind in ("csv", "xlsx"):
        values, secrets = _row(f"{kind}{seizure.token()}")
        planted |= secrets
        data = _csv([values]) if kind == "csv" else _xlsx([values])
        files.append((kind, data))

    with seizure.captured_logs() as logs:
        client = sign_in(Client(), worker)
        for kind, data in files:
            first = client.post("/transfer/import/", {"spreadsheet": SimpleUploadedFile(f"people.{kind}", data), "team": team.pk})
            assert first.status_code == 200, first.content
            form = {
                "carried": first.context["carried"],
                "filename": f"people.{kind}",
                "mapped": "1",
                "team": team.pk,
                "confirm": "1",
            }
            form |= {f"column_{index}": chosen for index, _header, chosen in first.context["columns"]}
            done = client.post("/transfer/import/", form)
            assert done.status_code == 302, done.content
        # The command reads a file the operator placed outside the data directory.
        values, secrets = _row(f"cli{seizure.token()}")
        planted |= secrets
        source = tmp_path / "outside" / "people.csv"
        source.parent.mkdir()
        source.write_bytes(_csv([values]))
        call_command("import_people", str(source), "--user", "importer", "--team", "Import team", stdout=io.StringIO())
        source.unlink()

    assert Case.objects.filter(team=team).count() == 3
    pieces: dict[str, str | bytes] = {f"{kind} file piece": data[len(data) // 2 : len(data) // 2 + 32] for kind, data in files}
    assert seizure.scan_at_rest(planted | pieces, {"logs": logs.getvalue().encode()}) == []
