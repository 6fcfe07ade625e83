"""Fuzz of referral bundles (corridor/transfer/referrals.py and the import in transfer/domain/referrals.py).

Properties: any bytes are unpacked or refused (BundleRefused) on their size and magic alone,
before a signature is checked or anything decrypted; any JSON a partner's bundle could hold,
once opened, is parsed into the chosen fields or refused, and every reading the preview and
the import make of it (names, phones, date of birth, id, the person's fields, the needs) is
a value or BundleRefused, never another exception; valid contents round-trip.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corridor.transfer import referrals as bundle
from corridor.transfer.domain import referrals

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=15,
)
field_names = st.sampled_from([*sorted(bundle.FIELDS), "birth_precision", "other"])


def _contents(person: dict[str, Any], case: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    document = {
        "format": bundle.FORMAT,
        "id": "6f1c2c5e-5b1e-4d0e-8f5e-0a0b0c0d0e0f",
        "created": "2026-01-02T03:04:05+00:00",
        "sender": "s",
        "recipient": "r",
        "codename": "Falcon",
        "fields": list(bundle.FIELDS),
        "person": person,
        "case": case,
        "documents": [],
    }
    document.update(extra)
    return document


def _read_everything(contents: bundle.Contents) -> None:
    """What open_bundle and import_bundle read from the contents before writing anything."""
    referrals._names(contents)
    referrals._phones(contents)
    referrals._birth_date(contents)
    referrals._uuid(contents.id)
    referrals._person_kwargs(contents)
    referrals._needs(contents)


@FUZZ
@given(
    st.dictionaries(field_names, values, max_size=8),
    st.dictionaries(field_names, values, max_size=4),
    st.dictionaries(
        st.sampled_from(["format", "id", "created", "fields", "person", "case", "documents", "codename"]), values, max_size=3
    ),
)
@example({"contacts": 5}, {}, {})  # found here: contacts that are not a list broke the preview (TypeError)
@example({}, {"needs": 7}, {})  # found here: needs that are not a list broke the import (TypeError)
@example({"birth_date": "2020-13-45"}, {}, {})
@example({}, {}, {"id": "not a uuid"})
@example({}, {}, {"created": 12})
def test_any_contents_are_read_or_refused(person: dict[str, Any], case: dict[str, Any], extra: dict[str, Any]) -> None:
    plain = json.dumps(_contents(person, case, extra)).encode()
    try:
        contents = bundle.parse_contents(plain)
        _read_everything(contents)
    except bundle.BundleRefused as refused:
        assert str(refused).startswith("the bundle")


@FUZZ
@given(st.binary(max_size=200))
@example(b"\xff\xfe{}")
@example(b"[]")
@example(b'{"format": 1}')
def test_unreadable_contents_are_refused(plain: bytes) -> None:
    with pytest.raises(bundle.BundleRefused):
        bundle.parse_contents(plain)


@FUZZ
@given(st.binary(max_size=300), st.booleans())
def test_any_bytes_are_unpacked_or_refused_on_their_shape(tail: bytes, magic: bool) -> None:
    blob = (bundle.MAGIC if magic else b"") + tail
    try:
        signature, ciphertext, digest = bundle.unpack(blob)
    except bundle.BundleRefused:
        assert not magic or len(tail) <= bundle.SIGNATURE_BYTES
    else:
        assert bundle.pack(signature, ciphertext) == blob and len(digest) == 32


def test_an_oversized_bundle_is_refused_before_anything_else() -> None:
    with pytest.raises(bundle.BundleRefused, match="larger"):
        bundle.unpack(bundle.MAGIC + b"\x00" * bundle.MAX_BUNDLE_BYTES)


@FUZZ
@given(
    st.text(max_size=30),
    st.lists(st.sampled_from(sorted(bundle.FIELDS)), unique=True),
    st.dictionaries(st.sampled_from(bundle.PERSON_FIELDS), st.text(max_size=20), max_size=4),
    st.dictionaries(st.sampled_from(bundle.CASE_FIELDS), st.text(max_size=20), max_size=3),
)
def test_contents_round_trip(codename: str, fields: list[str], person: dict[str, Any], case: dict[str, Any]) -> None:
    person = {k: v for k, v in person.items() if k in fields}
    case = {k: v for k, v in case.items() if k in fields}
    original = bundle.Contents(
        id="6f1c2c5e-5b1e-4d0e-8f5e-0a0b0c0d0e0f",
        created=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
        sender="s",
        recipient="r",
        codename=codename[:40],
        fields=fields,
        person=person,
        case=case,
    )
    assert bundle.parse_contents(original.to_json()) == original
