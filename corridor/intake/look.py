"""The intake page's name and look as a person's browser sees and keeps it: the organisation's
name (or none), introduction, page title, favicon, logo and quick-exit link; and the logo's cleaning.

Read-only apart from `clean_logo`, which turns an upload into the bytes the look action stores.
Nothing here is secret: the public page reads it while the instance is sealed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.urls import reverse
from django.utils.translation import gettext as _
from PIL import Image

from corridor.cases.files import FileRejected, sanitize
from corridor.intake import conf
from corridor.intake.models import IntakeLook

LOGO_MAX_UPLOAD = 2 * 1024 * 1024  # what an admin may upload
LOGO_MAX_STORED = 256 * 1024  # what the page may serve, after re-encoding
LOGO_MAX_SIDE = 400  # pixels: a logo, not a photograph
LOGO_TYPE = "image/png"
# With no name, the browser's tab and history show no icon at all (and ask the server for none).
NEUTRAL_FAVICON = "data:,"


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str


def _in(texts: Mapping[str, Any] | None, lang: str) -> str:
    """The text in `lang` only: another language's name or title would be wrong on the page."""
    return str((texts or {}).get(lang) or "").strip()


def name(row: IntakeLook, lang: str) -> str:
    """The organisation's name in `lang`, or "" when the page names none."""
    if row.no_name:
        return ""
    return _in(row.name, lang) or _in(row.name, "en") or conf.organisation_name()


def title(row: IntakeLook, lang: str) -> str:
    """What the tab and the browser's history show: the chosen title, else the name, else a neutral one."""
    chosen = _in(row.page_title, lang)
    if chosen:
        return chosen
    return name(row, lang) or _("Write to us")


def context(row: IntakeLook, lang: str) -> dict[str, Any]:
    """Everything the public intake templates need of the look, in `lang`."""
    shown = name(row, lang)
    return {
        "intake_name": shown,
        "intake_title": title(row, lang),
        "intake_introduction": _in(row.introduction, lang),
        "intake_logo": bool(row.logo) and not row.no_name,
        "intake_favicon": NEUTRAL_FAVICON if row.no_name else "",
        "quick_exit_url": row.quick_exit_url or reverse("intake:leave"),
    }


def check_quick_exit(url: str) -> str:
    """An https address on another site, or "" for none. Raises ValidationError."""
    url = url.strip()
    if not url:
        return ""
    message = _("Enter a full address that starts with https://, such as https://www.example.org/.")
    URLValidator(schemes=["https"], message=message)(url)
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise ValidationError(message, code="invalid")
    return url


def clean_logo(upload: IO[bytes] | Any) -> Logo:
    """Metadata stripped (the documents' sanitiser), shrunk to LOGO_MAX_SIDE, re-encoded as PNG
    in a new image that carries nothing of the file but its pixels. Raises FileRejected."""
    size = int(getattr(upload, "size", 0) or 0)
    if size > LOGO_MAX_UPLOAD:
        raise FileRejected(_("The logo is larger than 2 MB. Choose a smaller image."), code="size")
    clean = sanitize(upload)
    if not clean.content_type.startswith("image/"):
        raise FileRejected(_("The logo must be a PNG, JPEG or WebP image."), code="type")
    with Image.open(io.BytesIO(clean.data)) as image:
        image.thumbnail((LOGO_MAX_SIDE, LOGO_MAX_SIDE))
        mode = "RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB"
        pixels = image.convert(mode)
    fresh = Image.new(mode, pixels.size)
    fresh.paste(pixels)
    out = io.BytesIO()
    fresh.save(out, "PNG", optimize=True)
    data = out.getvalue()
    if len(data) > LOGO_MAX_STORED:
        raise FileRejected(_("The logo is still too large after shrinking it. Choose a simpler image."), code="size")
    return Logo(data=data, content_type=LOGO_TYPE)
