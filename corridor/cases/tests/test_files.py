"""Metadata stripping and typing by content (Invariant 9), without the database or the web."""

from __future__ import annotations

import io

import pikepdf
import pytest
from django.test import override_settings
from PIL import Image, PngImagePlugin

from corridor.cases import files

# Real coordinates (Grozny), as a phone would write them: degrees, minutes, seconds.
GPS = {1: "N", 2: (43.0, 19.0, 3.5), 3: "E", 4: (45.0, 41.0, 39.25), 5: 0, 6: 140.0}
ARTIST = "Planted-Artist-7f3a"


def named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def jpeg_with_gps(*, orientation: int = 1, size: tuple[int, int] = (60, 30)) -> bytes:
    """Left half red, right half blue, so rotation is visible in the pixels."""
    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (size[0] // 2, 0, size[0], size[1]))
    exif = Image.Exif()
    exif[0x013B] = ARTIST  # Artist
    exif[0x010F] = "PlantedCamera"  # Make
    exif[0x0112] = orientation
    exif[0x8825] = GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95, comment=b"Planted-Comment", xmp=b"<x:xmpmeta>Planted-XMP</x:xmpmeta>")
    return out.getvalue()


def _rational_bytes() -> list[bytes]:
    # How the GPS values sit in the EXIF block: big- or little-endian unsigned rationals.
    needles = []
    for number, denominator in ((43, 1), (19, 1), (45, 1), (41, 1), (7, 2), (157, 4)):
        for order in ("big", "little"):
            needles.append(number.to_bytes(4, order) + denominator.to_bytes(4, order))
    return needles


def test_a_jpeg_loses_gps_exif_xmp_and_comments_and_stays_viewable() -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)[2] == (43.0, 19.0, 3.5)  # the fixture really has GPS
    assert ARTIST.encode() in original

    result = files.sanitize(named(original, "IMG_0001.JPG"))

    assert (result.content_type, result.extension) == ("image/jpeg", ".jpg")
    image = Image.open(io.BytesIO(result.data))
    assert image.format == "JPEG"
    assert image.size == (60, 30)
    assert dict(image.getexif()) == {}
    assert image.getexif().get_ifd(0x8825) == {}
    assert (
        sorted(
            k for k in image.info if k not in ("jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive", "progression")
        )
        == []
    )
    for planted in (
        ARTIST.encode(),
        b"PlantedCamera",
        b"Planted-Comment",
        b"Planted-XMP",
        b"Exif\x00\x00",
        b"http://ns.adobe.com/xap",
    ):
        assert planted not in result.data
    assert [needle for needle in _rational_bytes() if needle in result.data] == []
    red, blue = image.convert("RGB").getpixel((5, 15)), image.convert("RGB").getpixel((55, 15))
    assert red[0] > 200 and red[2] < 60 and blue[2] > 200 and blue[0] < 60


def test_orientation_is_applied_before_the_exif_is_dropped() -> None:
    # Orientation 6: the camera was turned; viewers rotate 90° clockwise. Without applying
    # it the stored picture would lie on its side once the EXIF is gone.
    result = files.sanitize(named(jpeg_with_gps(orientation=6), "photo.jpg"))
    image = Image.open(io.BytesIO(result.data)).convert("RGB")
    assert image.size == (30, 60)
    top, bottom = image.getpixel((15, 5)), image.getpixel((15, 55))
    assert top[0] > 200 and top[2] < 60  # red (was the left half) is now on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_png_text_chunks_and_exif_are_removed() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Planted-PNG-Author")
    info.add_itxt("Description", "Заурбек planted", lang="ru")
    info.add_text("GPS", "43.3167,45.6942", zip=True)
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x8825] = GPS
    Image.new("RGBA", (20, 20), (10, 200, 30, 128)).save(out, "PNG", pnginfo=info, exif=exif)
    original = out.getvalue()
    assert b"tEXt" in original and b"iTXt" in original and b"eXIf" in original

    result = files.sanitize(named(original, "screen.png"))

    assert result.content_type == "image/png"
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP", b"Planted"):
        assert chunk not in result.data
    image = Image.open(io.BytesIO(result.data))
    assert (image.mode, image.size, image.getpixel((3, 3))) == ("RGBA", (20, 20), (10, 200, 30, 128))
    assert image.text == {}


def test_webp_exif_is_removed() -> None:
    exif = Image.Exif()
    exif[0x013B] = ARTIST
    exif[0x8825] = GPS
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 128, 0)).save(out, "WEBP", exif=exif, lossless=True)
    assert ARTIST.encode() in out.getvalue()
    result = files.sanitize(named(out.getvalue(), "a.webp"))
    assert (result.content_type, ARTIST.encode() in result.data, b"EXIF" in result.data) == ("image/webp", False, False)
    assert dict(Image.open(io.BytesIO(result.data)).getexif()) == {}


def pdf_with_metadata() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = ["Planted-XMP-Author"]
    # After the XMP block, so its sync does not overwrite these.
    pdf.docinfo["/Author"] = "Planted-Author"
    pdf.docinfo["/Creator"] = "Planted-Creator"
    pdf.docinfo["/Producer"] = "Planted-Producer"
    pdf.docinfo["/Title"] = "Planted-Title Заурбек"
    # A camera photo with GPS placed on the page as a raw JPEG stream, as scanning apps do.
    image = pikepdf.Stream(pdf, jpeg_with_gps())
    image["/Type"] = pikepdf.Name.XObject
    image["/Subtype"] = pikepdf.Name.Image
    image["/Width"], image["/Height"] = 60, 30
    image["/ColorSpace"] = pikepdf.Name.DeviceRGB
    image["/BitsPerComponent"] = 8
    image["/Filter"] = pikepdf.Name.DCTDecode
    page = pdf.pages[0]
    page.add_resource(image, pikepdf.Name.XObject, pikepdf.Name.Im0)
    page.contents_add(pikepdf.Stream(pdf, b"q 60 0 0 30 10 10 cm /Im0 Do Q"))
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


def test_pdf_document_info_xmp_and_embedded_photo_exif_are_removed() -> None:
    original = pdf_with_metadata()
    assert b"Planted-Author" in original and b"Planted-XMP-Author" in original and ARTIST.encode() in original

    result = files.sanitize(named(original, "testimony.pdf"))

    assert (result.content_type, result.extension) == ("application/pdf", ".pdf")
    for planted in (b"Planted", ARTIST.encode(), b"PlantedCamera", b"xmpmeta", b"pikepdf"):
        assert planted not in result.data
    with pikepdf.open(io.BytesIO(result.data)) as cleaned:
        assert "/Info" not in cleaned.trailer
        assert "/Metadata" not in cleaned.Root
        assert len(cleaned.pages) == 1
        (photo,) = [
            obj for obj in cleaned.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image
        ]
        embedded = Image.open(io.BytesIO(photo.read_raw_bytes()))
        assert (embedded.size, dict(embedded.getexif())) == ((60, 30), {})


def test_encrypted_pdf_is_refused_with_a_reason() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="o", user="secret"))
    with pytest.raises(files.FileRejected) as caught:
        files.sanitize(named(out.getvalue(), "locked.pdf"))
    assert caught.value.messages == ["This PDF is protected by a password. Remove the password and upload it again."]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64,
            "holiday.jpg",
            "This file type is not accepted: a Windows program. Upload a photo (JPEG, PNG or WebP), a PDF or a plain text file.",
        ),
        (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
            "photo.jpg",
            "This file is a PDF, but its name ends in “.jpg”. Choose the right file, or rename it and upload it again.",
        ),
        (
            b"\xff\xd8\xff\xe0\x00\x10JFIF",
            "report.pdf",
            "This file is a JPEG image, but its name ends in “.pdf”. Choose the right file, or rename it and upload it again.",
        ),
        (
            b"plain words\n",
            "scan.png",
            "This file is a text file, but its name ends in “.png”. Choose the right file, or rename it and upload it again.",
        ),
        (
            b"GIF89a\x01\x00\x01\x00",
            "a.gif",
            "This file type is not accepted: a GIF image. Upload a photo (JPEG, PNG or WebP), a PDF or a plain text file.",
        ),
        (
            b"\x00\x01\x02\x03binary",
            "notes.txt",
            "This file type is not accepted: unknown. Upload a photo (JPEG, PNG or WebP), a PDF or a plain text file.",
        ),
        (
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
            "IMG_1.HEIC",
            "HEIC and AVIF photos are not accepted yet. On an iPhone choose Settings → Camera → Formats → Most Compatible, or send the photo as JPEG.",
        ),
        (
            b"\xcf\xe8\xf1\xfc\xec\xee",
            "letter.txt",
            "This text file is not in UTF-8. Save it as UTF-8 (or as a PDF) and upload it again.",
        ),
        (b"", "empty.txt", "The file is empty."),
    ],
)
def test_files_are_typed_by_content_and_lying_names_are_refused(data: bytes, name: str, message: str) -> None:
    with pytest.raises(files.FileRejected) as caught:
        files.sanitize(named(data, name))
    assert caught.value.messages == [message]


def test_a_damaged_jpeg_gets_a_clear_error() -> None:
    with pytest.raises(files.FileRejected) as caught:
        files.sanitize(named(jpeg_with_gps()[:200], "cut.jpg"))
    assert caught.value.messages == ["This file looks like a JPEG image but is damaged and cannot be opened."]


def test_text_is_kept_as_utf8_and_a_name_without_extension_is_typed_by_content() -> None:
    text = "Показания: 12 марта, подвал.\nTestimony line two.\n"
    assert files.sanitize(named(text.encode("utf-16"), "testimony")) == files.Sanitized(
        text.encode("utf-8"), "text/plain; charset=utf-8", ".txt"
    )
    assert files.sanitize(named(text.encode("utf-8"), "testimony.TXT")).data == text.encode("utf-8")


def test_a_picture_with_too_many_pixels_is_refused_before_decoding() -> None:
    out = io.BytesIO()
    Image.new("1", (10_000, 8_000)).save(out, "PNG")  # 80 megapixels in a few kilobytes
    assert len(out.getvalue()) < 200_000
    with pytest.raises(files.FileRejected) as caught:
        files.sanitize(named(out.getvalue(), "bomb.png"))
    assert caught.value.messages == ["The picture is 80 megapixels; the limit is 64."]


def test_pillows_own_bomb_guard_is_turned_into_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with override_settings(DOCUMENT_MAX_PIXELS=10**9), pytest.raises(files.FileRejected) as caught:
        files.sanitize(named(jpeg_with_gps(), "a.jpg"))
    assert caught.value.messages == ["The picture is too large to open safely."]


@override_settings(DOCUMENT_MAX_BYTES=1024 * 1024)
def test_size_limit_message_names_both_sizes() -> None:
    with pytest.raises(files.FileRejected) as caught:
        files.sanitize(named(b"a" * (3 * 1024 * 1024 + 5), "big.txt"))
    assert caught.value.messages == ["The file is 4 MB; the limit is 1 MB."]


def test_jpeg_segment_stripper_keeps_the_image_and_drops_app_segments() -> None:
    original = jpeg_with_gps()
    stripped = files.strip_jpeg_segments(original)
    assert ARTIST.encode() not in stripped and b"Planted-Comment" not in stripped and b"Planted-XMP" not in stripped
    assert Image.open(io.BytesIO(stripped)).convert("RGB").tobytes() == Image.open(io.BytesIO(original)).convert("RGB").tobytes()
    assert files.strip_jpeg_segments(b"not a jpeg") == b"not a jpeg"
