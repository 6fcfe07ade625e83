"""The secret passphrase of a person who asks for help: random words from a Russian list,
typed back in Cyrillic or Latin letters, and the check that keeps it out of messages.

The pages call it the person's "codename"; the code says passphrase, because it is a secret
and nothing like a case's codename (corridor/cases/codenames.py), a label staff say aloud.

Eight words from about 2,000 give ~88 bits: far beyond guessing, so the memory-hard hash
only has to stop precomputation, not make up for a weak secret.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import iuliia

WORDLIST = Path(__file__).resolve().parent / "wordlist_ru.txt"
# Mosmetro is the plain scheme of Moscow's metro signs: no diacritics, one Latin spelling
# per word that a Russian speaker would write the same way.
_SCHEMA = iuliia.MOSMETRO
# Text is split into words on anything that is not a letter, so "дом-кот, лес" is three.
_TOKEN = re.compile(r"[^\W\d_]+")
# A message with this many consecutive list words in a row looks like a pasted passphrase.
SUSPICIOUS_RUN = 6


@dataclass(frozen=True)
class Words:
    words: tuple[str, ...]
    cyrillic: frozenset[str]
    latin: dict[str, str]

    @property
    def bits_per_word(self) -> float:
        return math.log2(len(self.words))


@cache
def wordlist() -> Words:
    words = [
        line.strip() for line in WORDLIST.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")
    ]
    latin = {latin_spelling(word): word for word in words}
    if len(set(words)) != len(words) or len(latin) != len(words):
        raise RuntimeError("the passphrase word list has duplicates in Cyrillic or in Latin spelling")
    return Words(tuple(words), frozenset(words), latin)


def latin_spelling(word: str) -> str:
    return str(_SCHEMA.translate(word)).lower()


def entropy_bits(count: int) -> float:
    return count * wordlist().bits_per_word


def generate(count: int) -> str:
    """`count` words chosen uniformly and independently with the OS's CSPRNG."""
    words = wordlist().words
    return " ".join(secrets.choice(words) for _ in range(count))


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


def _canonical_word(token: str) -> str | None:
    lists = wordlist()
    if token in lists.cyrillic:
        return token
    return lists.latin.get(token)


def parse(text: str, count: int) -> str | None:
    """The canonical passphrase for what a person typed, or None if it cannot be one.

    Case, ё/е, separators and Latin spellings do not matter; the words and their order do.
    """
    tokens = _TOKEN.findall(_fold(text))
    if len(tokens) != count:
        return None
    canonical = [_canonical_word(token) for token in tokens]
    if any(word is None for word in canonical):
        return None
    return " ".join(word for word in canonical if word)


def looks_like_passphrase(text: str, passphrase: str | None = None) -> bool:
    """True if `text` contains the passphrase, four of its words in a row, or any long run of list words."""
    canonical = [_canonical_word(token) for token in _TOKEN.findall(_fold(text))]
    if passphrase:
        own = passphrase.split()
        run = 0
        for word in canonical:
            run = run + 1 if word is not None and word in own else 0
            if run >= min(4, len(own)):
                return True
    run = 0
    for word in canonical:
        run = run + 1 if word is not None else 0
        if run >= SUSPICIOUS_RUN:
            return True
    return False


def display(passphrase: str) -> list[tuple[str, str]]:
    """(Cyrillic, Latin) for each word, as shown to the person."""
    return [(word, latin_spelling(word)) for word in passphrase.split()]
