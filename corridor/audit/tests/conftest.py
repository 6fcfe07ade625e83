"""Fixtures for the audit tests: a key service that is unsealed or sealed, and trigger helpers.

The keystore lives in its own temporary folder, so workers running in parallel never
share one; settings.DATA_DIR points at it only for the test that asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.db.backends.base.operations import BaseDatabaseOperations

from corridor.audit import triggers
from corridor.keys import service, vault
from corridor.keys.protocol import Keyring


@pytest.fixture(scope="session")
def key_instance(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    data_dir = tmp_path_factory.mktemp("audit-keys")
    return data_dir, service.initialize(data_dir, 5, 3)


@pytest.fixture
def sealed_keyring(settings: Any, key_instance: tuple[Path, list[str]]) -> Iterator[Keyring]:
    settings.DATA_DIR = key_instance[0]
    vault.reset_for_tests()
    ring = vault.keyring()
    assert ring.status().sealed is True
    yield ring
    vault.reset_for_tests()


@pytest.fixture
def unsealed_keyring(sealed_keyring: Keyring, key_instance: tuple[Path, list[str]]) -> Keyring:
    for share in key_instance[1][:3]:
        sealed_keyring.submit_share(share)
    assert sealed_keyring.status().sealed is False
    return sealed_keyring


@pytest.fixture(autouse=True, scope="session")
def _flush_past_audit_triggers() -> Iterator[None]:
    """Let Django's flush (after transactional tests) empty the INSERT-only tables.

    Flush is the one legitimate bulk delete, and only in tests; move this to the root
    conftest once other apps run transactional or live-server tests.
    """
    original: Callable[..., Any] = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: BaseDatabaseOperations, sql_list: list[str]) -> None:
        with triggers.lifted(self.connection):
            original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    BaseDatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]


@pytest.fixture
def lift_triggers() -> Callable[[], Any]:
    """Drop the append-only triggers inside a block, as an attacker holding the database would."""
    return lambda: triggers.lifted(connections["default"])
