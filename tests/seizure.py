"""The seizure test's tools (Invariant 1): secrets to plant, and a scan of every byte at rest
for them in every encoding a careless write could leave them in.

What is "at rest" is what a seizure yields: every file under DATA_DIR (the database with its
WAL, media, keys), the decoded sessions, on PostgreSQL a pg_dump, and the logs a test
captured. tests/test_seizure*.py plant through the real pages and API and scan with this.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from PIL import Image, TiffImagePlugin

from corridor.accounts.session_store import HashedSession

Secret = str | bytes


# -- what to plant -------------------------------------------------------------------------------


def token() -> str:
    """A random tag that makes each planted string unique to one run."""
    return secrets.token_hex(6)


def phone() -> tuple[str, str]:
    """A Russian mobile number as typed, and as its bare digits."""
    digits = "".join(secrets.choice("0123456789") for _ in range(7))
    typed = f"+7 928 {digits[:3]} {digits[3:5]} {digits[5:]}"
    return typed, "7928" + digits


def gps_seconds() -> int:
    """Arc-seconds x 10,000 that do not reduce (Pillow stores rationals in lowest terms)."""
    while True:
        value = secrets.randbelow(500_000) + 100_000
        if value % 2 and value % 5:
            return value


def gps_photo(artist: str, lat_seconds: int, lon_seconds: int) -> bytes:
    """A small JPEG whose EXIF names an artist and a position near Grozny."""
    image = Image.new("RGB", (48, 32), (120, 60, 30))
    exif = Image.Exif()
    exif[0x013B] = artist  # Artist
    exif[0x8825] = {
        1: "N",
        2: (TiffImagePlugin.IFDRational(43), TiffImagePlugin.IFDRational(18), TiffImagePlugin.IFDRational(lat_seconds, 10_000)),
        3: "E",
        4: (TiffImagePlugin.IFDRational(45), TiffImagePlugin.IFDRational(41), TiffImagePlugin.IFDRational(lon_seconds, 10_000)),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def rational(numerator: int, denominator: int) -> list[bytes]:
    """An EXIF RATIONAL as it sits in a file, in both byte orders."""
    return [numerator.to_bytes(4, order) + denominator.to_bytes(4, order) for order in ("big", "little")]


def gps_secrets(lat_seconds: int, lon_seconds: int) -> dict[str, bytes]:
    """The photo's position as needles: metadata stripping must leave none of them."""
    found = rational(lat_seconds, 10_000) + rational(lon_seconds, 10_000)
    return {f"GPS rational {index}": needle for index, needle in enumerate(found)}


def ok(response: Any, what: str) -> Any:
    assert response.status_code in (200, 201, 302), f"{what}: {response.status_code} {response.content[:2000]!r}"
    return response


def api_client(client: Client) -> tuple[Client, str]:
    """A token made on the security page by the user signed in on `client`, and a client using it."""
    page = ok(client.post(reverse("accounts:create_token"), {"name": "seizure"}), "token").content.decode()
    match = re.search(r'<code class="secret">([^<]+)</code>', page)
    assert match, "the token page shows the token once"
    value = match.group(1).strip()
    return Client(headers={"Authorization": f"Bearer {value}"}), value


# -- scanning --------------------------------------------------------------------------------------


def base64_needles(data: bytes) -> list[tuple[str, bytes]]:
    """The base64 of `data` wherever it starts in a stream: the characters that depend only on it."""
    found = []
    for shift in range(3):
        encoded = base64.b64encode(b"\x00" * shift + data)
        start = -(-shift * 4 // 3)  # characters that still carry bits of the padding before it
        end = (shift + len(data)) * 8 // 6  # characters fully determined by the data
        needle = encoded[start:end]
        found.append((f"base64+{shift}", needle))
        found.append((f"base64url+{shift}", needle.translate(bytes.maketrans(b"+/", b"-_"))))
    return found


def needles(value: Secret) -> list[tuple[str, bytes]]:
    """Every form in which `value` could sit at rest without being encrypted."""
    out: list[tuple[str, bytes]] = []
    if isinstance(value, bytes):
        out += [("raw", value), ("hex", value.hex().encode()), ("HEX", value.hex().upper().encode())]
        out += [("base32", base64.b32encode(value).rstrip(b"="))]
        out += base64_needles(value)
        return out
    forms_text = {"as typed": value, "lower case": value.lower(), "upper case": value.upper()}
    for case_name, text in forms_text.items():
        utf8 = text.encode("utf-8")
        forms = [
            ("utf-8", utf8),
            ("utf-16-le", text.encode("utf-16-le")),
            ("utf-16-be", text.encode("utf-16-be")),
            ("hex", binascii.hexlify(utf8)),
            ("json-escaped", json.dumps(text)[1:-1].encode("ascii")),
            ("url-encoded", urllib.parse.quote(text).encode("ascii")),
            ("url-encoded+", urllib.parse.quote_plus(text).encode("ascii")),
        ]
        forms += base64_needles(utf8)
        out += [(f"{name}, {case_name}", needle) for name, needle in forms]
    # Drop duplicates and needles too short to mean anything (an empty base64 slice).
    seen: dict[bytes, str] = {}
    for name, needle in out:
        if len(needle) >= 6:
            seen.setdefault(needle, name)
    return [(name, needle) for needle, name in seen.items()]


def files_at_rest(root: Path | None = None) -> Iterator[tuple[str, bytes]]:
    """Every regular file under DATA_DIR (database, its -wal/-shm, media, keys, logs)."""
    base = Path(root or settings.DATA_DIR)
    for path in sorted(base.rglob("*")):
        if path.is_file() and not path.is_symlink():
            try:
                yield str(path.relative_to(base)), path.read_bytes()
            except (PermissionError, FileNotFoundError):
                continue  # a file removed while walking (a WAL checkpointed away) is read on the next pass


def decoded_sessions() -> bytes:
    # Session rows are signed and maybe compressed; whoever holds DATA_DIR/secret_key reads them.
    # The engine's own table (SESSION_ENGINE), and Django's old one should anything still write it.
    stored = [*HashedSession.objects.all(), *Session.objects.all()]
    rows = [json.dumps(session.get_decoded(), ensure_ascii=False, default=str) for session in stored]
    return "\n".join(rows).encode()


def pg_dump() -> bytes:
    """A plain-text dump of the current (test) database, when it is PostgreSQL."""
    conf = connection.settings_dict
    executable = shutil.which("pg_dump")
    assert executable, "pg_dump is missing: install the postgresql-client package"
    command = [executable, "--no-owner", "--no-privileges", "--dbname", conf["NAME"]]
    if conf.get("HOST"):
        command += ["--host", str(conf["HOST"])]
    if conf.get("PORT"):
        command += ["--port", str(conf["PORT"])]
    if conf.get("USER"):
        command += ["--username", str(conf["USER"])]
    env = {**os.environ, "PGPASSWORD": str(conf.get("PASSWORD") or "")}
    result = subprocess.run(command, capture_output=True, env=env, timeout=300, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout


def sources_at_rest(extra: Mapping[str, bytes] | None = None) -> list[tuple[str, bytes]]:
    """Everything a seizure yields: files (read with connections open and again after closing),
    decoded sessions, pg_dump on PostgreSQL, and whatever the caller captured (logs)."""
    sources = [(f"open: {name}", data) for name, data in files_at_rest()]
    sources.append(("decoded sessions", decoded_sessions()))
    if connection.vendor == "postgresql":
        sources.append(("pg_dump", pg_dump()))
    # Closing the last SQLite connection checkpoints the WAL into the database file: read again.
    connections.close_all()
    sources += [(f"closed: {name}", data) for name, data in files_at_rest()]
    sources += list((extra or {}).items())
    return sources


def scan_at_rest(planted: Mapping[str, Secret] | Iterable[Secret], extra: Mapping[str, bytes] | None = None) -> list[str]:
    """Where any secret is found at rest, one line per finding; an empty list means none."""
    return scan_sources(planted, sources_at_rest(extra))


def scan_sources(planted: Mapping[str, Secret] | Iterable[Secret], sources: list[tuple[str, bytes]]) -> list[str]:
    """Like scan_at_rest, over sources read earlier (one read serves several scans)."""
    items = list(planted.items()) if isinstance(planted, Mapping) else [(repr(v), v) for v in planted]
    findings = []
    for label, value in items:
        for form, needle in needles(value):
            for source, data in sources:
                if needle in data:
                    findings.append(f"{label} ({form}) in {source}")
    return findings


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Every log record at DEBUG and above, SQL with its parameters included."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    # Django's own defaults hold "django" at INFO, which would silently drop every query.
    # Loggers the deployment settles in settings.LOGGING (PIL at INFO) keep their level.
    lowered = [logging.getLogger(name) for name in ("", "django", "django.db.backends")]
    old_levels = [logger.level for logger in lowered]
    for logger in lowered:
        logger.setLevel(logging.DEBUG)
    debug_cursors = {alias: connections[alias].force_debug_cursor for alias in connections}
    for alias in connections:
        connections[alias].force_debug_cursor = True  # django.db.backends logs each query and its params
    try:
        yield stream
    finally:
        for alias, old in debug_cursors.items():
            connections[alias].force_debug_cursor = old
        root.removeHandler(handler)
        for logger, level in zip(lowered, old_levels, strict=True):
            logger.setLevel(level)
