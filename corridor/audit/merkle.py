"""RFC 6962 / RFC 9162 Merkle trees for the audit log: roots, proofs, proof checks.
Pure Python on hashlib only: no Django, no I/O, no knowledge of what leaves mean.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactTree",
    "ProofError",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
]

_sha256 = hashlib.sha256

HASH_SIZE = 32
# RFC 6962 §2.1: the domain-separation prefixes keep a leaf from ever being
# mistaken for an interior node (second-preimage resistance of the tree).
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT: bytes = _sha256(b"").digest()


class ProofError(ValueError):
    """A proof, root or tree size does not verify; the message says why."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one log entry."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return _sha256(_NODE_PREFIX + left + right).digest()


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
    # SUBPROOF(m, D[lo:hi], b) unrolled into a loop over the current window.
    nodes: list[bytes] = []
    lo, hi, m = 0, n, size1
    whole = True  # RFC 6962's `b`: is the window still the old tree's own root?
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            nodes.append(root_from_leaf_hashes(hashes[lo + k : hi]))
            hi = lo + k
        else:
            nodes.append(root_from_leaf_hashes(hashes[lo : lo + k]))
            lo += k
            m -= k
            whole = False
    if not whole:
        nodes.append(root_from_leaf_hashes(hashes[lo:hi]))
    nodes.reverse()
    return nodes


def _check_hash(value: object, what: str, error: type[Exception] = ProofError) -> None:
    # A hash of the wrong length is never valid, and rejecting it outright stops
    # bytes from sliding between adjacent inputs of 0x01 || left || right.
    if not isinstance(value, bytes | bytearray | memoryview):
        raise error(f"{what} must be bytes, got {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise error(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def _check_size(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProofError(f"{what} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ProofError(f"{what} must not be negative, got {value}")
    return value


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


def verify_consistency(
    size1: int,
    size2: int,
    root1: bytes,
    root2: bytes,
    proof: Sequence[bytes],
) -> None:
    """Check the tree of `size1` and `root1` is a prefix of that of `size2` and `root2`.

    RFC 9162 §2.1.4.2. Returns None on success and raises ProofError otherwise.
    """
    _check_size(size1, "size1")
    _check_size(size2, "size2")
    if size1 > size2:
        raise ProofError(
            f"size1 {size1} is greater than size2 {size2}: logs never shrink"
        )
    if size1 == size2:
        _verify_same_size(size1, root1, root2, proof)
        return
    if size1 == 0:
        raise ProofError("a consistency proof from an empty tree proves nothing")
    if len(proof) == 0:
        raise ProofError(f"proof is empty but sizes {size1} and {size2} differ")
    _check_hash(root1, "root1")
    _check_hash(root2, "root2")
    for position, element in enumerate(proof):
        _check_hash(element, f"proof element {position}")
    fr, sr = _consistency_roots(size1, size2, root1, proof)
    if fr != root1:
        raise ProofError("consistency proof does not lead to root1")
    if sr != root2:
        raise ProofError("consistency proof does not lead to root2")


def _verify_same_size(
    size: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    if len(proof) != 0:
        raise ProofError(f"sizes are equal ({size}) but the proof is not empty")
    # The empty tree has exactly one root; anything else is a false checkpoint.
    if size == 0 and (root1 != EMPTY_ROOT or root2 != EMPTY_ROOT):
        raise ProofError("a tree of size 0 must have the empty-tree root")
    if root1 != root2:
        raise ProofError(f"sizes are equal ({size}) but the roots differ")


def _consistency_roots(
    size1: int, size2: int, root1: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Steps 2-6 of RFC 9162 §2.1.4.2: the old and new roots the proof implies."""
    path: Sequence[bytes] = proof
    if size1 & (size1 - 1) == 0:
        # The old tree is a perfect subtree of the new one, so its root is the
        # starting node and the proof omits it.
        path = [bytes(root1), *proof]
    fn = size1 - 1
    sn = size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = bytes(path[0])
    for element in path[1:]:
        if sn == 0:
            raise ProofError(
                f"proof has {len(proof)} elements, "
                f"more than sizes {size1}->{size2} need"
            )
        if fn & 1 or fn == sn:
            fr = node_hash(element, fr)
            sr = node_hash(element, sr)
            # As in inclusion: climb past levels where this node has no sibling.
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(
            f"proof has {len(proof)} elements, fewer than sizes {size1}->{size2} need"
        )
    return fr, sr
