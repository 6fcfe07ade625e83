"""Signed tree heads: the only thing the audit signing key signs, and the last one it signed.

keyd signs a new checkpoint of the audit log only as an RFC 6962 consistent extension of the
last tree head it signed (Invariant 14). The proof check is pure hashing and lives here, at
the floor, so that corridor.keys never imports corridor.audit (audit imports it from here).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from corridor.keys import crypto, keystore
from corridor.keys.errors import KeyringError, KeystoreTampered, TreeHeadRefused
from corridor.keys.jsonvalues import as_int, as_str, b64d, b64e

__all__ = [
    "CHECKPOINT_VERSION",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "ProofError",
    "SignedTreeHead",
    "checkpoint_message",
    "frontier_root",
    "load_head",
    "node_hash",
    "sign_extension",
    "verify_consistency",
]

HASH_SIZE = 32
# RFC 6962 §2.1: the prefix keeps an interior node from ever being taken for a leaf.
_NODE_PREFIX = b"\x01"
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
CHECKPOINT_VERSION = "corridor.audit.checkpoint/1"
_FILE_FORMAT = 1


class ProofError(ValueError):
    """A proof, root or tree size does not verify; the message says why."""


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def check_hash(value: object, what: str, error: type[Exception] = ProofError) -> None:
    # A hash of the wrong length is never valid, and rejecting it outright stops
    # bytes from sliding between adjacent inputs of 0x01 || left || right.
    if not isinstance(value, bytes | bytearray | memoryview):
        raise error(f"{what} must be bytes, got {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise error(f"{what} must be {HASH_SIZE} bytes, got {len(value)}")


def check_size(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProofError(f"{what} must be an int, got {type(value).__name__}")
    if value < 0:
        raise ProofError(f"{what} must not be negative, got {value}")
    return value


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    """Check the tree of `size1` and `root1` is a prefix of that of `size2` and `root2`.

    RFC 9162 §2.1.4.2. Returns None on success and raises ProofError otherwise.
    """
    check_size(size1, "size1")
    check_size(size2, "size2")
    if size1 > size2:
        raise ProofError(f"size1 {size1} is greater than size2 {size2}: logs never shrink")
    if size1 == size2:
        _verify_same_size(size1, root1, root2, proof)
        return
    if size1 == 0:
        raise ProofError("a consistency proof from an empty tree proves nothing")
    if len(proof) == 0:
        raise ProofError(f"proof is empty but sizes {size1} and {size2} differ")
    check_hash(root1, "root1")
    check_hash(root2, "root2")
    for position, element in enumerate(proof):
        check_hash(element, f"proof element {position}")
    fr, sr = _consistency_roots(size1, size2, root1, proof)
    if fr != root1:
        raise ProofError("consistency proof does not lead to root1")
    if sr != root2:
        raise ProofError("consistency proof does not lead to root2")


def _verify_same_size(size: int, root1: bytes, root2: bytes, proof: Sequence[bytes]) -> None:
    if len(proof) != 0:
        raise ProofError(f"sizes are equal ({size}) but the proof is not empty")
    # The empty tree has exactly one root; anything else is a false checkpoint.
    if size == 0 and (root1 != EMPTY_ROOT or root2 != EMPTY_ROOT):
        raise ProofError("a tree of size 0 must have the empty-tree root")
    if root1 != root2:
        raise ProofError(f"sizes are equal ({size}) but the roots differ")


def _consistency_roots(size1: int, size2: int, root1: bytes, proof: Sequence[bytes]) -> tuple[bytes, bytes]:
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
            raise ProofError(f"proof has {len(proof)} elements, more than sizes {size1}->{size2} need")
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
        raise ProofError(f"proof has {len(proof)} elements, fewer than sizes {size1}->{size2} need")
    return fr, sr


def frontier_root(size: int, frontier: Sequence[bytes]) -> bytes:
    """The root of a tree of `size` leaves from its subtree roots, left to right (one per set bit)."""
    check_size(size, "tree size")
    if len(frontier) != size.bit_count():
        raise ProofError(f"a tree of size {size} has {size.bit_count()} subtree roots, got {len(frontier)}")
    for position, value in enumerate(frontier):
        check_hash(value, f"subtree root {position}")
    if not frontier:
        return EMPTY_ROOT
    current = bytes(frontier[-1])
    for value in reversed(frontier[:-1]):
        current = node_hash(bytes(value), current)
    return current


def checkpoint_message(
    tree_size: int,
    root: bytes,
    time_iso: str,
    previous_size: int,
    previous_root: bytes,
    fingerprint: str,
) -> bytes:
    """The text a checkpoint signature covers.

    It names the previous checkpoint, so the signed checkpoints form a chain and a
    checkpoint removed from the middle is noticed by the one after it.
    """
    return (
        f"{CHECKPOINT_VERSION}\n"
        f"size {tree_size}\nroot {root.hex()}\ntime {time_iso}\n"
        f"previous {previous_size} {previous_root.hex()}\nkey {fingerprint}\n"
    ).encode()


def fingerprint(public_key: bytes) -> str:
    """SHA-256 of the raw Ed25519 public key, in hex: names the key that signed a checkpoint."""
    return hashlib.sha256(public_key).hexdigest()


@dataclass(frozen=True)
class SignedTreeHead:
    """One signed checkpoint, plus the subtree roots (`frontier`) that let the next proof be built."""

    size: int
    root: bytes
    frontier: tuple[bytes, ...]
    time: str
    previous_size: int
    previous_root: bytes
    fingerprint: str
    signature: bytes

    def message(self) -> bytes:
        return checkpoint_message(self.size, self.root, self.time, self.previous_size, self.previous_root, self.fingerprint)

    def to_json(self) -> dict[str, Any]:
        b64 = b64e
        return {
            "size": self.size,
            "root": b64(self.root),
            "frontier": [b64(value) for value in self.frontier],
            "time": self.time,
            "previous_size": self.previous_size,
            "previous_root": b64(self.previous_root),
            "fingerprint": self.fingerprint,
            "signature": b64(self.signature),
        }

    @classmethod
    def from_json(cls, value: object) -> SignedTreeHead:
        """Parse strictly; raises TypeError or ValueError on anything malformed."""
        if not isinstance(value, dict):
            raise TypeError("expected a tree head object")
        frontier = value["frontier"]
        if not isinstance(frontier, list):
            raise TypeError("expected a list of subtree roots")
        head = cls(
            size=as_int(value["size"]),
            root=b64d(value["root"]),
            frontier=tuple(b64d(item) for item in frontier),
            time=as_str(value["time"]),
            previous_size=as_int(value["previous_size"]),
            previous_root=b64d(value["previous_root"]),
            fingerprint=as_str(value["fingerprint"]),
            signature=b64d(value["signature"]),
        )
        if frontier_root(head.size, head.frontier) != head.root:
            raise ValueError("the subtree roots do not lead to the tree head's root")
        return head


# -- the last signed head, kept by keyd ------------------------------------------------------
#
# Where it lives, and why that is enough: keyd writes it next to the keystore, in
# <data_dir>/keys/, a directory that keyd creates with mode 0700. The deploy guide runs keyd
# as its own Unix user, so a web worker (another user) can neither edit nor delete the file,
# and the database, which workers can write, is never consulted for it. The file is also
# signed (it is a checkpoint), so a damaged or forged one is refused rather than reset.
# What is not covered: anyone running as keyd's user or root can replace it with an older
# signed head; that is the same power as replacing keyd itself.
#
# No file means no head has ever been signed: the first head is then accepted as a
# consistent extension of whichever earlier checkpoint the caller names (trust on first
# use, once per instance). Deleting the file needs keyd's user, as above.


def head_path(data_dir: Path) -> Path:
    return data_dir / "keys" / "tree_head.json"


def load_head(data_dir: Path, public_key: bytes) -> SignedTreeHead | None:
    """The last head signed for this instance, or None if it never signed one.

    Raises KeystoreTampered when the file is damaged, signed by another key, or forged.
    """
    path = head_path(data_dir)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("format") != _FILE_FORMAT:
            raise ValueError("unknown format")
        head = SignedTreeHead.from_json(data["head"])
    except (ValueError, KeyError, TypeError) as exc:
        raise KeystoreTampered(f"the last signed tree head at {path} is damaged: {type(exc).__name__}") from None
    if head.fingerprint != fingerprint(public_key) or not crypto.verify(public_key, head.signature, head.message()):
        raise KeystoreTampered(f"the last signed tree head at {path} was not signed by this instance's key")
    return head


def _save_head(data_dir: Path, head: SignedTreeHead) -> None:
    """Write atomically and durably, like the keystore: a crash leaves the old head or the new one."""
    path = head_path(data_dir)
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    payload = json.dumps({"format": _FILE_FORMAT, "head": head.to_json()}, indent=2, sort_keys=True).encode()
    keystore.write_atomically(path, payload)


def sign_extension(
    data_dir: Path,
    signing_key: bytes,
    public_key: bytes,
    *,
    old_size: int,
    old_root: bytes,
    new_size: int,
    new_root: bytes,
    proof: Sequence[bytes],
    frontier: Sequence[bytes],
) -> SignedTreeHead:
    """Sign the tree head (new_size, new_root) if it extends the last one signed; remember it.

    (old_size, old_root) is the head the caller proves from: it must be the last signed head
    when there is one. The new head is on disk before the signature leaves this function, so
    no signature ever exists beyond the head keyd remembers. Call under the key service lock.
    """
    last = load_head(data_dir, public_key)
    try:
        check_size(old_size, "old size")
        check_size(new_size, "new size")
        check_hash(old_root, "old root")
        check_hash(new_root, "new root")
        if last is not None and (old_size, bytes(old_root)) != (last.size, last.root):
            raise ProofError(f"the last tree head signed has size {last.size}, and the proof starts elsewhere (size {old_size})")
        if old_size == 0:
            # Every tree extends the empty one, and RFC 6962 has no proof for it.
            if bytes(old_root) != EMPTY_ROOT or len(proof) != 0:
                raise ProofError("the empty tree has the empty root and needs no proof")
        else:
            verify_consistency(old_size, new_size, bytes(old_root), bytes(new_root), [bytes(p) for p in proof])
        if frontier_root(new_size, frontier) != bytes(new_root):
            raise ProofError("the subtree roots given do not lead to the new root")
    except ProofError as exc:
        raise TreeHeadRefused(f"refused to sign the tree head: {exc}") from None
    key_fingerprint = fingerprint(public_key)
    time = datetime.now(UTC).replace(microsecond=0).isoformat()
    message = checkpoint_message(new_size, bytes(new_root), time, old_size, bytes(old_root), key_fingerprint)
    head = SignedTreeHead(
        size=new_size,
        root=bytes(new_root),
        frontier=tuple(bytes(value) for value in frontier),
        time=time,
        previous_size=old_size,
        previous_root=bytes(old_root),
        fingerprint=key_fingerprint,
        signature=crypto.sign(signing_key, message),
    )
    try:
        _save_head(data_dir, head)
    except OSError as exc:
        raise KeyringError(f"the signed tree head could not be stored: {exc.strerror}") from None
    return head
