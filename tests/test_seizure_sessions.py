"""The seizure test for sessions: a copy of the database gives no session key that signs anyone in.

The store keeps SHA-256 of each key (corridor/accounts/session_store.py); the cookie's own value
is never written, so it is not in the database file, its WAL, a pg_dump or the SQL logs.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar, cast

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from corridor.accounts.models import HashedSession, Role
from corridor.accounts.testing import PASSWORD, make_staff, totp_now
from tests.seizure import captured_logs, scan_at_rest

pytestmark = [pytest.mark.django_db(transaction=True)]

T = TypeVar("T")


def _cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _signed_in(cookie: str) -> bool:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    return client.get(reverse("web:dashboard")).status_code == 200


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _sign_in_by_hand(client: Client, username: str, code: str) -> list[str]:
    """The real two-step sign-in; every session id the browser held on the way."""
    seen = []
    client.get(reverse("accounts:login"))
    client.session.save()
    seen.append(_cookie(client))
    client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    seen.append(_cookie(client))
    response = client.post(reverse("accounts:verify"), {"code": code})
    assert response.status_code == 302, response.content[:300]
    seen.append(_cookie(client))
    return seen


def test_no_session_key_is_at_rest_only_its_sha256() -> None:
    """Before: django_session held each key as it is in the cookie (and SQL logs showed it)."""
    user = make_staff(Role.CASEWORKER)
    client = Client()
    with captured_logs() as logs:
        keys = _sign_in_by_hand(client, user.username, totp_now(user))
        assert client.get(reverse("web:dashboard")).status_code == 200
    live = keys[-1]
    assert len(set(keys)) == 3  # a new id at each step (session fixation), each one checked below
    assert list(HashedSession.objects.values_list("session_key", flat=True)) == [_sha256(live)]
    planted = {f"session key {n}": key for n, key in enumerate(keys)}
    assert scan_at_rest(planted, extra={"logs": logs.getvalue().encode()}) == []


def test_the_stored_value_as_a_cookie_signs_no_one_in() -> None:
    """Before: the stored value was the key, and a copy of the table rode the staff session."""
    user = make_staff(Role.ADMIN)
    client = Client()
    _sign_in_by_hand(client, user.username, totp_now(user))
    assert _signed_in(_cookie(client))
    stored = HashedSession.objects.get().session_key
    assert stored != _cookie(client)
    assert not _signed_in(stored)
    assert not _signed_in(stored[:32])  # the shape of a real key, from the stored value


def test_sign_out_removes_the_stored_session_and_its_key_opens_nothing() -> None:
    user = make_staff(Role.CASEWORKER)
    client = Client()
    _sign_in_by_hand(client, user.username, totp_now(user))
    key = _cookie(client)
    client.post(reverse("accounts:logout"))
    assert not HashedSession.objects.filter(session_key=_sha256(key)).exists()
    assert not _signed_in(key)


def test_an_expired_session_opens_nothing_and_clearsessions_removes_it() -> None:
    user = make_staff(Role.CASEWORKER)
    client = Client()
    _sign_in_by_hand(client, user.username, totp_now(user))
    key = _cookie(client)
    HashedSession.objects.filter(session_key=_sha256(key)).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert not _signed_in(key)
    call_command("clearsessions")
    assert not HashedSession.objects.filter(session_key=_sha256(key)).exists()


def _in_own_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on a new event loop in a thread of its own: the test's thread may hold a
    running loop left by a browser test in the same worker, where async_to_sync refuses to run.
    The rows are committed (transaction=True), so that thread's connection sees them."""
    outcome: dict[str, Any] = {}

    async def then_close() -> T:
        try:
            return await coroutine
        finally:
            # Django's async ORM ran in asgiref's shared thread: close that thread's connection.
            await sync_to_async(connections.close_all)()

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(then_close())
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if "error" in outcome:
        raise outcome["error"]
    return cast("T", outcome["value"])


def test_the_store_keeps_digests_through_cycle_key_flush_and_its_async_calls() -> None:
    from corridor.accounts.session_store import SessionStore

    def stored() -> list[str]:
        return list(HashedSession.objects.values_list("session_key", flat=True))

    session = SessionStore()
    session["n"] = 1
    session.save()
    first = session.session_key
    assert first is not None and stored() == [_sha256(first)]
    assert SessionStore(first).load() == {"n": 1}
    session.cycle_key()  # at each sign-in step and step-up: the old row goes, the data stays
    second = session.session_key
    assert second is not None and second != first and stored() == [_sha256(second)]
    assert SessionStore(_sha256(second)).load() == {}  # the digest is no key
    assert SessionStore(_sha256(second)).session_key is None

    assert _in_own_loop(SessionStore(second).aload()) == {"n": 1}
    other = SessionStore()
    other["n"] = 2
    _in_own_loop(other.asave())
    assert other.session_key is not None and _sha256(other.session_key) in stored()
    assert _in_own_loop(other.aexists(other.session_key))
    _in_own_loop(other.adelete())
    session.flush()  # sign-out
    assert stored() == []


def test_the_session_models_manager_save_stores_the_digest_too() -> None:
    """Django's manager has a save(key, data, expiry) of its own; nothing calls it, and if
    anything ever does, the key it is given still never reaches the table."""
    key = "k" * 32
    HashedSession.objects.save(key, {"n": 1}, timezone.now() + timedelta(hours=1))
    assert list(HashedSession.objects.values_list("session_key", flat=True)) == [_sha256(key)]


def test_every_method_of_djangos_db_store_that_reaches_the_table_by_key_is_ours() -> None:
    """A Django upgrade that adds a way for its db store to reach a row by key fails here, so
    the new way cannot bypass the digest unnoticed."""
    from django.contrib.sessions.backends import db

    from corridor.accounts.session_store import SessionStore

    by_key = {"_get_session_from_db", "_aget_session_from_db", "exists", "aexists", "create_model_instance"}
    by_key |= {"acreate_model_instance", "delete", "adelete"}
    by_date_or_through_the_above = {"__init__", "get_model_class", "model", "load", "aload", "create", "acreate"}
    by_date_or_through_the_above |= {"save", "asave", "clear_expired", "aclear_expired"}
    defined = {name for name in vars(db.SessionStore) if not name.startswith("__") or name == "__init__"}
    assert defined - {"__module__", "__doc__"} == by_key | by_date_or_through_the_above
    assert {name for name in by_key if name in vars(SessionStore)} == by_key


def test_an_unknown_key_on_a_page_that_never_reads_the_session_writes_no_row() -> None:
    """Before: any 32-character cookie sent to the intake (which never reads the session) made
    the store draw and write a fresh empty row and set a new cookie, one per request, for anyone:
    Django asks is_empty() before loading, so the unknown key still counted as a session."""
    planted = Client()
    planted.cookies[settings.SESSION_COOKIE_NAME] = "b" * 32
    response = planted.get("/help/")
    assert response.status_code == 200
    assert HashedSession.objects.count() == 0
    assert response.cookies[settings.SESSION_COOKIE_NAME].value == ""  # the stale cookie is deleted
    # A live session on the same page is kept and slides as before.
    user = make_staff(Role.CASEWORKER)
    client = Client()
    _sign_in_by_hand(client, user.username, totp_now(user))
    key = _cookie(client)
    assert client.get("/help/").status_code == 200
    assert _cookie(client) == key and HashedSession.objects.filter(session_key=_sha256(key)).exists()
    assert _signed_in(key)
