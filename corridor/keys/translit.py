"""Normalisation of names and short values for blind indexes: one canonical Latin spelling.

"Магомед", "Magomed", "MAGOMED" and "магомед" all become "magomed"; "Хьасан" and "Hasan"
both become "hasan". The scheme is documented step by step in `normalize`.

Transliteration uses iuliia's ICAO Doc 9303 schema (MIT, no dependencies): the scheme
printed in Russian international passports since 2013, so it is the spelling a visa
officer or a partner organisation most often has. We do not write the Russian table by
hand; only letters it does not cover (palochka, Ukrainian, Belarusian and Turkic
Cyrillic letters) are mapped below. unidecode and text-unidecode are GPL/Artistic and
their Russian output is not a recognised standard, so they were not used.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import iuliia

__all__ = ["fold_latin", "name_parts", "normalize"]

_ICAO = iuliia.ICAO_DOC_9303


def _letter_table(schema: object) -> dict[int, str] | None:
    """The schema as a str.translate table, when it maps letter by letter and nothing else.

    iuliia reads every word letter by letter in Python (a third of a name search's time went
    there); ICAO Doc 9303 has no rules for a letter's neighbours or a word's ending, so each
    letter maps alone and str.translate gives the same text (test_blind checks it against
    iuliia). A schema with such rules, or one not read from its JSON file, gets None and
    iuliia's own translate is used.
    """
    path = getattr(schema, "path", None)
    if not isinstance(path, Path):
        return None
    definition = json.loads(path.read_text(encoding="utf-8"))
    if any(definition.get(rules) for rules in ("prev_mapping", "next_mapping", "ending_mapping")):
        return None
    mapping: dict[str, str] = definition["mapping"]
    if any(len(letter) != 1 for letter in mapping):
        return None
    # As iuliia's TranslitSchema: lower-case letters as given, capitals capitalised.
    return str.maketrans(mapping | {letter.capitalize(): latin.capitalize() for letter, latin in mapping.items()})


_ICAO_TABLE = _letter_table(_ICAO)


def _icao(text: str) -> str:
    return _ICAO.translate(text) if _ICAO_TABLE is None else text.translate(_ICAO_TABLE)

# Letters outside Russian that iuliia's ICAO schema leaves as they are. Palochka (Chechen,
# Ingush, Avar) marks ejectives and pharyngeals and is often omitted in Latin spellings,
# so it is dropped. Accents are already stripped when this runs (ї -> і, ў -> у).
_EXTRA_CYRILLIC = str.maketrans(
    {
        "ӏ": "",
        "Ӏ": "",
        "і": "i",
        "є": "ie",
        "ґ": "g",
        "ә": "a",
        "ө": "o",
        "ү": "u",
        "ұ": "u",
        "ң": "n",
        "һ": "h",
        "ғ": "g",
        "қ": "k",
        "ҝ": "g",
        "ҳ": "h",
        "ҷ": "j",
        "ј": "j",
        "љ": "lj",
        "њ": "nj",
        "ћ": "c",
        "ђ": "dj",
        "џ": "dz",
    }
)

# Characters typed for palochka when the keyboard has none: Latin I/l, digit 1, "|".
_PALOCHKA_STANDINS = re.compile(r"(?<=[\u0400-\u04FF])[Il1|]|[Il1|](?=[\u0400-\u04FF])")
_APOSTROPHES = re.compile("['\u2019\u02bc\u02b9\u0060\u00b4\u2018\u02bb]")

# Latin spelling variants folded to one form, applied until nothing changes. Every rule
# either shortens the text or maps to a letter that is no rule's source, so the loop ends.
# Each rule merges spellings that transliterations of the same Cyrillic name really use:
_LATIN_FOLDS: tuple[tuple[str, str], ...] = (
    ("dzh", "j"),  # Джохар: Dzhokhar (ICAO) / Jokhar / Djokhar
    ("dj", "j"),
    ("kh", "h"),  # Хасан, Хьасан: Khasan / Hasan
    ("gh", "g"),  # ГӀ: Ghalgha / Galga
    ("ks", "x"),  # Александр: Aleksandr / Alexandr
    ("ph", "f"),
    ("ou", "u"),  # Умар: Umar / Oumar (French)
    ("ie", "e"),  # Евгений: Evgenii / Yevgeny (after y -> i), ъ = "ie" in ICAO
    ("w", "v"),
    ("y", "i"),  # Юсуп: Iusup (ICAO) / Yusup; Сергей: Sergei / Sergey
    ("j", "i"),  # Jusup; and Jokhar after the rules above
)
_DOUBLED = re.compile(r"([a-z])\1+")  # Мария: Mariia / Maria; Хасан: Khassan / Hasan


def fold_latin(text: str) -> str:
    """Fold common Latin spelling variants of lower-case ASCII text (see _LATIN_FOLDS)."""
    previous = None
    while previous != text:
        previous = text
        text = _DOUBLED.sub(r"\1", text)
        for source, target in _LATIN_FOLDS:
            text = text.replace(source, target)
    return text


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    if decomposed.isascii():
        return decomposed  # no combining marks in ASCII, and NFC leaves it as it is
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


# Python's \w is exactly str.isalnum() plus "_", and isalnum() is exactly Unicode categories
# L* and N* (checked over every code point by test_blind), so this splits where a loop over
# unicodedata.category did, in C.
_SEPARATORS = re.compile(r"[\W_]+")
# What a round makes of ASCII: lower-case letters and digits, one space between words.
_CANONICAL = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*|")


def _words(text: str) -> list[str]:
    # Anything that is not a letter or a digit separates words; apostrophes join.
    return _SEPARATORS.sub(" ", _APOSTROPHES.sub("", text)).split()


def _normalize_once(value: str) -> str:
    text = unicodedata.normalize("NFKC", value)
    text = _PALOCHKA_STANDINS.sub("", text)
    # NFKC, casefold, NFKC again: casefolding can produce text that is not NFKC.
    text = unicodedata.normalize("NFKC", text.casefold())
    text = _strip_marks(text)  # й -> и, ё -> е, é -> e
    text = _icao(text.translate(_EXTRA_CYRILLIC))
    text = unicodedata.normalize("NFKC", text.casefold())
    words = _words(text)
    joined = " ".join(words)
    if joined.isascii():
        # No fold reaches across a space, so folding the whole text folds each word.
        return fold_latin(joined)
    # Only pure ASCII words are folded; other scripts stay as they are.
    return " ".join(fold_latin(word) if word.isascii() else word for word in words)


def normalize(value: str) -> str:
    """The canonical form of a name or short value for a blind index.

    1. Unicode NFKC; Latin I, l, 1 or "|" touching Cyrillic letters is taken for palochka.
    2. Case folding (NFKC again after it), then combining marks removed (й -> и, ё -> е).
    3. Cyrillic to Latin by ICAO Doc 9303 (iuliia), plus the letters in _EXTRA_CYRILLIC.
    4. Apostrophes removed; every other non-letter, non-digit run becomes one space.
    5. Latin spelling variants folded (_LATIN_FOLDS) and doubled letters collapsed.

    The steps are repeated until the text stops changing (at most a few rounds), so
    normalize(normalize(x)) == normalize(x) holds for any input, not only for names.
    """
    text = _normalize_once(value)
    if _CANONICAL.fullmatch(text):
        # Lower-case ASCII words, folded to their fixed point and joined by single spaces:
        # every step of another round leaves that as it is, so the round is skipped.
        return text
    for _ in range(4):
        again = _normalize_once(text)
        if again == text:
            return text
        text = again
    return text


def name_parts(value: str) -> list[str]:
    """The distinct normalised words of a name, in first-seen order: "Мусаев Ислам" -> ["musaev", "islam"].

    Per-part blind indexes hash these one by one, so a search matches whatever the word order
    (Russian documents put the surname first, most others last) and whichever part is typed.
    """
    return list(dict.fromkeys(normalize(value).split()))
