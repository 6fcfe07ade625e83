"""A database that stops answering mid-request: 503 with Retry-After in the page's or the API's
own error format, never a 500, and a multi-row action is all-or-nothing.

The failure is made real enough for Django: every query after the Nth raises the
OperationalError (or InterfaceError) a cut connection raises. tests/test_faults_postgres.py
does the same to a running server by cutting its PostgreSQL connections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import Client

from corridor.accounts.models import ApiToken, Role
from corridor.accounts.testing import World, make_world, sign_in
from corridor.audit.models import AuditEntry
from corridor.cases.models import Case, CaseMember, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


@contextmanager
def database_lost(
    after: int = 0, error: type[Exception] = OperationalError, message: str = "server closed the connection unexpectedly"
) -> Iterator[list[str]]:
    """Let `after` queries through, then fail every one; yields the statements that ran."""
    ran: list[str] = []

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if len(ran) >= after:
            raise error(message)
        ran.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield ran


def test_a_page_answers_503_with_retry_after_and_the_sites_error_page(world: World) -> None:
    client = sign_in(Client(raise_request_exception=False), world.users[Role.CASEWORKER])
    with database_lost():
        response = client.get("/cases/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.content.decode()
    assert "<h1>Temporarily unavailable</h1>" in page
    assert "The database cannot be reached just now. Nothing was saved. Try again in a minute." in page
    # The page still carries every security header.
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    # And once the database answers again, so does the page.
    assert client.get("/cases/").status_code == 200


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_the_api_answers_503_in_its_error_format(world: World, error: type[Exception]) -> None:
    client = Client(
        headers={"authorization": f"Bearer {ApiToken.issue(world.users[Role.CASEWORKER])[1]}"}, raise_request_exception=False
    )
    with database_lost(error=error):
        response = client.get("/api/v1/cases/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.json() == {
        "error": {
            "code": "unavailable",
            "message": "The database cannot be reached just now. Nothing was saved. Try again in a minute.",
            "fields": {},
        }
    }


def test_a_full_disk_is_507_with_a_message_to_tell_the_administrator(world: World) -> None:
    client = Client(
        headers={"authorization": f"Bearer {ApiToken.issue(world.users[Role.CASEWORKER])[1]}"}, raise_request_exception=False
    )
    with database_lost(message="database or disk is full"):
        response = client.get("/api/v1/cases/")
    assert response.status_code == 507
    assert response.json()["error"]["code"] == "disk_full"
    assert response.json()["error"]["message"] == "The server's disk is full. Nothing was saved. Tell your administrator."


def test_russian_speakers_read_it_in_russian(world: World) -> None:
    client = sign_in(Client(raise_request_exception=False, headers={"accept-language": "ru"}), world.users[Role.CASEWORKER])
    with database_lost():
        response = client.get("/cases/")
    assert response.status_code == 503
    assert "База данных сейчас недоступна" in response.content.decode()


@pytest.mark.django_db(transaction=True)  # real commits and rollbacks, no test-wide transaction around them
def test_a_multi_row_action_cut_half_way_writes_nothing(world: World) -> None:
    """A person with a new case is a person, a case, its member, index rows and audit entries.

    The database is lost after each number of statements in turn: every time the answer is
    503 and nothing of it is in the database (the transaction rolled back)."""
    worker = world.users[Role.CASEWORKER]
    client = Client(headers={"authorization": f"Bearer {ApiToken.issue(worker)[1]}"}, raise_request_exception=False)
    body = {"names": [{"name": "Руслан Новый"}], "confirm_not_duplicate": True, "team": world.team_a.pk}
    before = (Person.objects.count(), Case.objects.count(), CaseMember.objects.count(), AuditEntry.objects.count())
    with database_lost(after=10_000) as ran:
        created = client.post("/api/v1/people/", body, content_type="application/json")
    assert created.status_code == 201
    statements = len(ran)
    baseline = (Person.objects.count(), Case.objects.count(), CaseMember.objects.count(), AuditEntry.objects.count())
    assert baseline[:3] == (before[0] + 1, before[1] + 1, before[2] + 1)
    # Cut it after the first write and at several points up to the last statement.
    for after in sorted({3, 5, statements // 3, statements // 2, statements - 2}):
        with database_lost(after=after):
            response = client.post("/api/v1/people/", body, content_type="application/json")
        assert response.status_code == 503, (after, response.content[:300])
        now = (Person.objects.count(), Case.objects.count(), CaseMember.objects.count(), AuditEntry.objects.count())
        assert now == baseline, after
