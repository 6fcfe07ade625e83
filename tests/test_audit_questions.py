"""The auditor's question from issue 11: "who opened case C-2026-0012 last week?", answered
through the real audit page in a few clicks (one filter form), in English and in Russian."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from corridor.accounts.models import Role
from corridor.accounts.testing import World, make_staff, make_world, sign_in
from corridor.audit import log
from corridor.cases import domain
from corridor.cases.models import Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def _case(world: World, name: str) -> Case:
    worker = world.users[Role.CASEWORKER]
    person = domain.create_person(worker, names=[{"name": name, "kind": "legal"}])
    return domain.open_case(worker, team=world.team_a, principal=person)


def _rows(page: str) -> list[list[str]]:
    """The entries table, one list of cell texts per row."""
    table = page[page.index('class="audit-entries"') :]
    table = table[: table.index("</table>")]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table[table.index("<tbody>") :], re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells])
    return rows


def test_who_opened_this_case_last_week(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    case = _case(world, "Ислам Мусаев")
    other = _case(world, "Адам Ахмадов")
    worker, coordinator = world.users[Role.CASEWORKER], world.users[Role.RELOCATION]
    hotline = world.users[Role.HOTLINE]
    # Opened on its page by the caseworker, through the API by the coordinator; the hotline
    # operator opened only the other case; and someone opened it a month ago.
    assert sign_in(Client(), worker).get(f"/cases/{case.pk}/").status_code == 200
    assert sign_in(Client(), coordinator).get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert sign_in(Client(), hotline).get(f"/cases/{other.pk}/").status_code == 200
    month_ago = timezone.now() - datetime.timedelta(days=30)
    early = make_staff(Role.CASEWORKER, teams=[world.team_a], username="early-reader")
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: month_ago)
        log.record_read(early, case)

    auditor = sign_in(Client(), world.users[Role.AUDITOR])
    today = timezone.localdate()
    question = {
        "object": case.reference,
        "action": "reads",
        "since": str(today - datetime.timedelta(days=7)),
        "until": str(today),
    }
    response = auditor.get("/audit/", question)

    assert response.status_code == 200
    rows = _rows(response.content.decode())
    kind = str(Case._meta.verbose_name)
    assert [(row[2], row[3], row[4].split(" all entries")[0]) for row in rows] == [
        (coordinator.username, "Read through the API read.api", f"{kind} {case.reference}"),
        (worker.username, "Viewed on a page read", f"{kind} {case.reference}"),
    ]
    # Without the dates, the month-old read is there too; the other case's reader never is.
    everyone = {row[2] for row in _rows(auditor.get("/audit/", {"object": case.reference, "action": "reads"}).content.decode())}
    assert everyone == {coordinator.username, worker.username, "early-reader"}

    russian = auditor.get("/audit/", question, headers={"accept-language": "ru"}).content.decode()
    assert [row[3] for row in _rows(russian)] == ["Прочитано через API read.api", "Просмотрено на странице read"]
    assert "Кто" in russian and "Действие" in russian and "2 записи подходят, сначала новые." in russian


def test_filters_by_actor_action_and_id(world: World) -> None:
    case = _case(world, "Ислам Мусаев")
    worker = world.users[Role.CASEWORKER]
    auditor = sign_in(Client(), world.users[Role.AUDITOR])

    by_worker = _rows(auditor.get("/audit/", {"actor": worker.pk}).content.decode())
    assert by_worker and {row[2] for row in by_worker} == {worker.username}
    opened = _rows(auditor.get("/audit/", {"action": "case.open"}).content.decode())
    assert [row[3] for row in opened] == ["New case created case.open"]
    by_id = _rows(auditor.get("/audit/", {"object": str(case.pk)}).content.decode())
    assert {row[4].split(" all entries")[0] for row in by_id} == {f"{Case._meta.verbose_name} {case.reference}"}
    system = _rows(auditor.get("/audit/", {"actor": "system"}).content.decode())
    assert {row[2] for row in system} <= {"system"}


def test_bad_filters_say_so_and_show_nothing(world: World) -> None:
    _case(world, "Ислам Мусаев")
    auditor = sign_in(Client(), world.users[Role.AUDITOR])
    for params in (
        {"since": "2026-02-30"},
        {"since": "2026-03-02", "until": "2026-03-01"},
        {"actor": "999999"},
        {"action": "no.such.name"},
        {"object": "x" * 500},
    ):
        response = auditor.get("/audit/", params)
        assert response.status_code == 200, params
        page = response.content.decode()
        assert _rows(page) == [["No entry matches these filters."]], params
        assert 'class="error-summary"' in page, params


def test_pages_keep_the_filters(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    for number in range(55):
        domain.create_person(worker, names=[{"name": f"Человек {number}", "kind": "legal"}])
    auditor = sign_in(Client(), world.users[Role.AUDITOR])
    first = auditor.get("/audit/", {"action": "person.create"}).content.decode()
    assert len(_rows(first)) == 50
    assert "?action=person.create&amp;page=2" in first
    second = auditor.get("/audit/", {"action": "person.create", "page": "2"}).content.decode()
    assert len(_rows(second)) == 5
