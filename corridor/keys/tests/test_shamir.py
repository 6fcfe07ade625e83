"""Tests for Shamir sharing: HashiCorp Vault's own test cases, properties, share text.

Vault's cases come from hashicorp/vault shamir/shamir_test.go, adapted to pyshamir.
"""

from __future__ import annotations

import itertools
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyshamir._utils import add, div, interpolate_polynomial, make_polynomial, mul

from corridor.keys import shamir
from corridor.keys.errors import ShareFormatError
from corridor.keys.tests.conftest import typo

# -- Vault: TestSplit_invalid, TestSplit, TestCombine_invalid, TestCombine ---------------


@pytest.mark.parametrize(
    ("secret", "parts", "threshold"),
    [(b"test", 0, 0), (b"test", 2, 3), (b"test", 1000, 3), (b"test", 10, 1), (b"", 3, 2)],
)
def test_vault_split_invalid(secret: bytes, parts: int, threshold: int) -> None:
    with pytest.raises(ValueError):
        shamir.split(secret, parts, threshold)


def test_vault_split() -> None:
    out = shamir.split(b"test", 5, 3)
    assert len(out) == 5
    assert [len(share) for share in out] == [5] * 5


@pytest.mark.parametrize(
    "parts",
    [[], [b"foo", b"ba"], [b"f", b"b"], [b"foo", b"foo"]],
    ids=["not enough", "length mismatch", "too short", "duplicate"],
)
def test_vault_combine_invalid(parts: list[bytes]) -> None:
    with pytest.raises(ValueError):
        shamir.combine(parts)


def test_vault_combine_every_ordered_triple() -> None:
    out = shamir.split(b"test", 5, 3)
    for i, j, k in itertools.permutations(range(5), 3):
        assert shamir.combine([out[i], out[j], out[k]]) == b"test", (i, j, k)


# -- Vault: field and polynomial tests, run against pyshamir's arithmetic ----------------


def test_vault_field_add() -> None:
    assert add(16, 16) == 0
    assert add(3, 4) == 7


def test_vault_field_mult() -> None:
    assert mul(3, 7) == 9
    assert mul(3, 0) == 0
    assert mul(0, 3) == 0


def test_vault_field_divide() -> None:
    assert div(0, 7) == 0
    assert div(3, 3) == 1
    assert div(6, 3) == 2


def test_vault_polynomial_random() -> None:
    assert make_polynomial(42, 2).coefficients[0] == 42


def test_vault_polynomial_eval() -> None:
    p = make_polynomial(42, 1)
    assert p.evaluate(0) == 42
    assert p.evaluate(1) == add(42, mul(1, p.coefficients[1]))


def test_vault_interpolate_rand() -> None:
    for i in range(256):
        p = make_polynomial(i, 2)
        xs = bytearray([1, 2, 3])
        ys = bytearray([p.evaluate(1), p.evaluate(2), p.evaluate(3)])
        assert interpolate_polynomial(xs, ys, 0) == i


def test_field_is_gf256_with_aes_polynomial() -> None:
    # Beyond Vault: every non-zero element has an inverse (x^8+x^4+x^3+x+1 is irreducible).
    for a in range(1, 256):
        assert mul(a, div(1, a)) == 1


def test_part_layout_is_y_bytes_then_x() -> None:
    parts = shamir.split(b"\x00" * 8, 3, 2)
    xs = [part[-1] for part in parts]
    assert len(set(xs)) == 3
    assert all(1 <= x <= 255 for x in xs)


def test_combine_rejects_x_zero() -> None:
    with pytest.raises(ValueError, match="x coordinate"):
        shamir.combine([b"ab\x00", b"cd\x01"])


# -- properties ---------------------------------------------------------------------------

_quick = settings(max_examples=40, deadline=None)


@_quick
@given(
    secret=st.binary(min_size=1, max_size=48),
    n=st.integers(min_value=2, max_value=7),
    data=st.data(),
)
def test_any_k_of_n_reconstruct(secret: bytes, n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=2, max_value=n))
    parts = shamir.split(secret, n, k)
    chosen = data.draw(st.permutations(parts))[:k]
    assert shamir.combine(chosen) == secret


@_quick
@given(n=st.integers(min_value=3, max_value=7), data=st.data())
def test_k_minus_one_shares_do_not_give_the_secret(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=3, max_value=n))
    secret = os.urandom(32)
    parts = shamir.split(secret, n, k)
    chosen = data.draw(st.permutations(parts))[: k - 1]
    # k-1 points fit a degree k-1 polynomial through any intercept: the result is
    # independent of the secret, so equality has probability 2**-256.
    assert shamir.combine(chosen) != secret


@_quick
@given(n=st.integers(min_value=2, max_value=6), data=st.data())
def test_duplicated_shares_are_rejected(n: int, data: st.DataObject) -> None:
    parts = shamir.split(os.urandom(32), n, 2)
    index = data.draw(st.integers(min_value=0, max_value=n - 1))
    with pytest.raises(ValueError, match="twice"):
        shamir.combine([*parts, parts[index]])


@_quick
@given(part=st.binary(min_size=2, max_size=64), number=st.integers(1, 255))
def test_share_text_round_trips(part: bytes, number: int) -> None:
    assert shamir.parse_share(shamir.format_share(number, part)) == part


# -- share text -------------------------------------------------------------------------


def test_format_share_shape() -> None:
    text = shamir.format_share(3, bytes(range(33)))
    prefix, body = text.split(": ")
    assert prefix == "share 3"
    groups = body.split("-")
    assert all(len(g) == 4 for g in groups[:-1])
    assert 1 <= len(groups[-1]) <= 4
    assert body.replace("-", "").isupper()
    assert "=" not in body


def test_parse_share_is_forgiving_about_layout() -> None:
    part = os.urandom(33)
    text = shamir.format_share(2, part)
    body = text.split(": ", 1)[1]
    assert shamir.parse_share(body) == part
    assert shamir.parse_share(text.lower()) == part
    assert shamir.parse_share("  SHARE 2 :\n" + body.replace("-", " \n")) == part
    assert shamir.parse_share(body.replace("-", "")) == part


def test_parse_share_reports_typos() -> None:
    text = shamir.format_share(1, os.urandom(33))
    with pytest.raises(ShareFormatError, match="this share is mistyped: the checksum does not match"):
        shamir.parse_share(typo(text))
    # Two neighbouring characters swapped is the other common slip.
    at = text.index(": ") + 3
    swapped = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
    if swapped != text:
        with pytest.raises(ShareFormatError, match="checksum"):
            shamir.parse_share(swapped)


def test_parse_share_reports_bad_characters() -> None:
    text = shamir.format_share(1, os.urandom(33))
    with pytest.raises(ShareFormatError, match="'0'.*A-Z and the digits 2-7"):
        shamir.parse_share(text[:-2] + "0" + text[-1])


@pytest.mark.parametrize("text", ["", "share 1:", "ABCD", "A"])
def test_parse_share_rejects_fragments(text: str) -> None:
    with pytest.raises(ShareFormatError):
        shamir.parse_share(text)


def test_parse_share_rejects_dropped_group() -> None:
    text = shamir.format_share(1, os.urandom(33))
    groups = text.split("-")
    with pytest.raises(ShareFormatError):
        shamir.parse_share("-".join(groups[:3] + groups[4:]))
