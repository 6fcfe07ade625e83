"""KeydClient: the Keyring protocol spoken over keyd's Unix socket.

Web workers use this; it holds no keys beyond the data keys it is handed back.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from corridor.keys import wire
from corridor.keys.errors import WIRE_ERRORS, KeyringError, KeyServiceUnavailable
from corridor.keys.service import EpochInfo, Status
from corridor.keys.treehead import SignedTreeHead

# Resending these after keyd may already have acted on them could count a share twice
# or create two epochs; they are retried only when the request never left this process.
_NOT_REPEATABLE = frozenset({"submit_share", "rotate", "retire_epoch", "destroy_epoch", "sign_tree_head"})

T = TypeVar("T")
R = TypeVar("R")


def _in_batches(items: Sequence[T], call: Callable[[Sequence[T]], list[R]]) -> list[R]:
    """keyd takes at most wire.MAX_BATCH items per request: a larger batch goes in several."""
    if len(items) <= wire.MAX_BATCH:
        return call(items)
    out: list[R] = []
    for start in range(0, len(items), wire.MAX_BATCH):
        out.extend(call(items[start : start + wire.MAX_BATCH]))
    return out


class _Connection:
    def __init__(self, socket_path: str, timeout: float | None) -> None:
        self.pid = os.getpid()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(socket_path)
        except OSError:
            self.sock.close()
            raise
        self.reader: BinaryIO = self.sock.makefile("rb")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


class KeydClient:
    """One persistent connection per thread (and per process, for forking servers)."""

    def __init__(self, socket_path: Path | str, timeout: float | None = 30.0) -> None:
        self._socket_path = str(socket_path)
        self._timeout = timeout
        self._local = threading.local()

    def close(self) -> None:
        """Close this thread's connection, if any."""
        conn: _Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def _connection(self) -> _Connection:
        conn: _Connection | None = getattr(self._local, "conn", None)
        # A connection inherited across fork() is shared with the parent: never reuse it.
        if conn is None or conn.pid != os.getpid():
            try:
                conn = _Connection(self._socket_path, self._timeout)
            except OSError as exc:
                raise KeyServiceUnavailable(f"cannot reach the key service at {self._socket_path}: {exc.strerror}") from None
            self._local.conn = conn
        return conn

    def _call(self, op: str, args: dict[str, Any] | None = None) -> Any:
        frame = wire.encode_frame({"op": op, "args": args or {}})
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                # keyd restarted since this connection was opened; nothing was received.
                self.close()
                if attempt == 2:
                    raise KeyServiceUnavailable("the key service closed the connection") from None
                continue
            try:
                reply = wire.read_frame(conn.reader)
            except (OSError, wire.FrameError) as exc:
                self.close()
                raise KeyServiceUnavailable(f"no reply from the key service: {exc}") from None
            if reply is None:
                self.close()
                if attempt == 1 and op not in _NOT_REPEATABLE:
                    continue
                raise KeyServiceUnavailable("the key service closed the connection")
            return self._result(reply)
        raise AssertionError("unreachable")

    @staticmethod
    def _result(reply: dict[str, Any]) -> Any:
        if reply.get("ok") is True:
            return reply.get("result")
        error = WIRE_ERRORS.get(str(reply.get("error")), KeyringError)
        raise error(str(reply.get("message", "")))

    # -- the Keyring protocol -----------------------------------------------------

    def status(self) -> Status:
        return wire.status_from_json(self._call("status"))

    def submit_share(self, text: str) -> Status:
        return wire.status_from_json(self._call("submit_share", {"text": text}))

    def reset_unseal(self, share: str | None = None) -> Status:
        return wire.status_from_json(self._call("reset_unseal", {} if share is None else {"share": share}))

    def seal(self) -> None:
        self._call("seal")

    def _items(self, op: str, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        return _in_batches(items, lambda part: [wire.b64d(b) for b in self._call(op, {"items": wire.encode_items(part)})])

    def wrap(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        return self._items("wrap", items)

    def unwrap(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        return self._items("unwrap", items)

    def generate_data_keys(self, contexts: Sequence[str]) -> list[tuple[bytes, bytes]]:
        def call(part: Sequence[str]) -> list[tuple[bytes, bytes]]:
            result = self._call("generate_data_keys", {"contexts": list(part)})
            return [(wire.b64d(key), wire.b64d(wrapped)) for key, wrapped in result]

        return _in_batches(contexts, call)

    def rewrap(self, items: Sequence[tuple[bytes, str]]) -> list[bytes]:
        return self._items("rewrap", items)

    def rotate(self) -> int:
        return wire.as_int(self._call("rotate"))

    def retire_epoch(self, version: int) -> None:
        self._call("retire_epoch", {"version": version})

    def destroy_epoch(self, version: int) -> None:
        self._call("destroy_epoch", {"version": version})

    def epochs(self) -> list[EpochInfo]:
        return [wire.epoch_from_json(e) for e in self._call("epochs")]

    def blind_index(self, index: str, values: Sequence[str], bits: int) -> list[bytes]:
        def call(part: Sequence[str]) -> list[bytes]:
            return [wire.b64d(b) for b in self._call("blind_index", {"index": index, "values": list(part), "bits": bits})]

        return _in_batches(values, call)

    def intake_recipient(self) -> str:
        return wire.as_str(self._call("intake_recipient"))

    def open_intake(self, ciphertexts: Sequence[bytes]) -> list[bytes]:
        def call(part: Sequence[bytes]) -> list[bytes]:
            return [wire.b64d(b) for b in self._call("open_intake", {"ciphertexts": [wire.b64e(c) for c in part]})]

        return _in_batches(ciphertexts, call)

    def tree_head(self) -> SignedTreeHead | None:
        result = self._call("tree_head")
        return None if result is None else SignedTreeHead.from_json(result)

    def sign_tree_head(
        self,
        old_size: int,
        old_root: bytes,
        new_size: int,
        new_root: bytes,
        proof: Sequence[bytes],
        frontier: Sequence[bytes],
    ) -> SignedTreeHead:
        args = {
            "old_size": old_size,
            "old_root": wire.b64e(old_root),
            "new_size": new_size,
            "new_root": wire.b64e(new_root),
            "proof": [wire.b64e(p) for p in proof],
            "frontier": [wire.b64e(f) for f in frontier],
        }
        return SignedTreeHead.from_json(self._call("sign_tree_head", args))

    def signing_public_key(self) -> bytes:
        return wire.b64d(self._call("signing_public_key"))

    def referral_recipient(self) -> str:
        return wire.as_str(self._call("referral_recipient"))

    def open_referral(self, ciphertext: bytes) -> bytes:
        return wire.b64d(self._call("open_referral", {"ciphertext": wire.b64e(ciphertext)}))

    def sign_referral(self, digest: bytes) -> bytes:
        return wire.b64d(self._call("sign_referral", {"digest": wire.b64e(digest)}))

    def address_tags(self, addresses: Sequence[str]) -> list[str]:
        def call(part: Sequence[str]) -> list[str]:
            return [wire.as_str(t) for t in wire.as_list(self._call("address_tags", {"addresses": list(part)}))]

        return _in_batches(addresses, call)
