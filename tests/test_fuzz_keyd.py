"""Fuzz of keyd's outside input: the wire frames, every operation's arguments, and share text.

Properties: a frame either decodes to a JSON object or raises FrameError (never anything
else); a valid message survives encode/read unchanged; no argument shape makes an operation
fail with keyd's "internal error" (an exception it did not expect); share text is either a
share or a ShareFormatError with a message, and a forged or mistyped share never unseals
nor takes the place of a real trustee's share.
"""

from __future__ import annotations

import io
import os
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corridor.keys import keyd, shamir, wire
from corridor.keys.errors import KeyringError, ShareFormatError
from corridor.keys.service import KeyService, initialize

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)


def _frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


# -- frames --


@FUZZ
@given(st.binary(max_size=300))
@example(b"\x00\x00\x00\x05[[[[[")
@example(_frame(b"[" * 100_000))  # nesting deeper than the recursion limit
@example(b"\xff\xff\xff\xff")  # a length over MAX_MESSAGE
@example(_frame(b"\xff\xfe"))  # not UTF-8
@example(_frame(b"1e99999"))
def test_arbitrary_bytes_are_a_frame_or_a_frame_error(data: bytes) -> None:
    try:
        message = wire.read_frame(io.BytesIO(data))
    except wire.FrameError as error:
        assert str(error)
    else:
        assert message is None or isinstance(message, dict)


@FUZZ
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6), st.integers(min_value=0, max_value=200))
def test_valid_frames_round_trip_and_any_truncation_is_refused(message: dict[str, Any], cut: int) -> None:
    frame = wire.encode_frame(message)
    assert wire.read_frame(io.BytesIO(frame)) == message
    truncated = frame[: min(cut, len(frame) - 1)]
    if truncated:
        with pytest.raises(wire.FrameError):
            wire.read_frame(io.BytesIO(truncated))
    else:
        assert wire.read_frame(io.BytesIO(truncated)) is None


def test_an_oversized_frame_is_refused_before_its_body_is_read() -> None:
    class Header(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            if size == 4:
                return struct.pack(">I", wire.MAX_MESSAGE + 1)
            raise AssertionError("the body of an oversized frame was read")

    with pytest.raises(wire.FrameError, match="exceeds"):
        wire.read_frame(Header())
    with pytest.raises(ValueError, match="exceeds"):
        wire.encode_frame({"x": "a" * wire.MAX_MESSAGE})


# -- operations with arguments of any shape --


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> KeyService:
    data_dir = tmp_path_factory.mktemp("fuzz-keyd") / "data"
    shares = initialize(data_dir, shares=5, threshold=3)
    service = KeyService(data_dir, min_retired_days=0)
    for share in shares[:3]:
        service.submit_share(share)
    assert service.status().sealed is False
    return service


# Operations that change the instance as a whole are left out: with well-formed arguments
# they would succeed (seal, rotate, destroy an epoch), which is not what is fuzzed here.
_STATEFUL = {"seal", "rotate", "retire_epoch", "destroy_epoch", "reset_unseal", "submit_share"}
OPERATIONS = sorted(set(keyd.OPS) - _STATEFUL)


@FUZZ
@given(
    st.one_of(st.sampled_from(OPERATIONS), json_values),
    st.one_of(
        st.dictionaries(
            st.sampled_from(
                [
                    "items",
                    "contexts",
                    "values",
                    "index",
                    "bits",
                    "ciphertexts",
                    "ciphertext",
                    "digest",
                    "old_size",
                    "old_root",
                    "new_size",
                    "new_root",
                    "proof",
                    "frontier",
                    "addresses",
                    "text",
                ]
            ),
            json_values,
            max_size=6,
        ),
        json_values,
    ),
)
@example("wrap", {"items": [["!!", "x"]]})
@example("blind_index", {"index": "name", "values": ["a"], "bits": -1})
@example("blind_index", {"index": "name", "values": ["a"], "bits": 10**30})
@example("sign_tree_head", {"old_size": -5, "old_root": "", "new_size": 2**70, "new_root": "", "proof": [], "frontier": []})
@example("unwrap", {"items": [["AAAA", "ctx"]]})
@example("open_referral", {"ciphertext": "AAAA"})
def test_no_argument_shape_is_an_internal_error(service: KeyService, op: Any, args: Any) -> None:
    reply = keyd.dispatch(service, {"op": op, "args": args})
    if not reply["ok"]:
        assert reply["message"] != "internal error in keyd", (op, args)
        assert reply["error"] in keyd.WIRE_ERRORS or reply["error"] == "ValueError"
    assert service.status().sealed is False


# -- the daemon itself keeps serving after garbage --


@pytest.fixture(scope="module")
def server(service: KeyService, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("fuzz-sock") / "keyd.sock"
    daemon = keyd.KeydServer(path, service)
    thread = threading.Thread(target=daemon.serve_forever, daemon=True)
    thread.start()
    yield path
    daemon.shutdown()
    daemon.server_close()


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
@example(b"\x00\x00\x00\x03abc")
@example(_frame(b'{"op":"status","args":[]}') + b"\x00\x00")
def test_keyd_survives_garbage_on_its_socket(server: Path, garbage: bytes) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(server))
        sock.sendall(garbage)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(5)
        sock.connect(str(server))
        sock.sendall(wire.encode_frame({"op": "status", "args": {}}))
        reply = wire.read_frame(sock.makefile("rb"))
    assert reply is not None and reply["ok"] is True and reply["result"]["sealed"] is False


# -- share text --


@FUZZ
@given(st.text(max_size=120))
@example("share 1: ")
@example("share 99999999999999999999: AAAA")
@example("====")
@example("share 1: AE======")
def test_random_text_is_a_share_or_a_clear_refusal(text: str) -> None:
    try:
        part = shamir.parse_share(text)
    except ShareFormatError as error:
        assert str(error).startswith("this share")
    else:
        assert len(part) >= 2


@FUZZ
@given(st.integers(1, 255), st.binary(min_size=1, max_size=64), st.integers(1, 255))
def test_share_text_round_trips(number: int, body: bytes, x: int) -> None:
    part = body + bytes([x])
    assert shamir.parse_share(shamir.format_share(number, part)) == part
    assert shamir.parse_share(shamir.format_share(number, part).lower().replace("-", " ")) == part


@FUZZ
@given(st.binary(min_size=1, max_size=48), st.data())
def test_one_changed_character_is_caught_by_the_checksum(body: bytes, data: st.DataObject) -> None:
    text = shamir.format_share(1, body + b"\x01")
    start = text.index(": ") + 2
    positions = [i for i in range(start, len(text) - 1) if text[i] != "-"]  # the last may be padding bits only
    at = data.draw(st.sampled_from(positions))
    replacement = data.draw(st.sampled_from([c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" if c != text[at]]))
    with pytest.raises(ShareFormatError):
        shamir.parse_share(text[:at] + replacement + text[at + 1 :])


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[Path, list[str]]:
    data_dir = tmp_path / "data"
    return data_dir, initialize(data_dir, shares=5, threshold=3)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2), st.binary(min_size=1, max_size=40)), min_size=1, max_size=6))
def test_forged_and_foreign_shares_never_unseal_nor_keep_the_trustees_out(
    fresh: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory, forgeries: list[tuple[int, int, bytes]]
) -> None:
    data_dir, shares = fresh
    other = initialize(tmp_path_factory.mktemp("other") / "data", shares=5, threshold=3)
    service = KeyService(data_dir, min_retired_days=0)
    for index, how, noise in forgeries:
        real = shamir.parse_share(shares[index])
        if how == 0:  # same x as a real share, random y bytes
            text = shamir.format_share(index + 1, (noise * 40)[: len(real) - 1] + real[-1:])
        elif how == 1:  # a genuine share of another instance
            text = other[index]
        else:  # the wrong length altogether
            text = shamir.format_share(index + 1, noise + real[-1:])
        with pytest.raises(KeyringError):
            service.submit_share(text)
        with pytest.raises(KeyringError):
            service.reset_unseal(text)
        assert service.status().sealed is True
        assert service.status().shares_received == 0
    for share in shares[2:5]:
        status = service.submit_share(share)
    assert status.sealed is False


def test_the_shares_module_is_used_by_keyd() -> None:
    # The fuzz above goes through the same parse keyd uses for a share sent on the wire.
    reply = keyd.dispatch(KeyService(Path(os.devnull)), {"op": "submit_share", "args": {"text": "share 1: 0000"}})
    assert reply["ok"] is False and reply["error"] == "ShareFormatError"
