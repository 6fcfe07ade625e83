"""Fixtures for the whole suite: one initialised instance per test process, unsealed by default."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.backends.base.operations import BaseDatabaseOperations

SHARES: list[str] = []  # this process's trustee shares, for tests that unseal by hand


def _ensure_initialised() -> list[str]:
    from corridor.accounts.testing import instance_shares

    SHARES[:] = instance_shares()
    return SHARES


@pytest.fixture
def shares() -> list[str]:
    return list(_ensure_initialised())


@pytest.fixture(autouse=True)
def unsealed_instance() -> None:
    """Every test starts unsealed; a test that seals leaves the next one unaffected."""
    from corridor.accounts.testing import unseal
    from corridor.keys import treehead

    _ensure_initialised()
    # The database starts empty for every test but the keystore is per process: forget the
    # audit tree head keyd signed for the previous test's log (keyd would refuse to extend
    # it), as if this were a fresh instance.
    treehead.head_path(Path(settings.DATA_DIR)).unlink(missing_ok=True)
    unseal()


@pytest.fixture(autouse=True, scope="session")
def _flush_past_audit_triggers() -> Iterator[None]:
    """Let Django's flush (after transactional and live-server tests) empty the INSERT-only tables.

    Flush is the one legitimate bulk delete, and only in tests; a patch installed by
    someone else first is left alone.
    """
    from corridor.audit import triggers

    original: Callable[..., Any] = BaseDatabaseOperations.execute_sql_flush
    if original.__module__ != BaseDatabaseOperations.__module__:
        yield
        return

    def execute_sql_flush(self: BaseDatabaseOperations, sql_list: Iterable[str]) -> None:
        with triggers.lifted(self.connection):
            original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]  # patched for this session only
    yield
    BaseDatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]  # Django's own method back


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """A request in Russian leaves Russian active in the thread; each test starts in English."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
