"""Fixtures for the keys tests: an instance of our own, so rotating or destroying epochs
never touches the keystore the rest of the suite shares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corridor.keys import instance, service
from corridor.keys.keyring import Keyring


def unseal(ring: Keyring, shares: list[str]) -> None:
    ring.reset_unseal()
    for share in shares[:3]:
        ring.submit_share(share)
    assert ring.status().sealed is False


@pytest.fixture
def own_shares(settings: Any, tmp_path: Path) -> Iterator[list[str]]:
    """settings.DATA_DIR points at a new, unsealed instance for this test only."""
    settings.DATA_DIR = tmp_path / "instance"
    shares = service.initialize(Path(settings.DATA_DIR), 5, 3)
    instance.reset_for_tests()
    unseal(instance.keyring(), shares)
    yield shares
    instance.reset_for_tests()
