"""The keyd wire format: length-prefixed JSON frames, bytes as base64, strict decoding.

Shared by keyd and its client so both ends agree on every field.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import Any, Protocol

# Re-exported: callers read wire messages through wire.as_int, wire.b64d, ...
from corridor.keys.jsonvalues import as_int as as_int
from corridor.keys.jsonvalues import as_str as as_str
from corridor.keys.jsonvalues import b64d as b64d
from corridor.keys.jsonvalues import b64e as b64e
from corridor.keys.service import EpochInfo, Status

MAX_MESSAGE = 16 * 1024 * 1024
# Items in one batch (keys to wrap, values to index, ...). A frame within MAX_MESSAGE can
# still hold millions of tiny items, each costing keyd work and memory; the client splits.
MAX_BATCH = 10_000
_HEADER = struct.Struct(">I")


class Reader(Protocol):
    def read(self, size: int, /) -> bytes: ...


class FrameError(Exception):
    """The peer sent something that is not a valid frame; the connection is dropped."""


def encode_frame(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_MESSAGE:
        raise ValueError(f"message of {len(body)} bytes exceeds the {MAX_MESSAGE}-byte limit")
    return _HEADER.pack(len(body)) + body


def read_frame(reader: Reader) -> dict[str, Any] | None:
    """Read one frame; None on a clean end of stream before a header."""
    header = reader.read(_HEADER.size)
    if not header:
        return None
    if len(header) != _HEADER.size:
        raise FrameError("truncated frame header")
    (length,) = _HEADER.unpack(header)
    if length > MAX_MESSAGE:
        raise FrameError(f"frame of {length} bytes exceeds the {MAX_MESSAGE}-byte limit")
    body = reader.read(length)
    if len(body) != length:
        raise FrameError("truncated frame body")
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):  # deeply nested JSON must not escape as a crash
        raise FrameError("frame is not JSON") from None
    if not isinstance(message, dict):
        raise FrameError("frame is not a JSON object")
    return message


# -- typed field access: keyd reports a TypeError here as a bad request --


def as_list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return value


def as_batch(value: object) -> list[Any]:
    """A list of at most MAX_BATCH items; keyd checks this before doing any work."""
    items = as_list(value)
    if len(items) > MAX_BATCH:
        raise ValueError(f"a batch of {len(items)} items exceeds the limit of {MAX_BATCH}")
    return items


def encode_items(items: Sequence[tuple[bytes, str]]) -> list[list[str]]:
    return [[b64e(data), context] for data, context in items]


def decode_items(value: object) -> list[tuple[bytes, str]]:
    out = []
    for item in as_batch(value):
        pair = as_list(item)
        if len(pair) != 2:
            raise TypeError("expected [bytes, context] pairs")
        out.append((b64d(pair[0]), as_str(pair[1])))
    return out


def status_to_json(status: Status) -> dict[str, Any]:
    return {
        "initialized": status.initialized,
        "sealed": status.sealed,
        "threshold": status.threshold,
        "shares_total": status.shares_total,
        "shares_received": status.shares_received,
        "current_epoch": status.current_epoch,
        "session_epoch": status.session_epoch,
    }


def status_from_json(value: object) -> Status:
    if not isinstance(value, dict):
        raise TypeError("expected a status object")
    return Status(
        initialized=bool(value["initialized"]),
        sealed=bool(value["sealed"]),
        threshold=as_int(value["threshold"]),
        shares_total=as_int(value["shares_total"]),
        shares_received=as_int(value["shares_received"]),
        current_epoch=as_int(value["current_epoch"]),
        session_epoch=as_str(value["session_epoch"]),
    )


def epoch_to_json(epoch: EpochInfo) -> dict[str, Any]:
    return {
        "version": epoch.version,
        "created": epoch.created,
        "retired": epoch.retired,
        "current": epoch.current,
    }


def epoch_from_json(value: object) -> EpochInfo:
    if not isinstance(value, dict):
        raise TypeError("expected an epoch object")
    retired = value["retired"]
    return EpochInfo(
        version=as_int(value["version"]),
        created=as_str(value["created"]),
        retired=None if retired is None else as_str(retired),
        current=bool(value["current"]),
    )
