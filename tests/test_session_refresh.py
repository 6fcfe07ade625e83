"""The idle timeout's row write (corridor/accounts/session_store.py SessionStore.save).

Every request saves its session (SESSION_SAVE_EVERY_REQUEST) so that the row's expire_date
follows the last request. An unchanged session's row is now rewritten only once that would move
its expiry by a step (60 s, or a tenth of a shorter idle timeout): before, every page committed
that write besides its audit entry. These tests hold the three promises that rest on it: the
idle timeout still ends a session, never later than configured; an active session is kept
alive; and any change to a session is written at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from corridor.accounts.models import HashedSession, Role
from corridor.accounts.session_store import REFRESH_STEP, SessionStore, stored_key
from corridor.accounts.testing import make_staff, sign_in

pytestmark = [pytest.mark.django_db(transaction=True)]


def _signed_in_client() -> tuple[Client, str]:
    client = sign_in(Client(), make_staff(Role.CASEWORKER))
    return client, client.cookies[settings.SESSION_COOKIE_NAME].value


def _expiry(key: str) -> datetime:
    return HashedSession.objects.get(session_key=stored_key(key)).expire_date


def _session_writes(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return sum(
        1
        for query in queries.captured_queries
        if "accounts_hashedsession" in query["sql"] and query["sql"].startswith(("UPDATE", "INSERT"))
    )


def test_an_unchanged_session_is_not_rewritten_on_every_page() -> None:
    client, key = _signed_in_client()
    before = _expiry(key)
    assert _session_writes(client, reverse("web:dashboard")) == 0
    assert _session_writes(client, reverse("cases:cases")) == 0
    assert _expiry(key) == before


def test_a_session_used_again_after_a_step_has_its_expiry_moved_to_a_full_idle_timeout() -> None:
    """The idle timeout follows the last request, to within one step."""
    client, key = _signed_in_client()
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    # As if the row was last written a step and a second ago.
    HashedSession.objects.filter(session_key=stored_key(key)).update(
        expire_date=timezone.now() + age - REFRESH_STEP - timedelta(seconds=1)
    )
    assert _session_writes(client, reverse("web:dashboard")) == 1
    assert abs(_expiry(key) - (timezone.now() + age)) < timedelta(seconds=5)


def test_a_session_about_to_time_out_is_kept_alive_by_a_request() -> None:
    client, key = _signed_in_client()
    HashedSession.objects.filter(session_key=stored_key(key)).update(expire_date=timezone.now() + timedelta(seconds=3))
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert _expiry(key) > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE) - timedelta(seconds=5)


def test_an_idle_session_still_times_out() -> None:
    client, key = _signed_in_client()
    HashedSession.objects.filter(session_key=stored_key(key)).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_a_changed_session_is_written_at_once() -> None:
    _client, key = _signed_in_client()
    store = SessionStore(key)
    assert store.get("_auth_user_id") is not None  # loaded
    store["corridor.test_marker"] = "written"
    store.save()
    assert SessionStore(key).get("corridor.test_marker") == "written"
    # An unchanged store loaded the same way writes nothing.
    before = _expiry(key)
    again = SessionStore(key)
    again.keys()
    again.save()
    assert _expiry(key) == before


def test_a_new_key_is_always_written() -> None:
    """cycle_key (sign-in, step-up) creates the new row whatever the old one's age."""
    _client, key = _signed_in_client()
    store = SessionStore(key)
    store.keys()
    store.cycle_key()
    assert store.session_key != key
    assert HashedSession.objects.filter(session_key=stored_key(store.session_key)).exists()
    assert not HashedSession.objects.filter(session_key=stored_key(key)).exists()


@override_settings(SESSION_COOKIE_AGE=60)
def test_the_step_is_a_tenth_of_a_short_idle_timeout() -> None:
    """With the shortest idle timeout allowed (60 s) a 60 s step would never refresh: it is 6 s."""
    _client, key = _signed_in_client()
    HashedSession.objects.filter(session_key=stored_key(key)).update(expire_date=timezone.now() + timedelta(seconds=53))
    store = SessionStore(key)
    store.keys()
    store.save()
    assert _expiry(key) > timezone.now() + timedelta(seconds=55)
    HashedSession.objects.filter(session_key=stored_key(key)).update(expire_date=timezone.now() + timedelta(seconds=57))
    kept = _expiry(key)
    store = SessionStore(key)
    store.keys()
    store.save()
    assert _expiry(key) == kept


def test_a_shortened_idle_timeout_applies_from_the_next_request() -> None:
    """An operator who lowers CORRIDOR_SESSION_IDLE_SECONDS restarts only the web server, and
    sessions live on. Their next request must bring the row's expiry in to the new timeout, as
    every request did before the step: the store kept the later expiry (skipped as "less than a
    step"), so a session signed in under 1800 s stayed valid 30 minutes after a request made under
    300 s. The same holds for a row written before this node's clock stepped back."""
    client, key = _signed_in_client()
    assert _expiry(key) > timezone.now() + timedelta(seconds=1700)
    with override_settings(SESSION_COOKIE_AGE=300):
        assert client.get(reverse("web:dashboard")).status_code == 200
        assert timezone.now() + timedelta(seconds=290) < _expiry(key) <= timezone.now() + timedelta(seconds=300)
    # A clock stepped back ten minutes: the row expires later than a full timeout from now.
    HashedSession.objects.filter(session_key=stored_key(key)).update(
        expire_date=timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 600)
    )
    assert _session_writes(client, reverse("web:dashboard")) == 1
    assert _expiry(key) <= timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_the_async_save_skips_and_writes_as_the_sync_one() -> None:
    """SessionStore.asave (Django's alogin, acycle_key, async views) takes the same decision."""
    from tests.test_seizure_sessions import _in_own_loop

    _client, key = _signed_in_client()

    async def load_and_save(value: int | None = None) -> None:
        store = SessionStore(key)
        await store.akeys()
        if value is not None:
            await store.aset("corridor.test_marker", value)
        await store.asave()

    before = _expiry(key)
    _in_own_loop(load_and_save())
    assert _expiry(key) == before  # unchanged, within a step: not written
    _in_own_loop(load_and_save(1))
    assert SessionStore(key).get("corridor.test_marker") == 1  # changed: written at once
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    HashedSession.objects.filter(session_key=stored_key(key)).update(expire_date=timezone.now() + age - REFRESH_STEP * 2)
    _in_own_loop(load_and_save())
    assert _expiry(key) > timezone.now() + age - timedelta(seconds=5)  # a step old: moved on
