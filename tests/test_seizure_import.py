"""The seizure test for the legacy spreadsheet import (Invariant 1): names, phones, places,
summaries and notes planted in a CSV (cp1251) and an XLSX go in through the import page (read,
check, import, with the file carried by the page between steps) and through `corridor
import_people`. Afterwards the data directory, the database, the sessions and the logs hold
none of them, nor any piece of the files."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

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


def _wait_for_background_imports(seconds: float = 60.0) -> None:
    """The page's imports run in a thread of their own: wait until every job has ended (on a
    loaded machine the thread may not have finished when the command does; CI failed there)."""
    import time

    from corridor.transfer.models import ImportJob, ImportState

    deadline = time.monotonic() + seconds
    while ImportJob.objects.filter(state__in=[ImportState.QUEUED, ImportState.RUNNING]).exists():
        assert time.monotonic() < deadline, list(ImportJob.objects.values_list("state", "done", "total"))
        time.sleep(0.05)
    assert set(ImportJob.objects.values_list("state", flat=True)) == {ImportState.DONE}


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
        _wait_for_background_imports()

    assert Case.objects.filter(team=team).count() == 3
    pieces: dict[str, str | bytes] = {f"{kind} file piece": data[len(data) // 2 : len(data) // 2 + 32] for kind, data in files}
    assert seizure.scan_at_rest(planted | pieces, {"logs": logs.getvalue().encode()}) == []


def test_background_import_stopped_midway_leaves_nothing_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file queued through the page, its job killed after the first chunk: the queued rows
    (in the database until the job ends) are ciphertext, the rows already imported too, and
    once the dead job is reaped its key is shredded."""
    import datetime

    from django.test import override_settings
    from django.utils import timezone

    from corridor.transfer.domain import import_jobs
    from corridor.transfer.domain import legacy as legacy_domain
    from corridor.transfer.models import ImportJob, ImportState

    team = create_team(None, "Background team")
    worker = make_staff(Role.CASEWORKER, teams=[team], username="background")
    planted: dict[str, str | bytes] = {}
    rows = []
    for _index in range(3):
        values, secrets = _row(f"bg{seizure.token()}")
        planted |= secrets
        rows.append(values)
    data = _csv(rows)

    class Killed(BaseException):
        """What the process's death looks like to the job: nothing after it runs."""

    real = legacy_domain.import_rows

    def one_chunk_then_die(actor: Any, plan: Any, *, progress: Any = None, **kwargs: Any) -> Any:
        def beat(done: int, total: int) -> None:
            if done == 2:  # inside the second chunk's transaction: the first one is committed
                raise Killed
            if progress is not None:
                progress(done, total)

        return real(actor, plan, progress=beat, chunk_rows=1, **kwargs)

    monkeypatch.setattr(import_jobs, "import_rows", one_chunk_then_die)
    with seizure.captured_logs() as logs, override_settings(CORRIDOR_IMPORT_THREAD=False):
        client = sign_in(Client(), worker)
        first = client.post("/transfer/import/", {"spreadsheet": SimpleUploadedFile("people.csv", data), "team": team.pk})
        assert first.status_code == 200, first.content
        form = {"carried": first.context["carried"], "filename": "people.csv", "mapped": "1", "team": team.pk, "confirm": "1"}
        form |= {f"column_{index}": chosen for index, _header, chosen in first.context["columns"]}
        queued = client.post("/transfer/import/", form)
        assert queued.status_code == 302, queued.content
        with pytest.raises(Killed):
            import_jobs.run_queued()
        job = ImportJob.objects.get()
        assert (job.state, job.done, Case.objects.filter(team=team).count()) == (ImportState.RUNNING, 1, 1)
        assert job.rows is not None  # still waiting in the database, as ciphertext
        page = client.get(queued["Location"]).content.decode()
        assert '<progress id="import-progress" max="3" value="1">' in page

    piece = {"file piece": data[len(data) // 2 : len(data) // 2 + 32]}
    assert seizure.scan_at_rest(planted | piece, {"logs": logs.getvalue().encode()}) == []

    assert import_jobs.reap_stale(timezone.now() + import_jobs.STALE_AFTER + datetime.timedelta(seconds=1)) == 1
    job.refresh_from_db()
    assert (job.state, job.rows) == (ImportState.FAILED, None)
    assert "1 of 3" in job.message
    assert seizure.scan_at_rest(planted | piece) == []
