"""The key service keeps each blind-index key it derived until the seal, and no longer."""

from __future__ import annotations

import os

import pytest

from corridor.keys import crypto, service
from corridor.keys.errors import Sealed
from corridor.keys.service import KeyService
from corridor.keys.tests.conftest import Instance


def test_blind_indexes_is_blind_index_per_value() -> None:
    key = os.urandom(32)
    values = ["magomed", "хасан", "", "a" * 500]
    for bits in (16, 24, 32, 64, 256):
        assert crypto.blind_indexes(key, values, bits) == [crypto.blind_index(key, v, bits) for v in values]
    with pytest.raises(ValueError, match="bits"):
        crypto.blind_indexes(key, values, 12)


def test_index_key_is_derived_once_and_gives_the_same_tokens(unsealed: KeyService, monkeypatch: pytest.MonkeyPatch) -> None:
    derived: list[bytes] = []
    real = crypto.hkdf

    def counting(root: bytes, info: bytes, length: int = crypto.KEY_BYTES) -> bytes:
        derived.append(info)
        return real(root, info, length)

    monkeypatch.setattr(crypto, "hkdf", counting)
    first = unsealed.blind_index("person.name", ["magomed", "hasan"], 32)
    again = unsealed.blind_index("person.name", ["magomed", "hasan"], 32)
    other = unsealed.blind_index("person.phone", ["magomed"], 32)
    assert first == again and other[0] != first[0]
    assert derived == [service.INFO_BLIND_INDEX + b"person.name", service.INFO_BLIND_INDEX + b"person.phone"]


def test_seal_drops_the_index_keys(instance: Instance) -> None:
    ring = KeyService(instance.data_dir, min_retired_days=0)
    for share in instance.shares[:3]:
        ring.submit_share(share)
    before = ring.blind_index("person.name", ["magomed"], 32)
    held = ring._keys
    assert held is not None and set(held.index_keys) == {"person.name"}
    ring.seal()
    assert ring._keys is None
    with pytest.raises(Sealed):
        ring.blind_index("person.name", ["magomed"], 32)
    for share in instance.shares[:3]:
        ring.submit_share(share)
    reopened = ring._keys
    assert reopened is not None and reopened.index_keys == {}  # a new unseal starts with none
    assert ring.blind_index("person.name", ["magomed"], 32) == before


def test_index_names_kept_are_bounded(unsealed: KeyService) -> None:
    for n in range(service.MAX_CACHED_INDEX_KEYS + 20):
        unsealed.blind_index(f"probe.{n}", ["x"], 32)
    held = unsealed._keys
    assert held is not None and len(held.index_keys) == service.MAX_CACHED_INDEX_KEYS
    # Past the bound, keys are still right: derived per call.
    late = f"probe.{service.MAX_CACHED_INDEX_KEYS + 5}"
    expected = crypto.blind_index(crypto.hkdf(held.root, service.INFO_BLIND_INDEX + late.encode()), "x", 32)
    assert unsealed.blind_index(late, ["x"], 32) == [expected]
