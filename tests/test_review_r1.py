"""Second review of the day's security code (R1): each test failed before its fix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from corridor.accounts.models import HashedSession, Role
from corridor.accounts.session_store import REFRESH_STEP, stored_key
from corridor.accounts.testing import World, make_world, sign_in
from corridor.cases import domain
from corridor.cases.models import Case, Note, Priority

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def _open(world: World, name: str) -> Case:
    worker = world.users[Role.CASEWORKER]
    return domain.create_person_with_case(worker, team=world.team_a, priority=Priority.NORMAL, names=[{"name": name, "kind": "legal"}])[1]


@pytest.mark.parametrize(
    "created",
    # Well-formed positions whose time cannot be expressed in UTC: the database adapter's
    # conversion overflowed (OverflowError, a 500 on SQLite).
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"],
)
@pytest.mark.parametrize("direction", ["after", "before"])
def test_a_position_out_of_the_calendar_is_the_first_page(world: World, created: str, direction: str) -> None:
    import base64

    first = _open(world, "Person One")
    token = base64.urlsafe_b64encode(f"0~2026-01-01~{created}~{'0' * 32}".encode()).decode().rstrip("=")
    response = sign_in(Client(raise_request_exception=False), world.users[Role.CASEWORKER]).get("/cases/", {direction: token})
    assert response.status_code == 200
    assert [case.pk for case in response.context["rows"]] == [first.pk]
    assert response.context["stale_link"] is True


@pytest.mark.django_db(transaction=True)  # real commits: the note's transaction ends before the session is saved
def test_a_503_never_hides_a_change_that_was_saved(world: World) -> None:
    """The database is lost after each statement of a page's write in turn, the session's save
    included (SESSION_SAVE_EVERY_REQUEST: it comes after the view's transaction committed, when
    the session is due for its refresh).

    Before: cut at the session's save, the page said 503 "Nothing was saved. Try again" over a
    note that was saved, so trying again wrote it twice. Now each answer tells the truth: a
    503 when nothing was written, the view's own answer when the note was.
    """
    from tests.test_faults_database import database_lost

    case = _open(world, "Person One")
    client = sign_in(Client(raise_request_exception=False), world.users[Role.CASEWORKER])

    def session_due() -> None:
        # The store rewrites an unchanged session only once its expiry would move by a step
        # (session_store.REFRESH_STEP): make the row that old, so that each page writes it last.
        key = stored_key(client.cookies[settings.SESSION_COOKIE_NAME].value)
        later = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE) - 2 * REFRESH_STEP
        assert HashedSession.objects.filter(session_key=key).update(expire_date=later) == 1

    url = f"/cases/{case.pk}/notes/"
    assert client.post(url, {"body": "first"}).status_code == 302
    session_due()
    with database_lost(after=10_000) as ran:
        assert client.post(url, {"body": "second"}).status_code == 302
    assert any("accounts_hashedsession" in sql for sql in ran[-2:])  # the session's save is the last write
    answers = []
    for after in range(len(ran) + 1):
        before = Note.objects.filter(case=case).count()
        session_due()
        with database_lost(after=after):
            response = client.post(url, {"body": f"cut after {after}"})
        written = Note.objects.filter(case=case).count() - before
        answers.append((after, response.status_code, written))
        assert (response.status_code, written) in ((503, 0), (302, 1)), answers
    assert {(status, written) for _after, status, written in answers} == {(503, 0), (302, 1)}
