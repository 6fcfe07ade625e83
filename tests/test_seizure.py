"""The seizure test (Invariant 1): plant known secrets through the real pages and API as
signed-in staff, then search every byte at rest for them — the database with its WAL, the
media folder, everything else under DATA_DIR, the decoded sessions, the captured logs and,
on PostgreSQL, a pg_dump — in UTF-8, UTF-16, base64, hex, JSON escapes, lower and upper case.

The scanner lives in tests/seizure.py; the intake and relocation apps have their own
seizure tests (test_seizure_intake.py, test_seizure_relocation.py) that use it.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from PIL import Image

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff, sign_in
from corridor.cases.models import Case, Document, Person, SafeHouse
from tests.seizure import (
    Secret,
    api_client,
    captured_logs,
    gps_photo,
    gps_seconds,
    ok,
    phone,
    rational,
    scan_at_rest,
    token,
)

pytestmark = [pytest.mark.django_db(transaction=True)]


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


def _case_id_from(response: Any) -> str:
    match = re.search(r"/cases/([0-9a-f-]{36})/", response["Location"])
    assert match, response["Location"]
    return match.group(1)


def plant(client: Client, user: User, team: Team) -> Planted:
    """Plant one of everything sensitive through the real web paths (and the API), as `user`.

    `user` must be a caseworker in `team`, signed in on `client` (with a recent
    authentication, for the authenticator and token pages).
    """
    t = token()
    typed_phone, phone_digits = phone()
    lat_s, lon_s = gps_seconds(), gps_seconds()
    planted = Planted(
        token=t,
        secrets={
            "name (Cyrillic)": f"Заурбек-{t}",
            "name (Latin)": f"Zaurbek-{t}",
            "phone": typed_phone,
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
    for index, needle in enumerate(rational(lat_s, 10_000) + rational(lon_s, 10_000)):
        planted.secrets[f"GPS rational {index}"] = needle
    planted.stripped = {"EXIF artist", *(k for k in planted.secrets if k.startswith("GPS"))}
    s = planted.secrets
    today = timezone.localdate().isoformat()

    # A person and their case, through the new-person page.
    response = ok(
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

    ok(client.post(reverse("cases:case_note", args=[case.pk]), {"body": s["note"]}), "note")
    ok(client.post(reverse("cases:case_task", args=[case.pk]), {"title": s["task"]}), "task")
    ok(
        client.post(
            reverse("cases:risk", args=[case.pk]),
            {"factors": ["health"], "priority": "emergency", "override_reason": s["risk override reason"]},
        ),
        "risk",
    )
    ok(
        client.post(
            reverse("cases:consent", args=[case.pk]),
            {"person": str(person.pk), "scope": "share", "given": today, "partner": s["consent partner"]},
        ),
        "consent",
    )
    response = ok(
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
    ok(
        client.post(
            reverse("cases:placements", args=[case.pk]), {"person": str(person.pk), "safe_house": str(house.pk), "start": today}
        ),
        "placement",
    )

    # Documents: a testimony as text and a photo with GPS and an artist in its EXIF.
    testimony = SimpleUploadedFile(s["testimony file name"], s["testimony"].encode(), content_type="text/plain")
    ok(client.post(reverse("cases:documents", args=[case.pk]), {"file": testimony, "kind": "testimony"}), "testimony")
    photo_bytes = gps_photo(str(s["EXIF artist"]), lat_s, lon_s)
    assert str(s["EXIF artist"]).encode() in photo_bytes and rational(lat_s, 10_000)[0] in photo_bytes  # planted for real
    photo = SimpleUploadedFile(str(s["photo file name"]), photo_bytes, content_type="image/jpeg")
    ok(
        client.post(
            reverse("cases:documents", args=[case.pk]),
            {"file": photo, "kind": "photo", "person": str(person.pk), "description": s["photo description"]},
        ),
        "photo",
    )

    # A second authenticator for the user, through the set-up page: its seed is a secret.
    page = ok(client.get(reverse("accounts:setup_totp")), "authenticator page").content.decode()
    # The key is shown in groups of four, each in its own <span> so it never breaks mid-group.
    seed_b32 = re.search(r'<code class="secret">((?:<span>[A-Z2-7]+</span>| )+)</code>', page)
    assert seed_b32, "the set-up page shows the key to type"
    seed_text = re.sub(r"</?span>| ", "", seed_b32.group(1))
    seed = base64.b32decode(seed_text + "=" * (-len(seed_text) % 8))
    totp = TOTP(seed, step=30, digits=6)
    ok(client.post(reverse("accounts:setup_totp"), {"code": str(totp.token()).zfill(6)}), "authenticator confirm")
    s["TOTP seed (base32)"] = seed_text
    s["TOTP seed (raw)"] = seed
    planted.pages["authenticator set-up"] = page

    _plant_through_api(client, planted, team)

    # Search by name: the terms travel in the body and must not end up in any log.
    found = ok(client.post(reverse("cases:people"), {"q": s["name (Latin)"]}), "search").content.decode()
    assert person.codename in found
    return planted


def _plant_through_api(client: Client, planted: Planted, team: Team) -> None:
    """The same kinds of data through /api/v1/, with a token made on the security page."""
    t, s = planted.token, planted.secrets
    api, s["API token"] = api_client(client)
    s["API name (Cyrillic)"] = f"Апиимя-{t}"
    s["API name (Latin)"] = f"Apiname-{t}"
    s["API location"] = f"Apilocation-{t} Малгобек"
    s["API case summary"] = f"Apisummary-{t}"
    s["API note"] = f"Apinote-{t} звонил в 3 ночи"
    person = ok(
        api.post(
            "/api/v1/people/",
            {
                "names": [
                    {"name": s["API name (Cyrillic)"], "kind": "legal"},
                    {"name": s["API name (Latin)"], "kind": "transliteration"},
                ],
                "location": s["API location"],
                "team": team.pk,
                "confirm_not_duplicate": True,
            },
            content_type="application/json",
        ),
        "API person",
    ).json()
    case = ok(
        api.post(
            "/api/v1/cases/",
            {"principal": person["id"], "team": team.pk, "summary": s["API case summary"]},
            content_type="application/json",
        ),
        "API case",
    ).json()
    ok(api.post(f"/api/v1/cases/{case['id']}/notes/", {"body": s["API note"]}, content_type="application/json"), "API note")
    planted.pages["API person"] = ok(api.get(f"/api/v1/people/{person['id']}/"), "API person read").content.decode()
    planted.pages["API case"] = ok(api.get(f"/api/v1/cases/{case['id']}/"), "API case read").content.decode()
    planted.pages["API notes"] = ok(api.get(f"/api/v1/cases/{case['id']}/notes/"), "API notes read").content.decode()


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
        response = ok(client.get(url), name)
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
    assert len(logs.getvalue()) > 10_000 and logs.getvalue().count("django.db.backends DEBUG") > 100, "the SQL was captured"
    db_file = Path(connection.settings_dict["NAME"]) if connection.vendor == "sqlite" else None

    findings = scan_at_rest(planted.secrets, extra={"captured logs": logs.getvalue().encode()})

    assert findings == []
    if db_file is not None:
        assert db_file.is_relative_to(settings.DATA_DIR) and db_file.stat().st_size > 100_000


def test_the_scanner_finds_what_is_stored_in_clear(staff: tuple[Client, User, Team]) -> None:
    """Negative control: a team name is not encrypted, so the scan must find it in the database."""
    t = token()
    name = f"Clearteam-{t}"
    Team.objects.create(name=name)
    findings = scan_at_rest({"team name": name})
    expected = "pg_dump" if connection.vendor == "postgresql" else "test.sqlite3"
    assert any(f.startswith("team name (utf-8, as typed) in ") and expected in f for f in findings), findings


def test_the_scanner_sees_every_encoding_it_claims(staff: tuple[Client, User, Team]) -> None:
    """Negative control for the encodings: each form planted in a file under DATA_DIR is found."""
    t = token()
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
    ok(
        client.post(
            reverse("cases:person_new"),
            {
                "name_0": f"Ильяс-{token()}",
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


def test_a_searched_name_is_no_query_parameter(staff: tuple[Client, User, Team]) -> None:
    """Found by this test: a typed name used to reach SQL as a codename comparison."""
    client, _user, _team = staff
    name = f"Zaurbek-{token()}"
    with captured_logs() as logs:
        ok(client.post(reverse("cases:people"), {"q": name}), "search")
    assert "django.db.backends DEBUG" in logs.getvalue()
    assert scan_at_rest({"searched name": name}, extra={"captured logs": logs.getvalue().encode()}) == []
