"""Tests for corridor.audit.merkle: RFC 6962 known answers, hand-made roots, properties.
The vectors are a verbatim copy kept in the project (corridor/audit/tests/data/rfc6962, with
their source and licence in its README), so a fresh clone tests alone; all must pass.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corridor.audit.merkle import (
    EMPTY_ROOT,
    CompactTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

VECTOR_DIR = Path(__file__).resolve().parent / "data" / "rfc6962"


def _vector_files(kind: str) -> list[Path]:
    # An empty list here would silently skip the parametrised tests, so
    # test_vectors_are_present fails loudly when the folder is missing or empty.
    # rglob, not */*.json: inclusion/additional nests one level deeper.
    return sorted((VECTOR_DIR / kind).rglob("*.json"))


INCLUSION_FILES = _vector_files("inclusion")
CONSISTENCY_FILES = _vector_files("consistency")


def _ids(paths: list[Path]) -> list[str]:
    return [path.relative_to(VECTOR_DIR).with_suffix("").as_posix() for path in paths]


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    assert isinstance(data.get("wantErr"), bool), f"{path}: wantErr missing"
    return data


def _b64(value: object) -> bytes:
    # Upstream writes an absent hash as "" or null; both mean "no bytes".
    if value is None:
        return b""
    assert isinstance(value, str)
    return base64.b64decode(value, validate=True)


def _b64_list(value: object) -> list[bytes]:
    if value is None:
        return []
    assert isinstance(value, list)
    return [_b64(item) for item in value]


def _expect(check: Callable[[], None], want_error: bool, desc: object) -> None:
    if not want_error:
        check()
        return
    with pytest.raises(ProofError) as raised:
        check()
    assert str(raised.value), f"ProofError without a reason for {desc!r}"


# The leaf inputs of the RFC 6962 reference test tree (certificate-transparency's
# test corpus); the happy-path vectors are built over prefixes of it, which lets us
# check our roots and proof generators against them exactly.
RFC6962_LEAVES = [
    bytes.fromhex(text)
    for text in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
RFC6962_LEAF_HASHES = [leaf_hash(data) for data in RFC6962_LEAVES]


def test_vectors_are_present() -> None:
    assert VECTOR_DIR.is_dir(), f"RFC 6962 vectors not found at {VECTOR_DIR}"
    assert len(INCLUSION_FILES) > 0
    assert len(CONSISTENCY_FILES) > 0
    # Every vector file in the folder is exercised, whatever its nesting.
    assert sorted(VECTOR_DIR.rglob("*.json")) == sorted(
        INCLUSION_FILES + CONSISTENCY_FILES
    )
    happy = [p for p in INCLUSION_FILES + CONSISTENCY_FILES if not _load(p)["wantErr"]]
    assert len(happy) > 0


@pytest.mark.parametrize("path", INCLUSION_FILES, ids=_ids(INCLUSION_FILES))
def test_inclusion_vector(path: Path) -> None:
    data = _load(path)

    def check() -> None:
        verify_inclusion(
            data["leafIdx"],
            data["treeSize"],
            _b64(data.get("leafHash")),
            _b64_list(data.get("proof")),
            _b64(data.get("root")),
        )

    _expect(check, data["wantErr"], data.get("desc"))


@pytest.mark.parametrize("path", CONSISTENCY_FILES, ids=_ids(CONSISTENCY_FILES))
def test_consistency_vector(path: Path) -> None:
    data = _load(path)

    def check() -> None:
        verify_consistency(
            data["size1"],
            data["size2"],
            _b64(data.get("root1")),
            _b64(data.get("root2")),
            _b64_list(data.get("proof")),
        )

    _expect(check, data["wantErr"], data.get("desc"))


HAPPY_INCLUSION = [p for p in INCLUSION_FILES if p.name == "happy-path.json"]
HAPPY_CONSISTENCY = [p for p in CONSISTENCY_FILES if p.name == "happy-path.json"]


@pytest.mark.parametrize("path", HAPPY_INCLUSION, ids=_ids(HAPPY_INCLUSION))
def test_inclusion_happy_path_is_reproduced(path: Path) -> None:
    data = _load(path)
    size, index = data["treeSize"], data["leafIdx"]
    hashes = RFC6962_LEAF_HASHES[:size]
    assert len(hashes) == size
    assert hashes[index] == _b64(data["leafHash"])
    assert root_from_leaf_hashes(hashes) == _b64(data["root"])
    assert inclusion_proof(hashes, index) == _b64_list(data.get("proof"))


@pytest.mark.parametrize("path", HAPPY_CONSISTENCY, ids=_ids(HAPPY_CONSISTENCY))
def test_consistency_happy_path_is_reproduced(path: Path) -> None:
    data = _load(path)
    size1, size2 = data["size1"], data["size2"]
    hashes = RFC6962_LEAF_HASHES[:size2]
    assert len(hashes) == size2
    assert root_from_leaf_hashes(hashes[:size1]) == _b64(data["root1"])
    assert root_from_leaf_hashes(hashes) == _b64(data["root2"])
    assert consistency_proof(hashes, size1) == _b64_list(data.get("proof"))


# --- Hand-computed roots -------------------------------------------------------------


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_empty_root() -> None:
    expected = bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert expected == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert CompactTree().root() == EMPTY_ROOT


def test_one_leaf_root() -> None:
    expected = _sha(b"\x00" + b"entry-0")
    assert leaf_hash(b"entry-0") == expected
    assert root_from_leaf_hashes([expected]) == expected


def test_two_leaf_root() -> None:
    a = _sha(b"\x00" + b"a")
    b = _sha(b"\x00" + b"b")
    expected = _sha(b"\x01" + a + b)
    assert node_hash(a, b) == expected
    assert root_from_leaf_hashes([leaf_hash(b"a"), leaf_hash(b"b")]) == expected


def test_three_leaf_root() -> None:
    a = _sha(b"\x00" + b"a")
    b = _sha(b"\x00" + b"b")
    c = _sha(b"\x00" + b"c")
    # RFC 6962 splits 3 at 2: the lone third leaf joins the root unchanged.
    expected = _sha(b"\x01" + _sha(b"\x01" + a + b) + c)
    assert root_from_leaf_hashes([a, b, c]) == expected


def test_leaf_and_node_are_domain_separated() -> None:
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert leaf_hash(a + b) != node_hash(a, b)


# --- Generators against verifiers (hypothesis) ---------------------------------------


def _reference_root(hashes: list[bytes]) -> bytes:
    """RFC 6962 MTH as the RFC states it, recursively, to check the fast fold."""
    n = len(hashes)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return _sha(b"\x01" + _reference_root(hashes[:k]) + _reference_root(hashes[k:]))


def _tree(size: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]


sizes = st.integers(min_value=0, max_value=300)


@given(sizes)
def test_fast_root_matches_rfc_recursion(size: int) -> None:
    hashes = _tree(size)
    assert root_from_leaf_hashes(hashes) == _reference_root(hashes)


@given(sizes)
def test_compact_tree_matches_every_prefix(size: int) -> None:
    hashes = _tree(size)
    tree = CompactTree()
    assert tree.root() == EMPTY_ROOT
    for count, value in enumerate(hashes, start=1):
        tree.append(value)
        assert tree.size == count
        assert tree.root() == root_from_leaf_hashes(hashes[:count])
        assert len(tree.to_state()) == count.bit_count()


@given(sizes, st.data())
def test_compact_tree_state_round_trip(size: int, data: st.DataObject) -> None:
    hashes = _tree(size)
    cut = data.draw(st.integers(min_value=0, max_value=size))
    first = CompactTree()
    for value in hashes[:cut]:
        first.append(value)
    resumed = CompactTree.from_state(first.size, first.to_state())
    for value in hashes[cut:]:
        resumed.append(value)
    assert resumed.size == size
    assert resumed.root() == root_from_leaf_hashes(hashes)


@pytest.mark.parametrize(
    ("size", "state", "message"),
    [
        (-1, [], "non-negative"),
        (3, [b"\x00" * 32], "has 2 subtree roots"),
        (1, [b"\x00" * 31], "32 bytes"),
    ],
)
def test_compact_tree_rejects_bad_state(
    size: int, state: list[bytes], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CompactTree.from_state(size, state)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=300))
def test_every_inclusion_proof_verifies(size: int) -> None:
    hashes = _tree(size)
    root = root_from_leaf_hashes(hashes)
    for index in range(size):
        proof = inclusion_proof(hashes, index)
        verify_inclusion(index, size, hashes[index], proof, root)
        if size > 1:
            # The same proof must not pass for a neighbouring leaf or a longer tree.
            other = (index + 1) % size
            with pytest.raises(ProofError):
                verify_inclusion(other, size, hashes[index], proof, root)
            with pytest.raises(ProofError):
                verify_inclusion(index, size, hashes[index], [*proof, hashes[0]], root)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=300))
def test_every_consistency_proof_verifies(size2: int) -> None:
    hashes = _tree(size2)
    root2 = root_from_leaf_hashes(hashes)
    for size1 in range(1, size2 + 1):
        root1 = root_from_leaf_hashes(hashes[:size1])
        proof = consistency_proof(hashes, size1)
        verify_consistency(size1, size2, root1, root2, proof)
        if size1 < size2:
            with pytest.raises(ProofError):
                verify_consistency(size1, size2, root2, root1, proof)
            with pytest.raises(ProofError):
                verify_consistency(size1, size2, root1, root2, proof[:-1])
    verify_consistency(size2, size2, root2, root2, consistency_proof(hashes, size2))


@settings(deadline=None)
@given(st.integers(min_value=2, max_value=64), st.data())
def test_altered_removed_or_reordered_leaf_changes_root(
    size: int, data: st.DataObject
) -> None:
    hashes = _tree(size)
    root = root_from_leaf_hashes(hashes)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    altered = list(hashes)
    altered[index] = leaf_hash(b"tampered")
    removed = hashes[:index] + hashes[index + 1 :]
    swapped = list(hashes)
    other = (index + 1) % size
    swapped[index], swapped[other] = swapped[other], swapped[index]
    for variant in (altered, removed, swapped):
        assert root_from_leaf_hashes(variant) != root
    # A shrunk log cannot be proven consistent with its past self.
    with pytest.raises(ProofError):
        verify_consistency(size, size - 1, root, root_from_leaf_hashes(removed), [])


# --- Verifier input checks -----------------------------------------------------------


def test_inclusion_rejects_bad_inputs_with_reasons() -> None:
    hashes = _tree(5)
    root = root_from_leaf_hashes(hashes)
    proof = inclusion_proof(hashes, 2)
    cases: list[tuple[tuple[Any, ...], str]] = [
        ((5, 5, hashes[2], proof, root), "not below tree size"),
        ((-1, 5, hashes[2], proof, root), "must not be negative"),
        ((True, 5, hashes[2], proof, root), "must be an int"),
        ((2, 5, hashes[2][:31], proof, root), "leaf hash must be 32 bytes"),
        ((2, 5, hashes[2], [*proof, b"x"], root), "proof element 3 must be 32 bytes"),
        ((2, 5, hashes[2], proof[:-1], root), "fewer than"),
        ((2, 5, hashes[2], [*proof, root], root), "more than"),
        ((2, 5, hashes[2], proof, EMPTY_ROOT), "does not lead to the given root"),
        ((2, 5, hashes[2], [], root), "fewer than"),
    ]
    for arguments, reason in cases:
        with pytest.raises(ProofError, match=reason):
            verify_inclusion(*arguments)


def test_consistency_rejects_bad_inputs_with_reasons() -> None:
    hashes = _tree(7)
    root3, root7 = root_from_leaf_hashes(hashes[:3]), root_from_leaf_hashes(hashes)
    proof = consistency_proof(hashes, 3)
    cases: list[tuple[tuple[Any, ...], str]] = [
        ((7, 3, root7, root3, proof), "never shrink"),
        ((3, 7, root3, root7, []), "proof is empty"),
        ((0, 7, EMPTY_ROOT, root7, proof), "empty tree proves nothing"),
        ((3, 3, root3, root3, proof), "proof is not empty"),
        ((3, 3, root3, root7, []), "roots differ"),
        ((0, 0, b"x", b"x", []), "empty-tree root"),
        ((3, 7, root3, root7, proof[:-1]), "fewer than"),
        ((3, 7, root3, root7, [*proof, root7]), "more than"),
        ((3, 7, root3, root7, [root7, *proof]), "does not lead|more than"),
        ((3, 7, root7, root7, proof), "does not lead to root1"),
        ((3, 7, root3, root3, proof), "does not lead to root2"),
    ]
    for arguments, reason in cases:
        with pytest.raises(ProofError, match=reason):
            verify_consistency(*arguments)
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_generators_reject_out_of_range_arguments() -> None:
    hashes = _tree(4)
    with pytest.raises(ValueError, match="outside"):
        inclusion_proof(hashes, 4)
    with pytest.raises(ValueError, match="outside"):
        consistency_proof(hashes, 5)
    with pytest.raises(ValueError, match="empty tree"):
        consistency_proof(hashes, 0)
    assert consistency_proof([], 0) == []
