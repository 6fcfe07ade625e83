"""Fixtures for the key service tests: a 3-of-5 instance, sealed or unsealed.

Nothing here is slow: Shamir over 32 bytes and AES-GCM take microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from corridor.keys.service import KeyService, initialize


@dataclass
class Instance:
    data_dir: Path
    shares: list[str]


@pytest.fixture
def instance(tmp_path: Path) -> Instance:
    data_dir = tmp_path / "data"
    return Instance(data_dir, initialize(data_dir, shares=5, threshold=3))


@pytest.fixture
def unsealed(instance: Instance) -> KeyService:
    service = KeyService(instance.data_dir, min_retired_days=0)
    for share in instance.shares[:3]:
        service.submit_share(share)
    assert service.status().sealed is False
    return service


def typo(share: str) -> str:
    """The share with one data character changed (the last character may be only padding bits)."""
    at = share.index(": ") + 3
    return share[:at] + ("B" if share[at] != "B" else "C") + share[at + 1 :]
