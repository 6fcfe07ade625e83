"""The key service's per-call KEK ciphers (e9e3e4b): none outlives its call (success or failure),
each wrap in a batch draws a fresh nonce, and destroy_epoch never lands inside a batch (review rev2)."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

import pytest

from corridor.keys import crypto
from corridor.keys import service as service_module
from corridor.keys.errors import DecryptionError, UnknownEpoch
from corridor.keys.service import KeyService

made: list[Any] = []  # weak references to every Cipher the service built


class Tracked(crypto.Cipher):
    __slots__ = ("__weakref__",)

    def __init__(self, key: bytes) -> None:
        super().__init__(key)
        made.append(weakref.ref(self))


def _alive() -> int:
    gc.collect()
    return sum(1 for ref in made if ref() is not None)


def test_no_cipher_outlives_a_call(unsealed: KeyService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module.crypto, "Cipher", Tracked)
    made.clear()
    pairs = [(crypto.random_key(), f"person|{i}") for i in range(50)]
    wrapped = unsealed.wrap(pairs)
    assert _alive() == 0 and len(made) == 1
    out = unsealed.unwrap([(w, ctx) for w, (_k, ctx) in zip(wrapped, pairs, strict=True)])
    assert out == [k for k, _ctx in pairs]
    assert _alive() == 0
    unsealed.rewrap([(w, ctx) for w, (_k, ctx) in zip(wrapped, pairs, strict=True)])
    unsealed.generate_data_keys(["a|1", "a|2"])
    assert _alive() == 0
    try:
        unsealed.unwrap([(wrapped[0], "person|0"), (wrapped[1], "person|0")])  # 2nd: wrong context
    except DecryptionError:
        pass
    else:
        raise AssertionError("a swapped context opened")
    assert _alive() == 0


def test_nonces_are_fresh_in_one_batch(unsealed: KeyService) -> None:
    key = crypto.random_key()
    wrapped = unsealed.wrap([(key, "person|same")] * 2000)
    # epoch, version byte, 96-bit nonce, then a 32-byte key and a 16-byte tag
    assert len({w[-(32 + 16 + 12) : -(32 + 16)] for w in wrapped}) == 2000


def test_destroy_epoch_racing_a_batch(unsealed: KeyService) -> None:
    old = unsealed.epochs()[0].version
    pairs = [(crypto.random_key(), f"p|{i}") for i in range(3000)]
    wrapped = unsealed.wrap(pairs)
    unsealed.rotate()
    unsealed.retire_epoch(old)
    results: list[Any] = []

    def batch() -> None:
        try:
            results.append(unsealed.unwrap([(w, c) for w, (_k, c) in zip(wrapped, pairs, strict=True)]))
        except UnknownEpoch as exc:
            results.append(exc)

    t = threading.Thread(target=batch)
    t.start()
    unsealed.destroy_epoch(old)
    t.join()
    assert len(results) == 1
    assert isinstance(results[0], UnknownEpoch) or results[0] == [k for k, _c in pairs]
    with pytest.raises(UnknownEpoch):
        unsealed.unwrap([(wrapped[0], "p|0")])
