"""The seizure test (Invariant 1): plant known secrets through the real pages and API as
signed-in staff, then search every byte at rest for them — the database with its WAL, the
media folder, everything else under DATA_DIR, the decoded sessions, the captured logs and,
on PostgreSQL, a pg_dump — in UTF-8, UTF-16, base64, hex, JSON escapes, lower and upper case.

`plant()` and `scan_at_rest()` are meant to be reused: the intake test plants its own
secrets and scans with the same function.
"""

from __future__ import annotations

import base64
import binascii
import datetime
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from PIL import Image, TiffImagePlugin

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff, sign_in
from corridor.cases.models import Case, Document, Person, SafeHouse

pytestmark = [pytest.mark.django_db(transaction=True)]

Secret = str | bytes


# -- planting ------------------------------------------------------------------------------------


@dataclass
class Planted:
    """What was planted: `secrets` must never be found at rest; `shown` must be on the pages."""

    token: str
    secrets: dict[str, Secret]
    # Secrets that are removed on purpose (EXIF) and so are not on any page either.
    stripped: set[str] = field(default_factory=set)
    pages: dict[str, str] = field(default_factory=dict)
    case: Case | None = None
    person: Person | None = None


def _token() -> str:
    return secrets.token_hex(6)


def _phone() -> tuple[str, str]:
    digits = "".join(secrets.choice("0123456789") for _ in range(7))
    typed = f"+7 928 {digits[:3]} {digits[3:5]} {digits[5:]}"
    return typed, "7928" + digits


def _seconds() -> int:
    """Arc-seconds x 10,000 that do not reduce (Pillow stores rationals in lowest terms)."""
    while True:
        value = secrets.randbelow(500_000) + 100_000
        if value % 2 and value % 5:
            return value


def _gps_photo(artist: str, lat_seconds: int, lon_seconds: int) -> bytes:
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


def _rational(numerator: int, denominator: int) -> list[bytes]:
    return [numerator.to_bytes(4, order) + denominator.to_bytes(4, order) for order in ("big", "little")]  # type: ignore[arg-type]


def _ok(response: Any, what: str) -> Any:
    assert response.status_code in (200, 201, 302), f"{what}: {response.status_code} {response.content[:2000]!r}"
    return response


def _case_id_from(response: Any) -> str:
    match = re.search(r"/cases/([0-9a-f-]{36})/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def plant(client: Client, user: User, team: Team) -> Planted:
    """Plant one of everything sensitive through the real web paths (and the API), as `user`.

    `user` must be a caseworker in `team`, signed in on `client` (with a recent
    authentication, for the authenticator and token pages).
    """
    t = _token()
    phone, phone_digits = _phone()
    lat_s, lon_s = _seconds(), _seconds()
    planted = Planted(
        token=t,
        secrets={
            "name (Cyrillic)": f"Заурбек-{t}",
            "name (Latin)": f"Zaurbek-{t}",
            "phone": phone,
            "phone (digits)": phone_digits,
            "contact note": f"Сестра-{t}",
            "location": f"Локация-{t}, ул. Победы 12",
            "gender identity": f"Gender-{t}",
            "case summary": f"Summary-{t} бежал из Аргуна",
            "note": f"Заметка-{t} видели у блокпоста",
            "task": f"Task-{t} купить билеты",
            "risk override reason": f"Override-{t} брат служит в полиции",
            "consent partner": f"Partner-{t} e.V.",
            "safe-house address": f"Адрес-{t}, Назрань",
            "safe-house notes": f"Housenote-{t} ключ у соседки",
            "testimony": f"Показания-{t}: держали в подвале три дня",
            "testimony file name": f"Testimony-{t}.txt",
            "photo file name": f"Photo-{t}.jpg",
            "photo description": f"Описание-{t} синяки",
            "EXIF artist": f"Artist-{t}",
        },
    )
    for index, needle in enumerate(_rational(lat_s, 10_000) + _rational(lon_s, 10_000)):
        planted.secrets[f"GPS rational {index}"] = needle
    planted.stripped = {"EXIF artist", *(k for k in planted.secrets if k.startswith("GPS"))}
    s = planted.secrets
    today = timezone.localdate().isoformat()

    # A person and their case, through the new-person page.
    response = _ok(
        client.post(
            reverse("cases:person_new"),
            {
                "name_0": s["name (Cyrillic)"],
                "name_kind_0": "legal",
                "name_1": s["name (Latin)"],
                "name_kind_1": "transliteration",
                "birth_precision": "exact",
                "birth_date": "1993-04-17",
                "documents_held": "internal",
                "contact_kind_0": "phone",
                "contact_value_0": s["phone"],
                "contact_note_0": s["contact note"],
                "location": s["location"],
                "languages": "Russian, Chechen",
                "gender_identity": s["gender identity"],
                "team": str(team.pk),
                "priority": "normal",
                "summary": s["case summary"],
            },
        ),
        "new person",
    )
    case = Case.objects.get(pk=_case_id_from(response))
    person = case.members.get().person
    planted.case, planted.person = case, person

    _ok(client.post(reverse("cases:case_note", args=[case.pk]), {"body": s["note"]}), "note")
    _ok(client.post(reverse("cases:case_task", args=[case.pk]), {"title": s["task"]}), "task")
    _ok(
        client.post(
            reverse("cases:risk", args=[case.pk]),
            {"factors": ["health"], "priority": "emergency", "override_reason": s["risk override reason"]},
        ),
        "risk",
    )
    _ok(
        client.post(
            reverse("cases:consent", args=[case.pk]),
            {"person": str(person.pk), "scope": "share", "given": today, "partner": s["consent partner"]},
        ),
        "consent",
    )
    response = _ok(
        client.post(
            reverse("cases:safe_house_new"),
            {
                "team": str(team.pk),
                "label": f"Blue door {t}",
                "address": s["safe-house address"],
                "capacity": "4",
                "notes": s["safe-house notes"],
            },
        ),
        "safe house",
    )
    house = SafeHouse.objects.get(label=f"Blue door {t}")
    _ok(
        client.post(
            reverse("cases:placements", args=[case.pk]), {"person": str(person.pk), "safe_house": str(house.pk), "start": today}
        ),
        "placement",
    )

    # Documents: a testimony as text and a photo with GPS and an artist in its EXIF.
    testimony = SimpleUploadedFile(s["testimony file name"], s["testimony"].encode(), content_type="text/plain")
    _ok(client.post(reverse("cases:documents", args=[case.pk]), {"file": testimony, "kind": "testimony"}), "testimony")
    photo_bytes = _gps_photo(str(s["EXIF artist"]), lat_s, lon_s)
    assert str(s["EXIF artist"]).encode() in photo_bytes and _rational(lat_s, 10_000)[0] in photo_bytes  # planted for real
    photo = SimpleUploadedFile(str(s["photo file name"]), photo_bytes, content_type="image/jpeg")
    _ok(
        client.post(
            reverse("cases:documents", args=[case.pk]),
            {"file": photo, "kind": "photo", "person": str(person.pk), "description": s["photo description"]},
        ),
        "photo",
    )

    # A second authenticator for the user, through the set-up page: its seed is a secret.
    page = _ok(client.get(reverse("accounts:setup_totp")), "authenticator page").content.decode()
    seed_b32 = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert seed_b32, "the set-up page shows the key to type"
    seed_text = seed_b32.group(1).replace(" ", "")
    seed = base64.b32decode(seed_text + "=" * (-len(seed_text) % 8))
    totp = TOTP(seed, step=30, digits=6)
    _ok(client.post(reverse("accounts:setup_totp"), {"code": str(totp.token()).zfill(6)}), "authenticator confirm")
    s["TOTP seed (base32)"] = seed_text
    s["TOTP seed (raw)"] = seed
    planted.pages["authenticator set-up"] = page

    _plant_through_api(client, planted, team)

    # Search by name: the query travels in a URL, which must not end up in any log.
    found = _ok(client.get(reverse("cases:people"), {"q": s["name (Latin)"]}), "search").content.decode()
    assert person.codename in found
    return planted


def _plant_through_api(client: Client, planted: Planted, team: Team) -> None:
    """The same kinds of data through /api/v1/, with a token made on the security page."""
    t, s = planted.token, planted.secrets
    page = _ok(client.post(reverse("accounts:create_token"), {"name": "seizure"}), "token").content.decode()
    match = re.search(r'<code class="secret">([^<]+)</code>', page)
    assert match, "the token page shows the token once"
    s["API token"] = match.group(1).strip()
    api = Client(headers={"Authorization": f"Bearer {s['API token']}"})
    s["API name (Cyrillic)"] = f"Апиимя-{t}"
    s["API name (Latin)"] = f"Apiname-{t}"
    s["API location"] = f"Apilocation-{t} Малгобек"
    s["API case summary"] = f"Apisummary-{t}"
    s["API note"] = f"Apinote-{t} звонил в 3 ночи"
    person = _ok(
        api.post(
            "/api/v1/people/",
            {
                "names": [
                    {"name": s["API name (Cyrillic)"], "kind": "legal"},
                    {"name": s["API name (Latin)"], "kind": "transliteration"},
                ],
                "location": s["API location"],
                "confirm_not_duplicate": True,
            },
            content_type="application/json",
        ),
        "API person",
    ).json()
    case = _ok(
        api.post(
            "/api/v1/cases/",
            {"principal": person["id"], "team": team.pk, "summary": s["API case summary"]},
            content_type="application/json",
        ),
        "API case",
    ).json()
    _ok(api.post(f"/api/v1/cases/{case['id']}/notes/", {"body": s["API note"]}, content_type="application/json"), "API note")
    planted.pages["API person"] = _ok(api.get(f"/api/v1/people/{person['id']}/"), "API person read").content.decode()
    planted.pages["API case"] = _ok(api.get(f"/api/v1/cases/{case['id']}/"), "API case read").content.decode()
    planted.pages["API notes"] = _ok(api.get(f"/api/v1/cases/{case['id']}/notes/"), "API notes read").content.decode()


def render_pages(client: Client, planted: Planted) -> dict[str, str]:
    """Every page that shows what was planted, as the signed-in staff member sees it."""
    case, person = planted.case, planted.person
    assert case is not None and person is not None
    pages = dict(planted.pages)
    urls = {
        "person": reverse("cases:person", args=[person.pk]),
        "case": reverse("cases:case", args=[case.pk]),
        "risk": reverse("cases:risk", args=[case.pk]),
        "consent": reverse("cases:consent", args=[case.pk]),
        "documents": reverse("cases:documents", args=[case.pk]),
    }
    for house in SafeHouse.objects.filter(label__endswith=planted.token):
        urls["safe house"] = reverse("cases:safe_house", args=[house.pk])
    for document in Document.objects.filter(case=case):
        urls[f"document {document.kind}"] = reverse("cases:document", args=[document.pk])
        urls[f"document file {document.kind}"] = reverse("cases:document_file", args=[document.pk])
    for name, url in urls.items():
        response = _ok(client.get(url), name)
        body = response.content
        if response["Content-Type"].startswith("image/"):
            # The served photo, decoded: it must be the upright picture with no EXIF at all.
            image = Image.open(io.BytesIO(body))
            assert (image.size, dict(image.getexif())) == ((48, 32), {})
            pages[name] = ""
            continue
        pages[name] = body.decode()
        if "Content-Disposition" in response:
            pages[name] += urllib.parse.unquote(response["Content-Disposition"])
    return pages


# -- scanning --------------------------------------------------------------------------------------


def _base64_needles(data: bytes) -> list[tuple[str, bytes]]:
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
        out += _base64_needles(value)
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
        forms += _base64_needles(utf8)
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


def _decoded_sessions() -> bytes:
    # Session rows are signed and maybe compressed; whoever holds DATA_DIR/secret_key reads them.
    rows = [json.dumps(session.get_decoded(), ensure_ascii=False, default=str) for session in Session.objects.all()]
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
    sources.append(("decoded sessions", _decoded_sessions()))
    if connection.vendor == "postgresql":
        sources.append(("pg_dump", pg_dump()))
    # Closing the last SQLite connection checkpoints the WAL into the database file: read again.
    connections.close_all()
    sources += [(f"closed: {name}", data) for name, data in files_at_rest()]
    sources += list((extra or {}).items())
    return sources


def scan_at_rest(planted: Mapping[str, Secret] | Iterable[Secret], extra: Mapping[str, bytes] | None = None) -> list[str]:
    """Where any secret is found at rest, one line per finding; an empty list means none."""
    items = list(planted.items()) if isinstance(planted, Mapping) else [(repr(v), v) for v in planted]
    sources = sources_at_rest(extra)
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
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    debug_cursors = {alias: connections[alias].force_debug_cursor for alias in connections}
    for alias in connections:
        connections[alias].force_debug_cursor = True  # django.db.backends logs each query and its params
    try:
        yield stream
    finally:
        for alias, old in debug_cursors.items():
            connections[alias].force_debug_cursor = old
        root.removeHandler(handler)
        root.setLevel(old_level)


# -- the tests ---------------------------------------------------------------------------------------


@pytest.fixture
def staff() -> tuple[Client, User, Team]:
    team = Team.objects.create(name="North Caucasus")
    user = make_staff(Role.CASEWORKER, teams=[team], username="seizure-caseworker")
    return sign_in(Client(), user), user, team


def test_nothing_planted_through_pages_and_api_is_at_rest_in_clear(staff: tuple[Client, User, Team]) -> None:
    client, user, team = staff
    with captured_logs() as logs:
        planted = plant(client, user, team)
        pages = render_pages(client, planted)

    # The plant was real: every secret that is meant to be shown is on a page for the staff member.
    shown = "\n".join(pages.values())
    missing = [
        label
        for label, value in planted.secrets.items()
        # The TOTP seed was read off its set-up page (grouped in fours) and the token off its own page.
        if label not in planted.stripped | {"phone (digits)", "TOTP seed (base32)", "API token"}
        and not isinstance(value, bytes)
        and value not in shown
    ]
    assert missing == []
    assert len(logs.getvalue()) > 10_000, "the log capture saw the SQL of the whole run"
    db_file = Path(connection.settings_dict["NAME"]) if connection.vendor == "sqlite" else None

    findings = scan_at_rest(planted.secrets, extra={"captured logs": logs.getvalue().encode()})

    assert findings == []
    if db_file is not None:
        assert db_file.is_relative_to(settings.DATA_DIR) and db_file.stat().st_size > 100_000


def test_the_scanner_finds_what_is_stored_in_clear(staff: tuple[Client, User, Team]) -> None:
    """Negative control: a team name is not encrypted, so the scan must find it in the database."""
    t = _token()
    name = f"Clearteam-{t}"
    Team.objects.create(name=name)
    findings = scan_at_rest({"team name": name})
    expected = "pg_dump" if connection.vendor == "postgresql" else "test.sqlite3"
    assert any(f.startswith("team name (utf-8, as typed) in ") and expected in f for f in findings), findings


def test_the_scanner_sees_every_encoding_it_claims(staff: tuple[Client, User, Team]) -> None:
    """Negative control for the encodings: each form planted in a file under DATA_DIR is found."""
    t = _token()
    probes = {
        "utf-16-le, as typed": f"Заурбек-{t}a".encode("utf-16-le"),
        "utf-16-be, upper case": f"Заурбек-{t}b".upper().encode("utf-16-be"),
        "base64+2, as typed": base64.b64encode(b"xy" + f"Zaurbek-{t}c".encode()),
        "base64+1, as typed": base64.b64encode(b"x" + f"Zaurbek-{t}d".encode()),
        "json-escaped, lower case": json.dumps(f"Заурбек-{t}e".lower()).encode(),
        "hex, as typed": f"Zaurbek-{t}f".encode().hex().encode(),
    }
    secrets_by_probe = {form: f"{'Заурбек' if i in (0, 1, 4) else 'Zaurbek'}-{t}{'abcdef'[i]}" for i, form in enumerate(probes)}
    path = Path(settings.DATA_DIR) / "media" / f"control-{t}.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00".join(probes.values()))
    try:
        findings = scan_at_rest({form: secret for form, secret in secrets_by_probe.items()})
    finally:
        path.unlink()
    for form in probes:
        assert f"{form} ({form}) in open: media/control-{t}.bin" in findings, (form, findings)
    raw = secrets.token_bytes(20)
    logs = {"captured logs": b"seed=" + base64.b32encode(raw)}
    assert "seed (base32) in captured logs" in scan_at_rest({"seed": raw}, extra=logs)


def test_planted_dates_are_not_in_clear_either(staff: tuple[Client, User, Team]) -> None:
    """The date of birth is encrypted: a distinctive one typed on the page is not at rest."""
    client, user, team = staff
    birth = datetime.date(1961, 11, 29)
    _ok(
        client.post(
            reverse("cases:person_new"),
            {
                "name_0": f"Ильяс-{_token()}",
                "name_kind_0": "legal",
                "birth_precision": "exact",
                "birth_date": birth.isoformat(),
                "documents_held": "none",
                "team": str(team.pk),
                "priority": "normal",
            },
        ),
        "new person",
    )
    assert scan_at_rest({"birth date": birth.isoformat(), "birth date (dotted)": birth.strftime("%d.%m.%Y")}) == []
