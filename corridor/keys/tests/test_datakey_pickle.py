"""A pickled DataKey carries no key bytes (second review, issue 10: raw key bytes never leave keys).

plain_key() caches the unwrapped key in the instance's __dict__, which Django's Model pickles
whole: a DataKey (or a record holding one) put in a pickling cache wrote the key in clear.
"""

from __future__ import annotations

import copy
import pickle

import pytest

from corridor.keys.models import DataKey

pytestmark = pytest.mark.django_db


def test_a_pickled_data_key_holds_no_key_bytes_and_still_opens() -> None:
    key = DataKey.create("person")
    blob = key.seal(b"secret", b"aad")
    plain = key.plain_key()

    pickled = pickle.dumps(key)
    assert plain not in pickled
    restored = pickle.loads(pickled)  # noqa: S301 -- our own bytes, just pickled
    assert "_plain" not in restored.__dict__
    assert restored.open(blob, b"aad") == b"secret"
    assert key.plain_key() is plain  # the original keeps its cache
    assert copy.deepcopy(key).open(blob, b"aad") == b"secret"
