"""The passphrase word list, its entropy, what counts as typing a passphrase, and the KDF behind it."""

from __future__ import annotations

import math

import pyrage
import pytest

from corridor.intake import passphrases
from corridor.keys import crypto, kdf


def test_word_list_is_large_unique_and_plain() -> None:
    words = passphrases.wordlist()
    assert len(words.words) == 1998
    assert len(set(words.words)) == len(words.words)
    assert len(words.latin) == len(words.words)  # every Latin spelling names one word
    assert all(3 <= len(word) <= 10 and word.isalpha() and "ё" not in word for word in words.words)
    # Words that would make a codename on paper look like what it is are not in the list.
    assert {"тюрьма", "полиция", "побег", "паспорт", "граница", "ружье", "гей"} & words.cyrillic == set()


def test_eight_words_give_more_than_80_bits() -> None:
    bits = passphrases.entropy_bits(8)
    assert bits == pytest.approx(8 * math.log2(1998))
    assert bits > 87.7
    assert passphrases.entropy_bits(7) < 80  # which is why the default is eight


def test_generated_codenames_are_list_words_and_differ() -> None:
    seen = {passphrases.generate(8) for _ in range(200)}
    assert len(seen) == 200
    for codename in seen:
        assert len(codename.split()) == 8
        assert set(codename.split()) <= passphrases.wordlist().cyrillic


def test_parse_accepts_case_yo_separators_and_latin() -> None:
    codename = "ежевика лес кот рояль сова арбуз маяк звезда"
    assert passphrases.parse("ЁЖЕВИКА, лес-кот  рояль\nсова арбуз маяк звезда", 8) == codename
    latin = " ".join(passphrases.latin_spelling(word) for word in codename.split())
    assert latin == "ezhevika les kot royal sova arbuz mayak zvezda"
    assert passphrases.parse(latin.upper(), 8) == codename
    assert passphrases.parse("ежевика лес кот рояль сова арбуз маяк", 8) is None  # seven words
    assert passphrases.parse("ежевика лес кот рояль сова арбуз маяк москва", 8) is None  # not a list word


def test_codename_in_text_is_recognised() -> None:
    codename = "ежевика лес кот рояль сова арбуз маяк звезда"
    assert passphrases.looks_like_passphrase(f"мой код: {codename}", codename)
    assert passphrases.looks_like_passphrase("вот он: сова арбуз маяк звезда", codename)
    assert passphrases.looks_like_passphrase("sova arbuz mayak zvezda", codename)
    # Any long run of list words looks like a pasted codename, even someone else's.
    assert passphrases.looks_like_passphrase("гитара пирог облако ракета зебра глобус", None)
    assert not passphrases.looks_like_passphrase("Меня зовут Ислам, я сейчас в Москве у друга, мне страшно.", codename)
    assert not passphrases.looks_like_passphrase("лес и кот, звезда над маяком", codename)


def test_derived_age_keys_are_what_pyrage_makes_of_them() -> None:
    keys = kdf.derive("ежевика лес кот", b"0123456789abcdef", kdf.INSECURE_FAST)
    identity = pyrage.x25519.Identity.from_str(keys.identity)
    assert str(identity.to_public()) == keys.recipient
    assert keys.recipient.startswith("age1") and keys.identity.startswith("AGE-SECRET-KEY-1")
    message = crypto.age_encrypt_to_many([keys.recipient], "ответ".encode())
    assert crypto.age_decrypt(keys.identity, message).decode() == "ответ"
    assert keys.identity not in repr(keys)


def test_bech32_matches_a_reference_vector() -> None:
    # BIP 173: the empty-data test vector "a12uel5l".
    assert kdf.bech32_encode("a", b"") == "a12uel5l"


def test_derivation_depends_on_secret_salt_and_cost() -> None:
    salt = b"0123456789abcdef"
    one = kdf.derive("ежевика лес кот", salt, kdf.INSECURE_FAST)
    assert kdf.derive("ежевика лес кот", salt, kdf.INSECURE_FAST) == one
    assert kdf.derive("ежевика лес кит", salt, kdf.INSECURE_FAST).lookup != one.lookup
    assert kdf.derive("ежевика лес кот", b"fedcba9876543210", kdf.INSECURE_FAST).lookup != one.lookup
    assert kdf.derive("ежевика лес кот", salt, kdf.Argon2Params(16, 1, 1)).lookup != one.lookup
    assert one.lookup != one.recipient.encode()


def test_production_cost_is_the_owasp_minimum() -> None:
    assert kdf.OWASP_MINIMUM == kdf.Argon2Params(memory_kib=19 * 1024, time_cost=2, parallelism=1)


def test_insecure_kdf_is_refused_by_the_deploy_check(settings: pytest.FixtureRequest) -> None:
    from corridor.intake.checks import insecure_kdf

    settings.INTAKE_INSECURE_FAST_KDF = True
    assert [error.id for error in insecure_kdf()] == ["intake.E001"]
    settings.INTAKE_INSECURE_FAST_KDF = False
    assert insecure_kdf() == []
