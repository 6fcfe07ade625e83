"""Codenames for people: random, pronounceable in Russian and English, and unique.

Staff say codenames aloud on the phone and write them in tasks instead of names, so
they avoid letters that read differently in Cyrillic and Latin handwriting.
"""

from __future__ import annotations

import re
import secrets

_SHAPE = re.compile(r"[A-Za-z]{6}-[A-Za-z]{6}-\d{2}")

# Consonant-vowel syllables that sound the same read in Russian or English.
_CONSONANTS = "bdfklmnprstvz"
_VOWELS = "aeiou"


def _word(syllables: int) -> str:
    return "".join(secrets.choice(_CONSONANTS) + secrets.choice(_VOWELS) for _ in range(syllables)).capitalize()


def codename() -> str:
    """Two three-syllable words and two digits: about 43 bits, e.g. "Mavoteri-Kesuda-42"."""
    return f"{_word(3)}-{_word(3)}-{secrets.randbelow(90) + 10}"


def unique_codename(attempts: int = 20) -> str:
    from corridor.cases.models import Person

    for _ in range(attempts):
        candidate = codename()
        if not Person.objects.filter(codename=candidate).exists():
            return candidate
    raise RuntimeError("could not find a free codename")  # ~1e14 space: practically unreachable


def looks_like(text: str) -> bool:
    """A codename-shaped query. Anything else may be a name, which must never reach SQL in clear."""
    return _SHAPE.fullmatch(text.strip()) is not None
