"""Blind indexes: exact-match search over encrypted fields without plaintext at rest (Invariant 8).

A token is HMAC-SHA256(index key, normalize(value)) truncated to `bits`; the index key is
derived by HKDF from the root inside the key service, one per index name.

Truncation is deliberate: with N records and b bits a lookup returns about N / 2**b
false candidates, and a token alone cannot confirm a guessed name once many names share
it. So `lookup` returns *candidates*: decrypt them and keep the real matches with
`filter_candidates` before showing anything.

Each BlindIndex is defined next to the model it serves, with its budget written there:

    PERSON_NAME = BlindIndex(
        "person.name", bits=32, expected_records=100_000,
        budget="32 bits for 1e5 people: ~2.3e-5 false candidates per lookup",
    )
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import models, transaction

from corridor.keys import instance
from corridor.keys.fields import resolve_data_key
from corridor.keys.models import BlindIndexEntry
from corridor.keys.translit import normalize

__all__ = [
    "BlindIndex",
    "filter_candidates",
    "index_values",
    "lookup",
    "lookup_each",
    "normalize",
    "remove_entries",
    "search",
    "tokens",
]

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class BlindIndex:
    """One named blind index: its key name, token length and written-down bit budget."""

    name: str
    bits: int
    expected_records: int
    budget: str
    normalizer: Callable[[str], str] = field(default=normalize)
    key_field: str = "data_key"

    def __post_init__(self) -> None:
        # Fewer than 16 bits makes every lookup return a large share of the table; more
        # than 64 makes a token a near-unique fingerprint that confirms a guessed name.
        if self.bits % 8 != 0 or not 16 <= self.bits <= 64:
            raise ValueError("blind index bits must be a multiple of 8 between 16 and 64")
        if not self.name or "|" in self.name:
            raise ValueError("a blind index needs a name without '|'")
        if not self.budget:
            raise ValueError("write the bit budget next to the index (expected false positives for N records)")

    def false_positives_per_lookup(self, records: int | None = None) -> float:
        """Expected unrelated candidates per lookup: N / 2**bits."""
        n = self.expected_records if records is None else records
        return float(n / 2**self.bits)


def tokens(index: BlindIndex, values: Iterable[str]) -> list[bytes]:
    """The distinct tokens of `values` (empty values after normalisation are skipped)."""
    normalized = sorted({n for n in (index.normalizer(v) for v in values if v is not None) if n})
    if not normalized:
        return []
    return sorted(set(instance.keyring().blind_index(index.name, normalized, index.bits)))


def _owner_model(obj_or_model: models.Model | type[models.Model]) -> str:
    return obj_or_model._meta.label_lower


def index_values(obj: models.Model, index: BlindIndex, values: Iterable[str]) -> int:
    """Replace `obj`'s entries in `index` with tokens for `values`; returns how many were stored.

    The entries belong to obj's data key (index.key_field), so shredding it deletes them.
    """
    data_key = resolve_data_key(obj, index.key_field)
    found = tokens(index, values)
    with transaction.atomic():
        BlindIndexEntry.objects.filter(index_name=index.name, owner_model=_owner_model(obj), owner_id=obj.pk).delete()
        BlindIndexEntry.objects.bulk_create(
            BlindIndexEntry(index_name=index.name, token=token, owner_model=_owner_model(obj), owner_id=obj.pk, data_key=data_key)
            for token in found
        )
    return len(found)


def remove_entries(obj: models.Model, index: BlindIndex | None = None) -> None:
    """Delete obj's entries (in one index, or in all) - call it when obj is deleted."""
    entries = BlindIndexEntry.objects.filter(owner_model=_owner_model(obj), owner_id=obj.pk)
    if index is not None:
        entries = entries.filter(index_name=index.name)
    entries.delete()


def lookup(index: BlindIndex, value: str, model: type[models.Model]) -> list[uuid.UUID]:
    """Primary keys of `model` rows whose token matches: candidates, to be re-checked."""
    found = tokens(index, [value])
    if not found:
        return []
    # No DISTINCT: to order for it SQLite would walk the (owner_model, owner_id) index and read
    # every entry instead of using the token index; duplicates are dropped here instead.
    rows = BlindIndexEntry.objects.filter(index_name=index.name, token__in=found, owner_model=_owner_model(model))
    return list(dict.fromkeys(rows.values_list("owner_id", flat=True)))


def lookup_each(index: BlindIndex, values: Sequence[str], model: type[models.Model]) -> list[set[uuid.UUID]]:
    """For each of `values`, the primary keys of `model` rows whose token matches (candidates).

    One keyring call and one query whatever the number of values, so how long a search of
    several name parts takes depends on how many parts were typed, not on whom they match.
    """
    found: list[set[uuid.UUID]] = [set() for _ in values]
    normalized = [(i, index.normalizer(v)) for i, v in enumerate(values)]
    normalized = [(i, n) for i, n in normalized if n]
    if not normalized:
        return found
    tokens = instance.keyring().blind_index(index.name, [n for _, n in normalized], index.bits)
    positions: dict[bytes, list[int]] = {}
    for (i, _), token in zip(normalized, tokens, strict=True):
        positions.setdefault(bytes(token), []).append(i)  # two values may share a truncated token
    rows = BlindIndexEntry.objects.filter(index_name=index.name, token__in=list(positions), owner_model=_owner_model(model))
    for stored, owner in rows.values_list("token", "owner_id"):
        for i in positions.get(bytes(stored), []):
            found[i].add(owner)
    return found


def filter_candidates(
    index: BlindIndex, value: str, candidates: Iterable[M], values_of: Callable[[M], Sequence[str | None]]
) -> list[M]:
    """Keep the candidates whose decrypted values really match `value` after normalisation.

    `values_of(obj)` returns the plaintext values that were indexed for obj (reading them
    decrypts them); truncated tokens collide, so this step is not optional.
    """
    wanted = index.normalizer(value)
    if not wanted:
        return []
    kept = []
    for obj in candidates:
        if any(v is not None and index.normalizer(v) == wanted for v in values_of(obj)):
            kept.append(obj)
    return kept


def search(
    index: BlindIndex, value: str, queryset: models.QuerySet[M], values_of: Callable[[M], Sequence[str | None]]
) -> list[M]:
    """lookup + fetch + filter_candidates in one call, within `queryset` (access rules applied)."""
    ids = lookup(index, value, queryset.model)
    # The scoped query runs even when the index found no one (with an id no row has): skipping
    # it only then made a match outside `queryset` (someone the user may not see) slower to
    # answer than no match at all, which anyone can time. Indexed models have UUID keys.
    return filter_candidates(index, value, queryset.filter(pk__in=ids or [uuid.uuid4()]), values_of)
