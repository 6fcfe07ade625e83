"""Near-duplicate texts among sources: a report that copies another, two testimonies that are
suspiciously identical. Flags for a person to judge, never a decision.

MinHash over word shingles with LSH banding, written here rather than taken from `datasketch`:
that library needs numpy (and scipy) for what is forty lines of arithmetic, and Corridor ships
neither. What this needs is small, deterministic (the same text gives the same signature in
every process, so results can be compared across runs: blake2b, not Python's salted `hash`) and
fast enough in pure Python for ten thousand testimonies (bench/documentation_bench.py).

- A text becomes the set of its word 4-grams ("shingles"), after Unicode normalisation and case
  folding, each hashed to 64 bits.
- The signature keeps, for each of NUM_PERM fixed 64-bit masks, the smallest `hash XOR mask`.
  The shingle that wins for a mask is the one a random walk down the bits of the hashes picks,
  so each shingle of A ∪ B is equally likely to win and P(sig_A[i] == sig_B[i]) = J(A, B), the
  Jaccard similarity; XOR keeps each of the NUM_PERM passes a single C-level `min(map(...))`.
- LSH: the signature is cut into BANDS bands of ROWS values; texts that share one whole band
  are candidates. With 32 x 4 the chance a pair becomes a candidate is 1 - (1 - J^4)^32: 0.87
  at J = 0.5, 0.999 at J = 0.7, 0.03 at J = 0.2. Candidates are then checked on their exact
  shingle sets (held in memory anyway), so a chance collision is never flagged.

Texts are decrypted, compared in memory while the instance is unsealed and dropped: no
signature, shingle or similarity is stored (a signature of a testimony would be a fingerprint
of it at rest).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from corridor.documentation import access
from corridor.documentation.models import Event, Information, Source, SourceKind
from corridor.keys.fields import preload_keys

SHINGLE_WORDS = 4
NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
# The share of wording two texts must have in common to be flagged.
THRESHOLD = 0.5

_WORD = re.compile(r"\w+")
_MASK64 = (1 << 64) - 1


def _masks() -> tuple[int, ...]:
    # Fixed masks derived from a constant: signatures are the same in every process and release.
    out = []
    for i in range(NUM_PERM):
        digest = hashlib.blake2b(f"corridor-minhash-{i}".encode(), digest_size=8).digest()
        out.append(int.from_bytes(digest, "big"))
    return tuple(out)


MASKS = _masks()


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str, k: int = SHINGLE_WORDS) -> frozenset[int]:
    """The 64-bit hashes of the text's word k-grams (a short text is one shingle of all its words)."""
    tokens = words(text)
    if not tokens:
        return frozenset()
    grams = (" ".join(tokens[i : i + k]) for i in range(max(1, len(tokens) - k + 1)))
    return frozenset(int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big") for gram in grams)


def signature(hashes: Iterable[int]) -> tuple[int, ...]:
    """The MinHash signature of a shingle set (empty set: an empty signature, which matches nothing)."""
    values = list(hashes)
    if not values:
        return ()
    return tuple(min(map(mask.__xor__, values)) for mask in MASKS)


def estimate(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Jaccard similarity estimated from two signatures: the share of positions that agree."""
    if not a or not b:
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Pair:
    a: Hashable
    b: Hashable
    similarity: float  # exact Jaccard of the shingle sets
    estimated: float  # from the signatures (what LSH saw)


@dataclass
class Index:
    """Texts by key, their shingles and signatures, and the LSH buckets: in memory only."""

    shingles: dict[Hashable, frozenset[int]] = field(default_factory=dict)
    signatures: dict[Hashable, tuple[int, ...]] = field(default_factory=dict)
    buckets: dict[tuple[int, tuple[int, ...]], list[Hashable]] = field(default_factory=lambda: defaultdict(list))

    def add(self, key: Hashable, text: str) -> None:
        grams = shingles(text)
        sig = signature(grams)
        self.shingles[key] = grams
        self.signatures[key] = sig
        for band, chunk in _bands(sig):
            self.buckets[(band, chunk)].append(key)

    def candidates(self) -> set[tuple[Hashable, Hashable]]:
        pairs: set[tuple[Hashable, Hashable]] = set()
        for keys in self.buckets.values():
            if len(keys) > 1:
                for a, b in itertools.combinations(keys, 2):
                    pairs.add((a, b) if str(a) <= str(b) else (b, a))
        return pairs

    def pairs(self, threshold: float = THRESHOLD) -> list[Pair]:
        """Every pair of texts in the index sharing at least `threshold` of their shingles."""
        found = []
        for a, b in self.candidates():
            exact = jaccard(self.shingles[a], self.shingles[b])
            if exact >= threshold:
                found.append(Pair(a, b, round(exact, 3), round(estimate(self.signatures[a], self.signatures[b]), 3)))
        return sorted(found, key=lambda p: (-p.similarity, str(p.a), str(p.b)))

    def query(self, text: str, threshold: float = THRESHOLD) -> list[tuple[Hashable, float]]:
        """The indexed texts `text` shares at least `threshold` of its shingles with, best first."""
        grams = shingles(text)
        sig = signature(grams)
        seen: set[Hashable] = set()
        for band, chunk in _bands(sig):
            seen |= set(self.buckets.get((band, chunk), ()))
        scored = [(key, round(jaccard(grams, self.shingles[key]), 3)) for key in seen]
        return sorted([s for s in scored if s[1] >= threshold], key=lambda s: (-s[1], str(s[0])))


def _bands(sig: tuple[int, ...]) -> Iterable[tuple[int, tuple[int, ...]]]:
    for band in range(len(sig) // ROWS):
        yield band, sig[band * ROWS : (band + 1) * ROWS]


def near_duplicates(texts: Mapping[Hashable, str], threshold: float = THRESHOLD) -> list[Pair]:
    index = Index()
    for key, text in texts.items():
        index.add(key, text)
    return index.pairs(threshold)


# -- flags for people ---------------------------------------------------------------------------


class FlagKind:
    COPIES = "copies"
    IDENTICAL_TESTIMONIES = "identical_testimonies"


@dataclass
class Flag:
    kind: str
    sources: list[Source]
    similarity: float

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)

    @property
    def text(self) -> str:
        if self.kind == FlagKind.IDENTICAL_TESTIMONIES:
            return _("These testimonies share %(percent)d%% of their wording, which is unusual for independent accounts:") % {
                "percent": self.percent
            }
        return _("These sources share %(percent)d%% of their wording; one may copy the other:") % {"percent": self.percent}


def _kind_of(a: Source, b: Source) -> str:
    if a.kind == SourceKind.TESTIMONY and b.kind == SourceKind.TESTIMONY:
        return FlagKind.IDENTICAL_TESTIMONIES
    return FlagKind.COPIES


def _lineages(sources: Iterable[Source]) -> dict[Any, set[Any]]:
    """Each source's chain of originals (itself included), read from all its team's derivation links."""
    listed = list(sources)
    teams = {source.team_id for source in listed}
    parent = dict(Source.objects.filter(team_id__in=teams, derived_from__isnull=False).values_list("pk", "derived_from_id"))
    chains: dict[Any, set[Any]] = {}
    for source in listed:
        found: set[Any] = set()
        current: Any = source.pk
        while current is not None and current not in found:
            found.add(current)
            current = parent.get(current)
        chains[source.pk] = found
    return chains


def flags_among(sources: Iterable[Source], threshold: float = THRESHOLD) -> list[Flag]:
    """Flags for pairs of `sources` with near-identical texts, unless already marked as derived
    (one from the other, or both from one original) or both told by the same person."""
    by_id: dict[Hashable, Source] = {source.pk: source for source in sources}
    preload_keys(by_id.values())
    index = Index()
    for pk, source in by_id.items():
        if source.text:
            index.add(pk, source.text)
    pairs = index.pairs(threshold)
    if not pairs:
        return []
    chains = _lineages(by_id.values())
    flags = []
    for pair in pairs:
        a, b = by_id[pair.a], by_id[pair.b]
        if chains[a.pk] & chains[b.pk]:
            continue
        if a.kind == SourceKind.TESTIMONY and b.kind == SourceKind.TESTIMONY and a.person_id == b.person_id:
            continue  # one person telling the same story twice is expected
        ordered = sorted([a, b], key=lambda s: (s.published or s.created.date(), str(s.pk)))
        flags.append(Flag(kind=_kind_of(a, b), sources=ordered, similarity=pair.similarity))
    return flags


def flags_for_event(user: Any, event: Event) -> list[Flag]:
    """Flags among the sources that speak of `event` or its acts, as far as `user` sees them."""
    cited = Information.objects.filter(Q(event=event) | Q(act__event=event)).values("source_id")
    sources = access.sources_visible_to(user).filter(pk__in=cited).select_related("data_key")
    return flags_among(sources)


def flags_for_source(user: Any, source: Source) -> list[Flag]:
    """Flags pairing `source` with any other source of its team the user sees."""
    sources = access.sources_visible_to(user).filter(team_id=source.team_id, text__isnull=False).select_related("data_key")
    return [flag for flag in flags_among(sources) if any(s.pk == source.pk for s in flag.sources)]


def match_existing(
    user: Any, texts: Mapping[Hashable, str], *, team_id: Any = None, threshold: float = THRESHOLD
) -> dict[Hashable, list[tuple[Source, float]]]:
    """For each new text (not stored yet), the existing visible sources it nearly copies."""
    existing = access.sources_visible_to(user).filter(text__isnull=False).select_related("data_key")
    if team_id is not None:
        existing = existing.filter(team_id=team_id)
    by_id: dict[Hashable, Source] = {source.pk: source for source in existing}
    preload_keys(by_id.values())
    index = Index()
    for pk, source in by_id.items():
        if source.text:
            index.add(pk, source.text)
    return {key: [(by_id[pk], score) for pk, score in index.query(text, threshold)] for key, text in texts.items()}
