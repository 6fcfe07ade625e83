"""The legacy import's page (issue 13, item 3): caseworkers only, the file read and mapped
in the request and carried by the page between steps, every bad row shown with its line,
nothing written until the user imports, then a background job with a progress page only its
owner sees; English and Russian; never a 500 on a bad file."""

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor.accounts.models import Role, User
from corridor.accounts.testing import Route, World, check_matrix, make_world, sign_in
from corridor.cases.models import Case, CaseMember, Person
from corridor.keys.api import DataKey
from corridor.transfer.domain import import_jobs
from corridor.transfer.models import ImportJob, ImportState

pytestmark = pytest.mark.django_db

WORKER = {Role.CASEWORKER}

def _job_of(user: User) -> str:
    """A finished import of `user`'s, as the progress page shows it."""
    job = ImportJob.objects.create(data_key=DataKey.create("import"), actor=user, state=ImportState.DONE, total=3, done=3)
    return f"/transfer/import/{job.pk}/"


ROUTES = [
    Route("transfer:import", lambda w: "/transfer/import/", WORKER),
    # Only the one who started an import sees its progress: another caseworker's is a 404.
    Route("transfer:import_progress", lambda w: _job_of(w.outsider), WORKER, own_url=lambda w, u: _job_of(u)),
]


@pytest.fixture
def world() -> World:
    return make_world()


def test_matrix(world: World) -> None:
    assert check_matrix(world, ROUTES) > 0


def _client(world: World) -> Client:
    return sign_in(Client(), world.users[Role.CASEWORKER])


def _upload(client: Client, data: bytes, name: str = "people.csv", **extra: str) -> tuple[int, str]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/transfer/import/", {"spreadsheet": SimpleUploadedFile(name, data), **extra})
    return response.status_code, response.content.decode()


def test_read_map_check_then_import(world: World) -> None:
    client = _client(world)
    team = str(world.team_a.pk)
    data = "ФИО;Дата рождения;Статус\nИван Петров;01.02.1980;закрыто\nОльга;30.02.1990;\n".encode("cp1251")
    status, page = _upload(client, data, team=team)
    assert status == 200
    assert 'value="name" selected' in page and 'value="birth_date" selected' in page
    assert re.search(r"<td>3</td>\s*<td>The date of birth", page)
    people = Person.objects.count()
    # Import refused while a row is bad; nothing written.
    carried = base64.b64encode(data).decode()
    form = {
        "carried": carried,
        "filename": "people.csv",
        "mapped": "1",
        "team": team,
        "column_0": "name",
        "column_1": "birth_date",
        "column_2": "status",
    }
    response = client.post("/transfer/import/", {**form, "confirm": "1"})
    assert response.status_code == 400 and Person.objects.count() == people
    # The user chooses to import the valid row only.
    response = client.post("/transfer/import/", {**form, "confirm": "1", "valid_only": "on"})
    assert response.status_code == 302
    job = ImportJob.objects.get(actor=world.users[Role.CASEWORKER])
    assert response["Location"] == f"/transfer/import/{job.pk}/"
    # Queued, not yet written: the page says so and asks again by itself (no JavaScript).
    assert Person.objects.count() == people
    page = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress id="import-progress" max="1" value="0">' in page
    assert import_jobs.run_queued() == 1
    assert Person.objects.count() == people + 1
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert '<progress id="import-progress" max="1" value="1">' in page
    assert "1 row with errors was left out." in page
    # The planned rows are gone with their key.
    job.refresh_from_db()
    assert (job.state, job.rows, job.done) == (ImportState.DONE, None, 1)
    assert job.data_key.shredded is not None
    assert Case.objects.filter(team=world.team_a, status="closed").count() == 1


def test_mapping_without_a_name_column(world: World) -> None:
    client = _client(world)
    data = b"Phone\n+79000000000\n"
    status, page = _upload(client, data)
    assert status == 200 and "Choose the column that holds the person" in page


@pytest.mark.parametrize("data", [b"", b"\x00\x01", b"PK\x03\x04junk", b"\xff\xfe" * 100])
def test_bad_files_are_a_clear_error_not_a_500(world: World, data: bytes) -> None:
    status, page = _upload(_client(world), data, "x.xlsx")
    assert status == 400
    assert 'class="error' in page or "errorlist" in page


def test_bad_carried_data(world: World) -> None:
    response = _client(world).post("/transfer/import/", {"carried": "!!!not base64", "mapped": "1"})
    assert response.status_code == 400


def test_russian_page(world: World) -> None:
    client = _client(world)
    client.cookies["django_language"] = "ru"
    with translation.override("ru"):
        response = client.get("/transfer/import/", HTTP_ACCEPT_LANGUAGE="ru")
        assert response.status_code == 200
        assert "Импорт людей из таблицы" in response.content.decode()
        status, page = _upload(client, b"Name,Date of birth\nA,soon\n", team=str(world.team_a.pk))
    assert status == 200 and "не дата" in page and "Строка" in page


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=1500),
        st.lists(st.lists(st.text(max_size=12), max_size=5), max_size=6).map(
            lambda rows: "\n".join(";".join(cells) for cells in [["Name", "Date of birth", "Status"], *rows]).encode(
                "utf-8", "surrogatepass"
            )
        ),
    ),
    name=st.sampled_from(["f.csv", "f.xlsx"]),
    confirm=st.booleans(),
)
def test_fuzz_page_never_500_nothing_partial(world: World, data: bytes, name: str, confirm: bool) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _client(world)
    before = (Person.objects.count(), Case.objects.count())
    first = client.post("/transfer/import/", {"spreadsheet": SimpleUploadedFile(name, data), "team": str(world.team_a.pk)})
    assert first.status_code in (200, 400)
    if first.status_code != 200 or "plan" not in first.context or not confirm:
        assert (Person.objects.count(), Case.objects.count()) == before
        return
    plan = first.context["plan"]
    form = {"carried": first.context["carried"], "filename": name, "mapped": "1", "team": str(world.team_a.pk), "confirm": "1"}
    form |= {f"column_{index}": chosen for index, _header, chosen in first.context["columns"]}
    response = client.post("/transfer/import/", form)
    assert response.status_code in (302, 400)
    import_jobs.run_queued()
    created = Person.objects.count() - before[0]
    assert created == (len(plan.rows) if response.status_code == 302 else 0)
    assert (response.status_code == 302) == (not plan.errors and bool(plan.rows))
    # Imported people would be duplicates of the next example's rows: out of sight for it.
    Person.objects.filter(pk__in=CaseMember.objects.filter(case__team=world.team_a).values("person_id")).update(
        erased=timezone.now()
    )
