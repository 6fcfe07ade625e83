"""What an uploaded file must go through before it is encrypted (Invariant 9): its type is
read from its bytes, and every piece of metadata (EXIF and GPS, XMP, PDF authors) is removed.

Used by case documents and, later, by intake attachments. The caller encrypts the result.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import re
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageCms, UnidentifiedImageError

from corridor.core.uploads import max_bytes

try:  # pikepdf (qpdf) strips PDF metadata; without it PDFs are refused, never stored as they came.
    import pikepdf

    _HAVE_PIKEPDF = True
except ImportError:  # pragma: no cover - the dependency is pinned; this keeps the refusal explicit
    _HAVE_PIKEPDF = False

# Pillow logs every EXIF tag it reads at DEBUG, values included: GPS coordinates and the
# camera owner's name would reach the logs whenever the level is DEBUG (Invariant 11).
logging.getLogger("PIL").setLevel(logging.INFO)

__all__ = [
    "FileRejected",
    "Sanitized",
    "sanitize",
]

# A phone photo is 12-50 megapixels; pixels are also bounded by the decoded bytes below.
DEFAULT_MAX_PIXELS = 64_000_000
# The most one file may decode to in memory (a picture's pixels, a photo inside a PDF).
# Cleaning holds at most two such copies at once, so with the interpreter this keeps one
# request under 256 MiB: 96 MiB is a 32-megapixel RGB photo, or 24 megapixels with alpha.
DEFAULT_MAX_DECODED_BYTES = 96 * 1024 * 1024
# A PDF's compressed streams are measured by inflating them in small pieces, never kept
# whole; past these sizes (one stream, all of them) the file is a compression bomb.
PDF_MAX_INFLATED_STREAM = 256 * 1024 * 1024
PDF_MAX_INFLATED_TOTAL = 1024 * 1024 * 1024
JPEG_QUALITY = 92


class FileRejected(ValidationError):
    """The file cannot be accepted; the message says why in words a caseworker can act on."""


@dataclass(frozen=True)
class Sanitized:
    """The bytes to encrypt, with the type read from the content and its usual extension."""

    data: bytes
    content_type: str
    extension: str


@dataclass(frozen=True)
class _Kind:
    label: str
    content_type: str
    extension: str
    extensions: frozenset[str]


JPEG = _Kind(gettext_noop("a JPEG image"), "image/jpeg", ".jpg", frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}))
PNG = _Kind(gettext_noop("a PNG image"), "image/png", ".png", frozenset({".png"}))
WEBP = _Kind(gettext_noop("a WebP image"), "image/webp", ".webp", frozenset({".webp"}))
PDF = _Kind(gettext_noop("a PDF"), "application/pdf", ".pdf", frozenset({".pdf"}))
TEXT = _Kind(gettext_noop("a text file"), "text/plain; charset=utf-8", ".txt", frozenset({".txt", ".text", ".md"}))
KINDS = (JPEG, PNG, WEBP, PDF, TEXT)
IMAGE_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP}

# Things people send that we recognise and refuse by name, so the message is useful.
_REFUSED_MAGIC: list[tuple[bytes, int, str]] = [
    (b"MZ", 0, gettext_noop("a Windows program")),
    (b"\x7fELF", 0, gettext_noop("a program")),
    (b"PK\x03\x04", 0, gettext_noop("a ZIP archive or Office document")),
    (b"GIF8", 0, gettext_noop("a GIF image")),
    (b"II*\x00", 0, gettext_noop("a TIFF image")),
    (b"MM\x00*", 0, gettext_noop("a TIFF image")),
    (b"Rar!", 0, gettext_noop("a RAR archive")),
    (b"7z\xbc\xaf", 0, gettext_noop("a 7-Zip archive")),
    (b"\xd0\xcf\x11\xe0", 0, gettext_noop("an old Office document")),
    (b"<svg", 0, gettext_noop("an SVG image")),
]
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
# Control characters other than tab, newlines and form feed mean "not text".
_BINARY_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _max_pixels() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def max_decoded_bytes() -> int:
    return int(getattr(settings, "DOCUMENT_MAX_DECODED_BYTES", DEFAULT_MAX_DECODED_BYTES))


def _too_big_to_open(decoded: int) -> FileRejected:
    return FileRejected(
        _(
            "This file would take %(size)s MB of memory to open; the limit is %(limit)s MB. "
            "Send a smaller picture (most phones offer “smaller size” when sharing) or a PDF made at a lower resolution."
        )
        % {"size": _megabytes(decoded, up=True), "limit": _megabytes(max_decoded_bytes(), up=False)},
        code="decoded",
    )


def _megabytes(size: int, *, up: bool) -> int:
    value = size / (1024 * 1024)
    # The file's size is rounded up and the limit down, so "21 MB; the limit is 20 MB" never reads "20; 20".
    return math.ceil(value) if up else math.floor(value)


def too_large_message(size: int) -> str:
    return _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
        "size": _megabytes(size, up=True),
        "limit": _megabytes(max_bytes(), up=False),
    }


def _not_accepted(what: str) -> FileRejected:
    return FileRejected(
        _("This file type is not accepted: %(what)s. Upload a photo (JPEG, PNG or WebP), a PDF or a plain text file.")
        % {"what": what},
        code="type",
    )


# -- detection ----------------------------------------------------------------------------


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if "." not in base.strip("."):
        return ""
    return "." + base.rsplit(".", 1)[1].lower()


def _sniff(data: bytes) -> _Kind:
    """The kind of file these bytes are, from their first bytes only; refuse anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        raise FileRejected(
            _(
                "HEIC and AVIF photos are not accepted yet. On an iPhone choose Settings → Camera → Formats → Most Compatible, or send the photo as JPEG."
            ),
            code="type",
        )
    for magic, offset, what in _REFUSED_MAGIC:
        if data[offset : offset + len(magic)] == magic:
            raise _not_accepted(_(what))
    if _is_text(data):
        return TEXT
    if not _BINARY_BYTES.search(data):
        # Letters in an 8-bit code page (a Russian Windows text in cp1251, say): guessing the
        # code page would garble names, so ask for UTF-8 instead.
        raise FileRejected(
            _("This text file is not in UTF-8. Save it as UTF-8 (or as a PDF) and upload it again."), code="invalid"
        )
    raise _not_accepted(_("unknown"))


def _is_text(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte-order mark: decoded and re-encoded below
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not _BINARY_CHARS.search(text)


def _check_extension(name: str, kind: _Kind) -> None:
    extension = _extension(name)
    if extension and extension not in kind.extensions:
        raise FileRejected(
            _(
                "This file is %(kind)s, but its name ends in “%(extension)s”. Choose the right file, or rename it and upload it again."
            )
            % {"kind": _(kind.label), "extension": extension},
            code="extension",
        )


# -- images ---------------------------------------------------------------------------------


def _open_image(data: bytes, kind: _Kind) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; a bomb is an error at any size here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if IMAGE_FORMATS.get(image.format or "") is not kind:
                raise FileRejected(
                    _("This file looks like %(kind)s but is not a valid one.") % {"kind": _(kind.label)}, code="invalid"
                )
            width, height = image.size
            if width * height > _max_pixels():
                raise FileRejected(
                    _("The picture is %(mp)s megapixels; the limit is %(limit)s.")
                    % {"mp": math.ceil(width * height / 1e6), "limit": _max_pixels() // 1_000_000},
                    code="pixels",
                )
            # Checked before a single pixel is decoded: a one-colour PNG of a few hundred
            # kilobytes can decode to gigabytes.
            decoded = width * height * max(_bytes_per_pixel(image.mode), 4 if image.mode in ("P", "PA", "LA") else 0)
            if kind is WEBP:
                decoded = width * height * 8  # libwebp decodes to RGBA and its encoder keeps YUV and ARGB planes
            if decoded > max_decoded_bytes():
                raise _too_big_to_open(decoded)
            image.load()
            return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise FileRejected(_("The picture is too large to open safely."), code="pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Truncated or corrupt data: Pillow raises one of these; none of them is a server error.
        raise FileRejected(
            _("This file looks like %(kind)s but is damaged and cannot be opened.") % {"kind": _(kind.label)}, code="invalid"
        ) from exc


def _bytes_per_pixel(mode: str) -> int:
    if mode in ("I", "F", "RGBA", "RGBX", "CMYK", "RGBa", "La"):
        return 4
    if mode.startswith("I;16"):
        return 2
    return max(1, len(mode)) if mode in ("RGB", "LA", "PA", "YCbCr", "LAB", "HSV") else 1


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert from an embedded colour profile to sRGB, so dropping the profile keeps the colours.

    ICC profiles carry free-text descriptions (device, vendor, sometimes a name), so they
    are not kept; converting first means a wide-gamut phone photo does not look washed out.
    """
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        # In place: converting into a copy would hold the picture twice more.
        ImageCms.profileToProfile(image, source, target, outputMode=image.mode, inPlace=True)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: the pixels are kept as they are, the profile dropped
    return image


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _replace(old: Image.Image, new: Image.Image) -> Image.Image:
    """Let go of the previous step's pixels at once: at most two copies are ever alive."""
    if new is not old:
        old.close()
    return new


def _clean_image(data: bytes, kind: _Kind) -> bytes:
    image = _open_image(data, kind)
    try:
        # Upright first: the orientation lives in the EXIF we are about to drop.
        orientation = image.getexif().get(0x0112, 1)
        if orientation in _TRANSPOSE:
            image = _replace(image, image.transpose(_TRANSPOSE[orientation]))
        image = _to_srgb(image)
        if kind is JPEG:
            target_mode = "L" if image.mode in ("1", "L", "I;16", "I") else "RGB"
        else:
            has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
            target_mode = "RGBA" if has_alpha else ("L" if image.mode in ("1", "L") else "RGB")
        if image.mode != target_mode:
            image = _replace(image, image.convert(target_mode))
        # A new image carries no info dict at all: no EXIF, XMP, ICC, text chunks, comments
        # or thumbnails can ride along, whatever the encoder would copy by default.
        clean = Image.new(target_mode, image.size)
        clean.paste(image)
        image = _replace(image, clean)
        out = io.BytesIO()
        if kind is JPEG:
            clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        elif kind is PNG:
            clean.save(out, "PNG", optimize=True)
        else:
            clean.save(out, "WEBP", quality=JPEG_QUALITY, method=4)
        return out.getvalue()
    finally:
        image.close()


# -- PDF ---------------------------------------------------------------------------------------


_JPEG_KEEP_APP = {0xE0, 0xEE}  # APP0 (JFIF) and APP14 (Adobe colour transform) are needed to decode


def strip_jpeg_segments(data: bytes) -> bytes:
    """Drop EXIF, XMP, IPTC, ICC and comment segments from a JPEG without re-encoding it.

    Used for photos inside PDFs, where decoding and re-encoding would degrade scanned
    evidence and could change CMYK colours; Pillow offers no lossless segment filter.
    Anything that does not parse as JPEG is returned unchanged for the caller to judge.
    """
    if not data.startswith(b"\xff\xd8"):
        return data
    out = bytearray(b"\xff\xd8")
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return data
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the compressed image follows, copied as is
            out += data[pos:]
            return bytes(out)
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        segment = data[pos : pos + 2 + length]
        if 0xE0 <= marker <= 0xEF and marker not in _JPEG_KEEP_APP or marker == 0xFE:
            pass  # metadata segment: dropped
        else:
            out += segment
        pos += 2 + length
    return data


def _strip_embedded_jpeg(pdf: Any, stream: Any) -> None:
    """Photos inside a PDF keep their own EXIF (scanning apps embed camera JPEGs as they are)."""
    filters = stream.get("/Filter")
    parms = stream.get("/DecodeParms")
    if isinstance(filters, pikepdf.Array):
        if len(filters) == 0 or filters[-1] != pikepdf.Name.DCTDecode:
            return
        outer = list(filters)[:-1]
        dct_parms = parms[-1] if isinstance(parms, pikepdf.Array) and len(parms) == len(filters) else None
        outer_parms = list(parms)[:-1] if isinstance(parms, pikepdf.Array) and len(parms) == len(filters) else None
    elif filters == pikepdf.Name.DCTDecode:
        outer, dct_parms, outer_parms = [], parms, None
    else:
        return
    jpeg = stream.read_raw_bytes()
    if outer:
        try:
            unwrapped = _expanded_size(stream, max_decoded_bytes())
        except _Inflated:
            unwrapped = max_decoded_bytes() + 1
        if unwrapped > max_decoded_bytes():
            raise _too_big_to_open(unwrapped)
        # Flate (or similar) around the JPEG: undo only those filters with a scratch stream.
        scratch = pikepdf.Stream(pdf, jpeg)
        scratch["/Filter"] = pikepdf.Array(outer)
        if outer_parms is not None:
            scratch["/DecodeParms"] = pikepdf.Array(outer_parms)
        try:
            jpeg = scratch.read_bytes()
        except pikepdf.PdfError as exc:
            raise FileRejected(_("This PDF is damaged and cannot be opened."), code="invalid") from exc
    stripped = strip_jpeg_segments(jpeg)
    if stripped != jpeg or outer:
        stream.write(
            stripped, filter=pikepdf.Name.DCTDecode, decode_parms=dct_parms if isinstance(dct_parms, pikepdf.Dictionary) else None
        )


_PIECE = 1024 * 1024
_FLATE = {"/FlateDecode", "/Fl"}
_SHRINKING = {"/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85"}
# Upper bounds of what one input byte can become, for filters we do not decode to measure.
_EXPANSION = {"/RunLengthDecode": 64, "/RL": 64, "/LZWDecode": 2731, "/LZW": 2731}
# Image codecs end the chain: their output is pixels for the reader, never decoded here.
_IMAGE_CODECS = {"/DCTDecode", "/DCT", "/JPXDecode", "/CCITTFaxDecode", "/CCF", "/JBIG2Decode", "/Crypt"}


class _Inflated(Exception):
    """A stream expands past the cap."""


def _filters(stream: Any) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(item) for item in value]
    return [str(value)]


def _inflate_count(data: bytes | memoryview, stages: int, cap: int) -> int:
    """Bytes that `stages` nested Flate layers expand to, counted piece by piece and never
    kept; raises _Inflated past `cap`. Damaged data counts as far as it decodes."""
    decoders = [zlib.decompressobj() for _ in range(stages)]
    total = 0

    def feed(level: int, chunk: bytes | memoryview) -> None:
        nonlocal total
        if level == stages:
            total += len(chunk)
            if total > cap:
                raise _Inflated
            return
        decoder = decoders[level]
        pending = chunk
        while True:
            out = decoder.decompress(pending, _PIECE)
            if out:
                feed(level + 1, out)
            pending = decoder.unconsumed_tail
            if not pending and len(out) < _PIECE:
                return

    try:
        for start in range(0, len(data), _PIECE):
            if decoders[0].eof:
                break  # the rest is whatever follows the stream in the file
            feed(0, data[start : start + _PIECE])
    except zlib.error:
        pass  # qpdf copies the raw bytes as they are; a reader gets no more out of them than we did
    return total


def _expanded_size(stream: Any, cap: int) -> int:
    """What a stream's filters expand it to, up to the first image codec; raises _Inflated past `cap`."""
    raw = bytes(stream.read_raw_bytes())
    data: bytes | None = raw
    size = len(raw)
    filters = _filters(stream)
    index = 0
    while index < len(filters):
        name = filters[index]
        if name in _IMAGE_CODECS:
            break
        if name in _FLATE:
            stages = 0
            while index < len(filters) and filters[index] in _FLATE:
                stages += 1
                index += 1
            if stages > 4 or data is None:
                raise _Inflated  # nested deeper than any writer does, or after a filter we cannot replay
            size = _inflate_count(data, stages, cap)
            data = None if index < len(filters) else data
            continue
        if name in _SHRINKING:
            data = _ascii_decoded(name, data) if data is not None else None
            if data is None:
                return size  # not decodable: a reader gets nothing out of it either
            size = len(data)
        elif name in _EXPANSION:
            size *= _EXPANSION[name]
            data = None
        index += 1
        if size > cap:
            raise _Inflated
    return size


def _ascii_decoded(name: str, data: bytes) -> bytes | None:
    """ASCIIHex and ASCII85 (they only ever shrink); None when the data does not decode."""
    text = bytes(b for b in data if b not in b" \t\r\n\f\x00")
    try:
        if name in ("/ASCIIHexDecode", "/AHx"):
            text = text.split(b">", 1)[0]
            return bytes.fromhex((text + b"0" * (len(text) % 2)).decode("ascii"))
        return base64.a85decode(text.split(b"~>", 1)[0])
    except ValueError:
        return None


def _compression_bomb(limit: int) -> FileRejected:
    return FileRejected(
        _(
            "This PDF contains compressed data that expands to more than %(limit)s MB: it cannot be accepted. "
            "Print it to a new PDF, or send the pages as photos."
        )
        % {"limit": _megabytes(limit, up=False)},
        code="inflated",
    )


_STREAM_KEYWORD = re.compile(rb"stream(?:\r\n|\n|\r)")


def _looks_like_zlib(head: bytes) -> bool:
    return len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0


def _prescan_pdf(data: bytes) -> None:
    """Measure every zlib stream in the raw file before qpdf reads it.

    qpdf decodes cross-reference and object streams whole while it opens a file, before
    any object can be looked at; so every stream that starts like zlib data is measured
    here (one or two nested layers), whatever its dictionary says.
    """
    total = 0
    for found in _STREAM_KEYWORD.finditer(data):
        start = found.end()
        if not _looks_like_zlib(data[start : start + 2]):
            continue
        body = memoryview(data)[start:]
        try:
            first = zlib.decompressobj().decompress(bytes(body[:4096]), 2)
        except zlib.error:
            continue
        stages = 2 if _looks_like_zlib(first) else 1
        try:
            size = _inflate_count(body, stages, PDF_MAX_INFLATED_STREAM)
        except _Inflated:
            raise _compression_bomb(PDF_MAX_INFLATED_STREAM) from None
        total += size
        if total > PDF_MAX_INFLATED_TOTAL:
            raise _compression_bomb(PDF_MAX_INFLATED_TOTAL)


def _check_expansion(pdf: Any) -> None:
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        try:
            size = _expanded_size(obj, PDF_MAX_INFLATED_STREAM)
        except _Inflated:
            raise _compression_bomb(PDF_MAX_INFLATED_STREAM) from None
        total += size
        if total > PDF_MAX_INFLATED_TOTAL:
            raise _compression_bomb(PDF_MAX_INFLATED_TOTAL)


# -- active content: actions and scripts --------------------------------------------------------

# Keys that make a reader act: open-actions, additional actions (document, page, annotation,
# form field), scripts, forms that post elsewhere, the base URI, XFA forms and embedded files.
_ACTIVE_KEYS = (
    "/OpenAction",
    "/AA",
    "/JS",
    "/JavaScript",
    "/URI",
    "/XFA",
    "/NeedsRendering",
    "/EmbeddedFiles",
    "/EF",
    "/RichMediaContent",
)
# Annotations that exist to play, launch or carry something.
_ACTIVE_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}


def _direct_children(obj: Any) -> list[Any]:
    values = list(obj) if isinstance(obj, pikepdf.Array) else [obj.get(key) for key in list(obj.keys())]
    return [v for v in values if isinstance(v, pikepdf.Dictionary | pikepdf.Array) and not v.is_indirect]


def _walk(obj: Any, visit: Callable[[Any], None], depth: int = 0) -> None:
    """`visit` every dictionary in `obj` and in the direct objects inside it (indirect ones are visited on their own)."""
    if depth > 64:
        raise FileRejected(_("This PDF is damaged and cannot be opened."), code="invalid")
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
        visit(obj)
    if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
        for child in _direct_children(obj):
            _walk(child, visit, depth + 1)


def _drop_actions(obj: Any) -> None:
    """Remove the keys that trigger actions and scripts; a jump inside the document stays as /Dest."""
    action = obj.get("/A")
    if action is not None:
        if isinstance(action, pikepdf.Dictionary) and action.get("/S") == pikepdf.Name.GoTo and "/D" in action:
            if "/Dest" not in obj:
                obj["/Dest"] = action["/D"]
        del obj["/A"]
    for key in _ACTIVE_KEYS:
        if key in obj:
            del obj[key]
    annots = obj.get("/Annots")
    if isinstance(annots, pikepdf.Array):
        keep = [a for a in annots if not (isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") in _ACTIVE_ANNOTATIONS)]
        if len(keep) != len(annots):
            obj["/Annots"] = pikepdf.Array(keep)


def _empty_action(obj: Any) -> None:
    """An action dictionary nothing points to any more is emptied (and not written at all)."""
    if obj.get("/Type") == pikepdf.Name.Action or _is_action(obj):
        for key in list(obj.keys()):
            del obj[key]


_ACTION_TYPES = {
    "/GoTo",
    "/GoToR",
    "/GoToE",
    "/Launch",
    "/Thread",
    "/URI",
    "/Sound",
    "/Movie",
    "/Hide",
    "/Named",
    "/SubmitForm",
    "/ResetForm",
    "/ImportData",
    "/JavaScript",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/GoTo3DView",
    "/RichMediaExecute",
}


def _is_action(obj: Any) -> bool:
    kind = obj.get("/S")
    return isinstance(kind, pikepdf.Name) and str(kind) in _ACTION_TYPES


def _remove_active_content(pdf: Any) -> None:
    objects = list(pdf.objects)
    # Two passes: a link's GoTo action must become its /Dest before actions are emptied.
    for visit in (_drop_actions, _empty_action):
        _walk(pdf.trailer, visit)
        for obj in objects:
            _walk(obj, visit)


def _clean_pdf(data: bytes) -> bytes:
    if not _HAVE_PIKEPDF:
        raise FileRejected(
            _("PDF files cannot be accepted on this server: the tool that removes their metadata is missing."), code="type"
        )
    _prescan_pdf(data)
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise FileRejected(
            _("This PDF is protected by a password. Remove the password and upload it again."), code="invalid"
        ) from None
    except pikepdf.PdfError as exc:
        raise FileRejected(_("This PDF is damaged and cannot be opened."), code="invalid") from exc
    with pdf:
        _check_expansion(pdf)
        if pdf.attachments:
            raise FileRejected(
                _("This PDF has files attached inside it. Upload each attached file on its own, and the PDF without them."),
                code="attachments",
            )
        # Document info (author, creator, producer, title, dates) lives in the trailer.
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                continue
            # XMP can hang off the catalog, any page, image or font; PieceInfo is private app data.
            for key in ("/Metadata", "/PieceInfo"):
                if key in obj:
                    del obj[key]
            if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image:
                _strip_embedded_jpeg(pdf, obj)
        # Opening the document in any reader must not run anything or reach another host.
        _remove_active_content(pdf)
        out = io.BytesIO()
        try:
            # A full rewrite drops earlier revisions (incremental updates keep old metadata) and
            # every object nothing points to any more; a deterministic /ID replaces the original
            # one, which could link back to the source file. Streams are copied as they are:
            # decoding and recompressing them would cost the server what a bomb expands to.
            pdf.save(
                out,
                preserve_pdfa=False,
                fix_metadata_version=False,
                deterministic_id=True,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
            )
        except pikepdf.PdfError as exc:
            raise FileRejected(_("This PDF is damaged and cannot be opened."), code="invalid") from exc
    return out.getvalue()


# -- text --------------------------------------------------------------------------------------


def _clean_text(data: bytes) -> bytes:
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRejected(
            _("This text file is not in UTF-8. Save it as UTF-8 (or as a PDF) and upload it again."), code="invalid"
        ) from None
    if not text:  # only a byte-order mark: nothing to store
        raise FileRejected(_("The file is empty."), code="empty")
    if _BINARY_CHARS.search(text):
        raise _not_accepted(_("unknown"))
    return text.encode("utf-8")


# -- entry point ----------------------------------------------------------------------------------


def _size_of(upload: IO[bytes] | UploadedFile[bytes]) -> int | None:
    size = getattr(upload, "size", None)
    if isinstance(size, int):
        return size
    try:
        here = upload.tell()
        end = upload.seek(0, io.SEEK_END)
        upload.seek(here)
    except (AttributeError, OSError, ValueError):
        return None  # a stream that cannot seek: the bounded read below still enforces the limit
    return int(end)


def _read(upload: IO[bytes] | UploadedFile[bytes]) -> bytes:
    limit = max_bytes()
    size = _size_of(upload)
    if isinstance(size, int) and size > limit:
        raise FileRejected(too_large_message(size), code="size")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if not isinstance(data, bytes):
        raise TypeError("uploads must be read as bytes")
    if len(data) > limit:
        raise FileRejected(too_large_message(size if isinstance(size, int) and size > limit else len(data)), code="size")
    if not data:
        raise FileRejected(_("The file is empty."), code="empty")
    return data


def sanitize(upload: IO[bytes] | UploadedFile[bytes], name: str | None = None) -> Sanitized:
    """Read, type by content, check the name agrees, and strip metadata. Raises FileRejected."""
    data = _read(upload)
    kind = _sniff(data)
    _check_extension(name if name is not None else str(getattr(upload, "name", "") or ""), kind)
    if kind is PDF:
        clean = _clean_pdf(data)
    elif kind is TEXT:
        clean = _clean_text(data)
    else:
        clean = _clean_image(data, kind)
    if len(clean) > max_bytes():
        # Re-encoding can grow a file (a heavily compressed JPEG saved at quality 92).
        raise FileRejected(too_large_message(len(clean)), code="size")
    return Sanitized(data=clean, content_type=kind.content_type, extension=kind.extension)
