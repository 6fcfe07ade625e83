"""Fixtures for the whole suite: one initialised instance per test process, unsealed by default."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

SHARES: list[str] = []


def _ensure_initialised() -> list[str]:
    from corridor.keys import service

    if not SHARES:
        SHARES.extend(service.initialize(Path(settings.DATA_DIR), 5, 3))
    return SHARES


@pytest.fixture
def shares() -> list[str]:
    return list(_ensure_initialised())


@pytest.fixture(autouse=True)
def unsealed_instance() -> None:
    """Every test starts unsealed; a test that seals leaves the next one unaffected."""
    from corridor.keys import vault

    shares = _ensure_initialised()
    keyring = vault.keyring()
    if keyring.status().sealed:
        keyring.reset_unseal()
        for share in shares[:3]:
            keyring.submit_share(share)
