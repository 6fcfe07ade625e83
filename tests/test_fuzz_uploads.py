"""Fuzz of uploaded files: document sanitising (corridor/cases/files.py) and the in-memory upload handler.

Properties: any bytes under any name are either cleaned or refused with FileRejected and a
message (never another exception); a header claiming huge dimensions is refused before a
pixel is decoded; a cleaned file is again accepted (clean output is a fixed point of its
type); the upload handler never keeps more than its limit, however the bytes arrive.
"""

from __future__ import annotations

import io
import struct
import zlib

import pikepdf
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from corridor.cases.files import DEFAULT_MAX_PIXELS, FileRejected, sanitize
from corridor.core.uploads import BoundedMemoryUploadHandler

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def _pdf() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    pdf.docinfo["/Author"] = "someone"
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_claiming(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _jpeg_claiming(width: int, height: int) -> bytes:
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + sof + b"\xff\xd9"


VALID = {"photo.jpg": _image("JPEG"), "photo.png": _image("PNG"), "photo.webp": _image("WEBP"), "scan.pdf": _pdf()}
MAGIC = [b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF\x00\x00\x00\x00WEBP", b"%PDF-1.7\n", b"\xef\xbb\xbf", b"\xff\xfe", b""]
NAMES = ["", "a.jpg", "a.png", "a.webp", "a.pdf", "a.txt", "a.exe", ".pdf", "a.", "dir\\x.PDF", "a.jpeg.txt"]


def _check(data: bytes, name: str) -> bytes | None:
    try:
        clean = sanitize(io.BytesIO(data), name)
    except FileRejected as error:
        assert error.messages and all(message.strip() for message in error.messages)
        return None
    assert clean.data
    return clean.data


@FUZZ
@given(st.sampled_from(MAGIC), st.binary(max_size=2000), st.sampled_from(NAMES))
@example(b"%PDF-1.7\n", b"1 0 obj << /Length 99999999999 >> stream\n", "a.pdf")
@example(b"RIFF\x00\x00\x00\x00WEBP", b"VP8 ", "a.webp")
@example(b"\xff\xfe", b"\x00\xd8", "a.txt")  # a lone UTF-16 surrogate
@example(b"\xef\xbb\xbf", b"", "")  # found here: a byte-order mark alone was stored as an empty document
@example(b"\xff\xfe", b"", "a.txt")
def test_bytes_behind_a_magic_prefix_are_cleaned_or_refused(magic: bytes, rest: bytes, name: str) -> None:
    _check(magic + rest, name)


@FUZZ
@given(st.sampled_from(sorted(VALID)), st.data())
def test_truncated_and_bit_flipped_files_are_cleaned_or_refused(name: str, data: st.DataObject) -> None:
    original = VALID[name]
    cut = data.draw(st.integers(1, len(original)))
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(original) - 1), st.integers(1, 255)), max_size=4))
    mutated = bytearray(original[:cut])
    for at, mask in flips:
        if at < len(mutated):
            mutated[at] ^= mask
    clean = _check(bytes(mutated), name)
    if clean is not None:
        # What was accepted once is accepted again: the output is a valid file of its type.
        assert _check(clean, name) is not None


@FUZZ
@given(st.integers(1, 2**31 - 1), st.integers(1, 2**31 - 1), st.sampled_from(["png", "jpg"]))
@example(65535, 65535, "jpg")
@example(2**31 - 1, 2**31 - 1, "png")
def test_a_header_claiming_huge_dimensions_is_refused_before_decoding(width: int, height: int, kind: str) -> None:
    if kind == "jpg":
        width, height = width % 65535 + 1, height % 65535 + 1  # a JPEG frame holds 16-bit sizes
    data = _png_claiming(width, height) if kind == "png" else _jpeg_claiming(width, height)
    if width * height <= DEFAULT_MAX_PIXELS:
        _check(data, f"x.{kind}")  # a small claim is decoded (and found damaged) or accepted
        return
    with pytest.raises(FileRejected) as refused:
        sanitize(io.BytesIO(data), f"x.{kind}")
    assert refused.value.code == "pixels", (width, height, refused.value.messages)


def test_valid_files_are_accepted_and_stripped() -> None:
    for name, data in VALID.items():
        assert _check(data, name) is not None
    assert b"someone" not in sanitize(io.BytesIO(VALID["scan.pdf"]), "scan.pdf").data


@FUZZ
@given(
    st.integers(1, 5000),
    st.lists(st.lists(st.integers(1, 3000), min_size=0, max_size=8), min_size=1, max_size=4),
    st.booleans(),
)
def test_the_upload_handler_never_keeps_more_than_its_limit(limit: int, files: list[list[int]], drop: bool) -> None:
    from django.core.files.uploadhandler import SkipFile

    handler = BoundedMemoryUploadHandler(None, limit=limit, drop_oversized=drop)
    for index, chunks in enumerate(files):
        handler.new_file("f", f"f{index}.txt", "text/plain", sum(chunks))
        seen = 0
        skipped = False
        for size in chunks:
            try:
                handler.receive_data_chunk(b"x" * size, seen)
            except SkipFile:
                skipped = True
                break
            seen += size
            assert 0 <= handler.kept <= limit
        if skipped:
            assert drop and handler.too_large
            continue
        result = handler.file_complete(seen)
        assert result.size == seen
        kept = len(result.read())
        assert kept == (seen if seen <= limit and not getattr(handler, "_over", False) else 0)
