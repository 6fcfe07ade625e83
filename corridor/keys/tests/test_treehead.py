"""keyd signs audit tree heads only as consistent extensions of the last one (Invariant 14).

The consistency check is run against the RFC 6962 vectors kept in the project, both alone
and through the key service's signing gate; the last head survives a restart.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from corridor.keys import crypto, treehead
from corridor.keys.errors import KeystoreTampered, Sealed, TreeHeadRefused
from corridor.keys.service import KeyService
from corridor.keys.tests.conftest import Instance

VECTOR_DIR = Path(__file__).resolve().parents[2] / "audit" / "tests" / "data" / "rfc6962" / "consistency"
VECTORS = sorted(VECTOR_DIR.rglob("*.json"))
# The RFC 6962 reference tree (certificate-transparency's test corpus) the vectors are built on.
LEAVES = [
    hashlib.sha256(b"\x00" + bytes.fromhex(text)).digest()
    for text in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]


def _b64(value: object) -> bytes:
    return b"" if value is None else base64.b64decode(str(value), validate=True)


def _vector(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    data["root1"], data["root2"] = _b64(data.get("root1")), _b64(data.get("root2"))
    data["proof"] = [_b64(item) for item in data.get("proof") or []]
    return data


def _frontier(leaves: list[bytes]) -> list[bytes]:
    """Subtree roots of a tree over `leaves`, one per set bit of its size, largest first."""
    out: list[bytes] = []
    start, size = 0, len(leaves)
    for bit in range(size.bit_length() - 1, -1, -1):
        if size >> bit & 1:
            out.append(_root(leaves[start : start + (1 << bit)]))
            start += 1 << bit
    return out


def _root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return treehead.EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return treehead.node_hash(_root(leaves[:k]), _root(leaves[k:]))


def test_vectors_are_present() -> None:
    assert len(VECTORS) >= 90, f"RFC 6962 consistency vectors not found at {VECTOR_DIR}"


@pytest.mark.parametrize("path", VECTORS, ids=[p.relative_to(VECTOR_DIR).as_posix() for p in VECTORS])
def test_consistency_vector(path: Path) -> None:
    data = _vector(path)

    def check() -> None:
        treehead.verify_consistency(data["size1"], data["size2"], data["root1"], data["root2"], data["proof"])

    if data["wantErr"]:
        with pytest.raises(treehead.ProofError):
            check()
    else:
        check()


@pytest.mark.parametrize("path", [p for p in VECTORS if p.parent.name.isdigit()], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_keyd_signs_only_what_the_vectors_prove(instance: Instance, unsealed: KeyService, path: Path) -> None:
    """keyd holds the real head at size1; it signs the happy path and refuses every altered vector."""
    truth = _vector(path.parent / "happy-path.json")
    size1, size2 = truth["size1"], truth["size2"]
    assert (_root(LEAVES[:size1]), _root(LEAVES[:size2])) == (truth["root1"], truth["root2"])
    unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, size1, truth["root1"], [], _frontier(LEAVES[:size1]))
    data = _vector(path)
    new_size = data["size2"]
    frontier = _frontier(LEAVES[:new_size]) if 0 <= new_size <= len(LEAVES) else [data["root2"]] * max(new_size, 0).bit_count()

    def sign() -> treehead.SignedTreeHead:
        return unsealed.sign_tree_head(data["size1"], data["root1"], new_size, data["root2"], data["proof"], frontier)

    if data["wantErr"]:
        with pytest.raises(TreeHeadRefused):
            sign()
        assert unsealed.tree_head() is not None and unsealed.tree_head().size == size1
    else:
        head = sign()
        assert (head.size, head.root, head.previous_size, head.previous_root) == (size2, truth["root2"], size1, truth["root1"])


def test_a_rewritten_history_is_refused_and_the_head_survives_a_restart(instance: Instance, unsealed: KeyService) -> None:
    honest = LEAVES[:5]
    first = unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, 5, _root(honest), [], _frontier(honest))
    assert crypto.verify(unsealed.signing_public_key(), first.signature, first.message())

    # Entry 2 deleted and the tree rebuilt: same size, another root.
    rewritten = LEAVES[:2] + LEAVES[3:6]
    with pytest.raises(TreeHeadRefused, match="roots differ"):
        unsealed.sign_tree_head(5, _root(honest), 5, _root(rewritten), [], _frontier(rewritten))
    # Claiming that the last head was another one, or the empty tree, does not help.
    with pytest.raises(TreeHeadRefused, match="last tree head signed has size 5"):
        unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, 5, _root(rewritten), [], _frontier(rewritten))
    with pytest.raises(TreeHeadRefused, match="last tree head signed has size 5"):
        unsealed.sign_tree_head(5, _root(rewritten), 6, _root(rewritten + LEAVES[6:7]), [], _frontier(rewritten + LEAVES[6:7]))

    # After a restart (a new process reading the same data directory) it still refuses.
    restarted = KeyService(instance.data_dir)
    for share in instance.shares[:3]:
        restarted.submit_share(share)
    assert restarted.tree_head() == first
    grown = LEAVES[:2] + LEAVES[3:8]
    with pytest.raises(TreeHeadRefused):
        restarted.sign_tree_head(5, _root(honest), 7, _root(grown), [], _frontier(grown))

    # The honest extension is signed, chained to the previous head.
    proof = [LEAVES[4], LEAVES[5], _root(LEAVES[6:8]), _root(LEAVES[0:4])]
    second = restarted.sign_tree_head(5, _root(honest), 8, _root(LEAVES), proof, _frontier(LEAVES))
    assert (second.size, second.previous_size, second.previous_root) == (8, 5, first.root)
    assert unsealed.tree_head() == second


def test_the_new_subtree_roots_must_lead_to_the_new_root(unsealed: KeyService) -> None:
    with pytest.raises(TreeHeadRefused, match="subtree roots"):
        unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, 4, _root(LEAVES[:4]), [], _frontier(LEAVES[1:5]))
    assert unsealed.tree_head() is None


def test_the_head_is_public_but_signing_needs_unsealed(instance: Instance, unsealed: KeyService) -> None:
    head = unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, 3, _root(LEAVES[:3]), [], _frontier(LEAVES[:3]))
    sealed = KeyService(instance.data_dir)
    assert sealed.tree_head() == head
    with pytest.raises(Sealed):
        sealed.sign_tree_head(3, head.root, 3, head.root, [], head.frontier)


def test_a_damaged_or_forged_head_file_is_refused_not_reset(instance: Instance, unsealed: KeyService) -> None:
    unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, 3, _root(LEAVES[:3]), [], _frontier(LEAVES[:3]))
    path = treehead.head_path(instance.data_dir)
    data = json.loads(path.read_text())
    # A head of size 0 written by someone without the signing key.
    data["head"].update(size=0, root=base64.b64encode(treehead.EMPTY_ROOT).decode(), frontier=[])
    path.write_text(json.dumps(data))
    with pytest.raises(KeystoreTampered, match="not signed by this instance's key"):
        unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, 2, _root(LEAVES[:2]), [], _frontier(LEAVES[:2]))
    path.write_text("{")
    with pytest.raises(KeystoreTampered, match="damaged"):
        unsealed.tree_head()


def test_head_file_lives_with_the_keystore(instance: Instance, unsealed: KeyService) -> None:
    unsealed.sign_tree_head(0, treehead.EMPTY_ROOT, 1, LEAVES[0], [], [LEAVES[0]])
    path = treehead.head_path(instance.data_dir)
    assert path == instance.data_dir / "keys" / "tree_head.json"
    assert path.stat().st_mode & 0o077 == 0
    assert path.parent.stat().st_mode & 0o077 == 0
