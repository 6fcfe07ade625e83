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

from corridor.audit import triggers
from corridor.keys import instance, service, treehead
from corridor.keys.keyring import Keyring


@pytest.fixture(scope="session")
def key_instance(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    data_dir = tmp_path_factory.mktemp("audit-keys")
    return data_dir, service.initialize(data_dir, 5, 3)


@pytest.fixture
def sealed_keyring(settings: Any, key_instance: tuple[Path, list[str]]) -> Iterator[Keyring]:
    settings.DATA_DIR = key_instance[0]
    treehead.head_path(key_instance[0]).unlink(missing_ok=True)  # each test's log starts empty
    instance.reset_for_tests()
    ring = instance.keyring()
    assert ring.status().sealed is True
    yield ring
    instance.reset_for_tests()


@pytest.fixture
def unsealed_keyring(sealed_keyring: Keyring, key_instance: tuple[Path, list[str]]) -> Keyring:
    for share in key_instance[1][:3]:
        sealed_keyring.submit_share(share)
    assert sealed_keyring.status().sealed is False
    return sealed_keyring


@pytest.fixture
def lift_triggers() -> Callable[[], Any]:
    """Drop the append-only triggers inside a block, as an attacker holding the database would."""
    return lambda: triggers.lifted(connections["default"])
