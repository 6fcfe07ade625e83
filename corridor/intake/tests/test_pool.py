"""The pool of passphrases derived ahead of time (corridor/intake/pool.py): handed out once,
emptied by a lockdown or any seal, refilled while idle and unsealed, and never needed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.intake import conf, domain, pool
from corridor.intake.models import IntakeRequest
from corridor.intake.tests.helpers import submit
from corridor.keys import api as keys_api
from corridor.keys import instance

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _fresh_pool(settings: Any) -> Iterator[None]:
    settings.INTAKE_MIN_FILL_SECONDS = 0
    settings.INTAKE_PASSPHRASE_POOL = 4
    cache.clear()
    pool.reset_for_tests()
    yield
    pool.reset_for_tests()


def _settings() -> tuple[bytes, keys_api.Argon2Params, int]:
    return domain.instance_salt(), conf.kdf_params(), conf.passphrase_words()


def _filled() -> pool.Pool:
    """This process's pool, told the settings (as a first request would) and filled up."""
    the_pool = pool.pool()
    assert the_pool.take(*_settings()) is None  # empty at first; tells it the salt
    the_pool.tick()
    assert len(the_pool) == 4
    return the_pool


def test_a_submission_takes_a_pooled_passphrase_and_it_opens_the_request() -> None:
    the_pool = _filled()
    pooled = [entry.passphrase for entry in list(the_pool._ready)]
    _response, codename = submit()
    assert codename == pooled[0]
    assert len(the_pool) == 3
    thread = domain.find(codename)
    assert thread is not None and thread.request == IntakeRequest.objects.get()
    # The keys stored are those of the passphrase shown: the same as deriving it now.
    assert thread.request.lookup == keys_api.derive(codename, *_settings()[:2]).lookup.hex()


def test_each_pooled_passphrase_is_handed_out_once_even_to_concurrent_takers() -> None:
    the_pool = _filled()
    taken: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)
    salt, params, words = _settings()

    def take() -> None:
        barrier.wait()
        entry = the_pool.take(salt, params, words)
        if entry is not None:
            with lock:
                taken.append(entry.passphrase)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(taken), len(set(taken)), len(the_pool)) == (4, 4, 0)
    # And through the form: three requests, three different passphrases, none from the pool twice.
    the_pool.tick()
    codenames = [submit()[1] for _ in range(3)]
    assert len({c for c in codenames if c}) == 3
    assert not set(codenames) & set(taken)


def test_a_lockdown_empties_the_pool_and_it_stays_empty_while_sealed(settings: Any) -> None:
    the_pool = _filled()
    admin = make_staff(Role.ADMIN, username="pool-admin")
    keys_api.lockdown(actor=admin, reason="admin")
    assert len(the_pool) == 0  # at once, in the worker where the lockdown was pressed
    the_pool.tick()  # what every worker's thread does every TICK_SECONDS
    assert len(the_pool) == 0
    the_pool.tick()
    assert (len(the_pool), the_pool.fill_one()) == (0, False)
    # The intake still works sealed: inline, as before the pool.
    _response, codename = submit()
    assert codename is not None and domain.find(codename) is not None


def test_any_seal_empties_the_pool_and_an_unseal_lets_it_refill(shares: list[str]) -> None:
    the_pool = _filled()
    instance.keyring().seal()
    the_pool.tick()
    assert len(the_pool) == 0
    for share in shares[:3]:
        instance.keyring().submit_share(share)
    the_pool.tick()
    assert len(the_pool) == 4


def test_a_derivation_running_when_the_seal_comes_is_thrown_away(monkeypatch: pytest.MonkeyPatch) -> None:
    the_pool = pool.pool()
    the_pool.take(*_settings())
    assert the_pool.look()
    real_derive = keys_api.derive

    def derive_then_seal(*args: Any) -> keys_api.DerivedKeys:
        keys = real_derive(*args)
        instance.keyring().seal()  # a lockdown lands while argon2 runs
        return keys

    monkeypatch.setattr(keys_api, "derive", derive_then_seal)
    assert the_pool.fill_one() is False
    assert len(the_pool) == 0


def test_a_key_service_that_cannot_answer_counts_as_sealed(monkeypatch: pytest.MonkeyPatch) -> None:
    the_pool = _filled()

    def down() -> bool:
        raise keys_api.KeyServiceUnavailable("keyd is not running")

    monkeypatch.setattr(keys_api, "is_sealed", down)
    the_pool.tick()
    assert (len(the_pool), the_pool.fill_one()) == (0, False)


def test_the_thread_refills_the_pool_while_idle_and_stops() -> None:
    the_pool = pool.pool()
    the_pool.take(*_settings())
    the_pool.start()
    try:
        deadline = time.monotonic() + 20
        while len(the_pool) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(the_pool) == 4
        _response, codename = submit()
        assert codename is not None
        deadline = time.monotonic() + 20
        while len(the_pool) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(the_pool) == 4  # refilled after the hand-out
        assert codename not in [entry.passphrase for entry in list(the_pool._ready)]
        thread = the_pool._thread
        assert thread is not None and thread.is_alive()
    finally:
        the_pool.stop()
    assert (thread.is_alive(), len(the_pool)) == (False, 0)


def test_with_the_pool_empty_or_off_the_inline_path_answers(settings: Any) -> None:
    assert len(pool.pool()) == 0
    first = submit()[1]
    settings.INTAKE_PASSPHRASE_POOL = 0
    pool.reset_for_tests()
    off = pool.pool()
    off.take(*_settings())
    off.tick()
    assert len(off) == 0
    second = submit()[1]
    assert first and second and first != second
    assert domain.find(first) is not None and domain.find(second) is not None


def test_entries_for_another_salt_or_too_old_are_never_handed_out(monkeypatch: pytest.MonkeyPatch) -> None:
    the_pool = _filled()
    salt, params, words = _settings()
    assert the_pool.take(b"another instance salt", params, words) is None  # all four thrown away
    assert len(the_pool) == 0
    the_pool.take(salt, params, words)
    the_pool.tick()
    later = time.monotonic() + conf.passphrase_pool_max_age() + 1
    monkeypatch.setattr(pool.time, "monotonic", lambda: later)
    the_pool.expire()
    assert len(the_pool) == 0


def test_a_pool_copied_into_a_forked_child_is_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    the_pool = _filled()
    monkeypatch.setattr(pool.os, "getpid", lambda: -1)  # as in a worker forked from a preloaded master
    assert the_pool.take(*_settings()) is None
    assert len(the_pool) == 0


def test_an_entry_keeps_its_secrets_out_of_its_repr() -> None:
    entry = _filled().take(*_settings())
    assert entry is not None
    text = repr(entry) + str(entry)
    assert entry.passphrase not in text and entry.keys.identity not in text and "AGE-SECRET-KEY" not in text


def _wait_for(condition: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return bool(condition())


def test_a_take_wakes_the_thread_to_refill_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Back to back, the thread must derive while the request runs, not at its next tick.

    With a tick of a minute, only the wake-up of `take` can refill the pool within seconds.
    """
    monkeypatch.setattr(pool, "TICK_SECONDS", 60.0)
    the_pool = pool.pool()
    the_pool.take(*_settings())
    the_pool.start()
    try:
        assert _wait_for(lambda: len(the_pool) == 4)
        pooled = [entry.passphrase for entry in list(the_pool._ready)]
        _response, codename = submit()
        assert codename == pooled[0]  # handed out from the pool, which had 3 left then
        assert _wait_for(lambda: len(the_pool) == 4)
        assert codename not in [entry.passphrase for entry in list(the_pool._ready)]
    finally:
        the_pool.stop()


def test_the_thread_derives_at_the_priority_of_requests() -> None:
    """Its work is a request's own KDF done early: at nice 19 it starved whenever the machine was busy."""
    the_pool = pool.pool()
    the_pool.take(*_settings())
    the_pool.start()
    try:
        assert _wait_for(lambda: len(the_pool) == 4)
        thread = the_pool._thread
        assert thread is not None and thread.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        the_pool.stop()


def test_a_lockdown_empties_every_workers_pool_and_none_refills_while_sealed(settings: Any) -> None:
    """Two pools with their real threads, as in two web workers: the lockdown's own worker empties
    at once (on_seal), the other within its tick, because it asks the key service; sealed, neither
    derives again, and an unseal-free wait shows it."""
    here = pool.pool()
    elsewhere = pool.Pool(4, conf.passphrase_pool_max_age())  # another worker's pool
    for the_pool in (here, elsewhere):
        the_pool.take(*_settings())
        the_pool.start()
    try:
        assert _wait_for(lambda: len(here) == 4 and len(elsewhere) == 4)
        admin = make_staff(Role.ADMIN, username="pool-admin-2")
        keys_api.lockdown(actor=admin, reason="admin")
        assert len(here) == 0  # at once, in the worker where the lockdown was pressed
        assert _wait_for(lambda: len(elsewhere) == 0, seconds=4 * pool.TICK_SECONDS + 1)
        # A request while sealed takes nothing from a pool and wakes the threads; still nothing is derived.
        _response, codename = submit()
        assert codename is not None
        time.sleep(3 * pool.TICK_SECONDS)
        assert (len(here), len(elsewhere)) == (0, 0)
    finally:
        here.stop()
        elsewhere.stop()
