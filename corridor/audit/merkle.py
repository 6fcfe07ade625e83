"""RFC 6962 / RFC 9162 Merkle trees for the audit log: roots, proofs, proof checks.
Pure hashing: no Django, no I/O, no knowledge of what leaves mean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from corridor.keys.treehead import (
    EMPTY_ROOT,
    HASH_SIZE,
    ProofError,
    check_hash,
    check_size,
    node_hash,
    verify_consistency,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactTree",
    "ProofError",
    "consistency_proof",
    "consistency_proof_from_frontier",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

_sha256 = hashlib.sha256
_check_hash = check_hash
_check_size = check_size

# RFC 6962 §2.1: the domain-separation prefixes keep a leaf from ever being
# mistaken for an interior node (second-preimage resistance of the tree). The node
# hash, the consistency check and the constants live in corridor.keys.treehead, because
# keyd checks consistency before it signs and keys must not import audit.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one log entry."""
    return _sha256(_LEAF_PREFIX + data).digest()


def _largest_power_of_two_below(n: int) -> int:
    """RFC 6962's k: the largest power of two strictly less than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle Tree Hash over already-hashed leaves, each node hashed once.

    Built level by level: pairing neighbours and carrying an unpaired last node up
    unchanged gives exactly the tree that splits at the largest power of two below n,
    and list comprehensions keep the per-node cost close to one hashlib call.
    Leaf hashes are not length-checked here (it would cost a pass over a million
    entries); a malformed one simply yields a root that matches nothing.
    """
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    sha = _sha256
    prefix = _NODE_PREFIX
    level: Sequence[bytes] = hashes
    while n > 1:
        paired = [
            sha(prefix + left + right).digest()
            for left, right in zip(level[0 : n - 1 : 2], level[1:n:2], strict=True)
        ]
        if n & 1:
            paired.append(level[n - 1])
        level = paired
        n = len(level)
    return level[0]


class CompactTree:
    """An append-only Merkle tree keeping only the O(log n) roots of full subtrees.

    `_hashes[i]` is the root of a perfect subtree, left to right, one per set bit of
    `size` from the most significant down, so appending and computing the root never
    need the earlier leaves.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []

    @classmethod
    def from_state(cls, size: int, hashes: Sequence[bytes]) -> CompactTree:
        """Rebuild a tree from `size` and the subtree roots `to_state()` returned."""
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"tree size must be a non-negative int, got {size!r}")
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a tree of size {size} has {size.bit_count()} subtree roots, "
                f"got {len(hashes)}"
            )
        for position, value in enumerate(hashes):
            _check_hash(value, f"subtree root {position}", ValueError)
        tree = cls()
        tree._size = size
        tree._hashes = [bytes(value) for value in hashes]
        return tree

    def to_state(self) -> list[bytes]:
        """The subtree roots, left to right; store them with `size` to resume."""
        return list(self._hashes)

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf (already hashed with `leaf_hash`)."""
        _check_hash(leaf_hash, "leaf hash", ValueError)
        hashes = self._hashes
        current = bytes(leaf_hash)
        size = self._size
        # Each trailing 1 bit of the old size is a full subtree of the same height as
        # `current` waiting for a right neighbour: merge until the carry stops.
        while size & 1:
            current = node_hash(hashes.pop(), current)
            size >>= 1
        hashes.append(current)
        self._size += 1

    def root(self) -> bytes:
        """The RFC 6962 root of all leaves appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        hashes = self._hashes
        current = hashes[-1]
        for index in range(len(hashes) - 2, -1, -1):
            current = node_hash(hashes[index], current)
        return current


def inclusion_proof(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 §2.1.1 PATH(index, D[n]) over leaf hashes, leaf-side sibling first."""
    n = len(hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is outside a tree of size {n}")
    # Walk down from the root, remembering the sibling subtree at each split;
    # PATH lists them bottom-up, so reverse at the end.
    siblings: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index - lo < k:
            siblings.append(root_from_leaf_hashes(hashes[lo + k : hi]))
            hi = lo + k
        else:
            siblings.append(root_from_leaf_hashes(hashes[lo : lo + k]))
            lo += k
    siblings.reverse()
    return siblings


def consistency_proof(hashes: Sequence[bytes], size1: int) -> list[bytes]:
    """RFC 6962 §2.1.2 PROOF(size1, D[n]) that the first size1 leaves are a prefix.

    As in RFC 9162 §2.1.4, the proof between equal sizes is empty. There is no proof
    from the empty tree to a non-empty one (every tree extends it, and verifiers reject
    the attempt), so asking for one is an error.
    """
    n = len(hashes)
    if not 0 <= size1 <= n:
        raise ValueError(f"size1 {size1} is outside 0..{n}")
    if size1 == n:
        return []
    if size1 == 0:
        raise ValueError("no consistency proof exists from an empty tree")
    return _consistency_nodes(n, size1, lambda lo, hi: root_from_leaf_hashes(hashes[lo:hi]))


def consistency_proof_from_frontier(size1: int, frontier1: Sequence[bytes], new_leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(size1, D[size1 + len(new_leaves)]) from the old tree's subtree roots and the new leaves only.

    A consistency proof needs, from the old tree, only subtree roots of its own
    decomposition (the `frontier` of CompactTree at size1), so a checkpoint costs the
    leaves appended since the last one, never a pass over the whole log.
    """
    if len(frontier1) != size1.bit_count():
        raise ValueError(f"a tree of size {size1} has {size1.bit_count()} subtree roots, got {len(frontier1)}")
    n = size1 + len(new_leaves)
    if size1 == n:
        return []
    if size1 == 0:
        raise ValueError("no consistency proof exists from an empty tree")
    known: dict[tuple[int, int], bytes] = {}
    start = 0
    for bit, value in zip((b for b in range(size1.bit_length() - 1, -1, -1) if size1 >> b & 1), frontier1, strict=True):
        known[(start, start + (1 << bit))] = bytes(value)
        start += 1 << bit

    def subtree_root(lo: int, hi: int) -> bytes:
        if hi <= size1:
            found = known.get((lo, hi))
            if found is None:  # cannot happen for a consistency proof: kept as a guard
                raise ValueError(f"leaves {lo}..{hi - 1} are not one subtree of the old tree")
            return found
        if lo >= size1:
            return root_from_leaf_hashes(new_leaves[lo - size1 : hi - size1])
        k = _largest_power_of_two_below(hi - lo)
        return node_hash(subtree_root(lo, lo + k), subtree_root(lo + k, hi))

    return _consistency_nodes(n, size1, subtree_root)


def _consistency_nodes(n: int, size1: int, subtree_root: Callable[[int, int], bytes]) -> list[bytes]:
    """RFC 6962 §2.1.2 SUBPROOF for 0 < size1 < n; subtree_root(lo, hi) is MTH(D[lo:hi])."""
    # SUBPROOF(m, D[lo:hi], b) unrolled into a loop over the current window.
    nodes: list[bytes] = []
    lo, hi, m = 0, n, size1
    whole = True  # RFC 6962's `b`: is the window still the old tree's own root?
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            nodes.append(subtree_root(lo + k, hi))
            hi = lo + k
        else:
            nodes.append(subtree_root(lo, lo + k))
            lo += k
            m -= k
            whole = False
    if not whole:
        nodes.append(subtree_root(lo, hi))
    nodes.reverse()
    return nodes


def verify_inclusion(
    leaf_index: int,
    tree_size: int,
    leaf_hash: bytes,
    proof: Sequence[bytes],
    root: bytes,
) -> None:
    """Check `leaf_hash` is leaf `leaf_index` of the tree of `tree_size` and `root`.

    RFC 9162 §2.1.3.2. Returns None on success and raises ProofError otherwise.
    """
    _check_size(leaf_index, "leaf index")
    _check_size(tree_size, "tree size")
    if leaf_index >= tree_size:
        raise ProofError(f"leaf index {leaf_index} is not below tree size {tree_size}")
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root")
    for position, element in enumerate(proof):
        _check_hash(element, f"proof element {position}")

    fn = leaf_index
    sn = tree_size - 1
    r = bytes(leaf_hash)
    for element in proof:
        if sn == 0:
            raise ProofError(
                f"proof has {len(proof)} elements, "
                f"more than a tree of size {tree_size} needs"
            )
        if fn & 1 or fn == sn:
            r = node_hash(element, r)
            # Going up a right edge with no right sibling: skip the levels where
            # this node is promoted unchanged.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(
            f"proof has {len(proof)} elements, "
            f"fewer than a tree of size {tree_size} needs"
        )
    if r != root:
        raise ProofError("inclusion proof does not lead to the given root")
