"""The seizure test against the real `corridor serve` (invariants 1 and 11): plant through
people search, the duplicate check and a real enrolment link, keep everything the server
prints in a file as journald would, then search that file and every file under the data
directory for the planted strings (UTF-8, UTF-16, base64, hex, lower case...), for the
enrolment token, and for any query string.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django_otp.oath import TOTP

from tests.seizure import files_at_rest, phone, scan_sources, token
from tests.serving import ROOT, Browser, corridor, free_port

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("serve")]

PASSWORD = "correct horse battery staple 42"
# A query string in a log line: "?q=..", "?next=..", "&x=..".
QUERY = re.compile(rb"[?&][^\s\"'=&?/]+=")


@dataclass
class Served:
    env: dict[str, str]
    home: Path
    data_dir: Path
    log: Path
    base: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    data_dir = Path(tempfile.mkdtemp(prefix="corridor-seizure-serve-"))
    journal = Path(tempfile.mkdtemp(prefix="corridor-journal-")) / "serve.log"
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("CORRIDOR_", "DJANGO_")) and key != "DATABASE_URL"
    }
    # A home of its own: whatever the server writes outside its data directory shows up here.
    home = Path(tempfile.mkdtemp(prefix="corridor-home-"))
    env.update(
        {
            "CORRIDOR_DATA_DIR": str(data_dir),
            "CORRIDOR_INSECURE_HTTP": "1",
            "DJANGO_SETTINGS_MODULE": "corridor.settings",
            "HOME": str(home),
        }
    )
    env.pop("XDG_RUNTIME_DIR", None)
    for args in (("migrate", "--noinput", "-v", "0"), ("collectstatic", "--noinput", "-v", "0")):
        result = corridor(env, *args)
        assert result.returncode == 0, result.stderr
    init = corridor(env, "init", "--shares", "3", "--threshold", "2", "--no-qr")
    assert init.returncode == 0, init.stderr
    shares = [line for line in init.stdout.splitlines() if line.startswith("share ")]
    port = free_port()
    with journal.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "corridor.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):  # noqa: S310 -- loopback test server
                break
        except (OSError, urllib.error.HTTPError):
            assert process.poll() is None and time.monotonic() < deadline, journal.read_text(errors="replace")
            time.sleep(0.2)
    for share in shares[:2]:
        result = corridor(env, "unseal", stdin=share + "\n")
        assert result.returncode == 0, result.stderr
    try:
        yield Served(env=env, home=home, data_dir=data_dir, log=journal, base=base, process=process)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)


def _enrol(browser: Browser, link: str) -> None:
    """The whole enrolment through the link: password, authenticator, recovery codes."""
    path = urllib.parse.urlsplit(link).path
    status, page = browser.submit(path, {"password": PASSWORD, "password_again": PASSWORD, "duress_password": ""})
    assert status == 200 and 'class="secret"' in page, (status, page[:1000])
    seed_text = re.search(r'<code class="secret">((?:<span>[A-Z2-7]+</span> ?)+)</code>', page)
    assert seed_text, page[:1000]
    seed_b32 = re.sub(r"</?span>| ", "", seed_text.group(1))
    seed = base64.b32decode(seed_b32 + "=" * (-len(seed_b32) % 8))
    code = str(TOTP(seed, step=30, digits=6).token()).zfill(6)
    status, page = browser.submit("/accounts/setup/authenticator/", {"code": code})
    assert status == 200 and "recovery" in page.lower(), (status, page[:1000])


def test_nothing_typed_or_secret_reaches_the_servers_output_or_the_data_dir(served: Served) -> None:
    t = token()
    typed_phone, phone_digits = phone()
    planted = {
        "searched name (Latin)": f"Zaurbek-{t}",
        "searched name (Cyrillic)": f"Заурбек-{t}",
        "searched phone": typed_phone,
        "phone (digits)": phone_digits,
        "name in a URL query": f"Querynamе-{t}",
        "name in a URL path": f"Pathname-{t}",
        "name in a bad request line": f"Badline-{t}",
        "name in a referrer": f"Referrer-{t}",
        "name as a request method": f"Badmethod-{t}",
    }
    created = corridor(served.env, "createuser", "--username", f"cw{t}", "--role", "caseworker", "--team", "North", "--noinput")
    assert created.returncode == 0, created.stderr
    link = created.stdout.strip().splitlines()[-1]
    enrolment_token = link.rstrip("/").rsplit("/", 1)[-1]
    assert len(enrolment_token) >= 20, link

    browser = Browser(served.base)
    _enrol(browser, link)
    # A used link answers 404: Django's "Not Found" line must not carry it either.
    assert browser.request(urllib.parse.urlsplit(link).path)[0] == 404
    # People search: the terms in the body; the result page is the answer to the POST.
    status, page = browser.submit("/people/", {"q": planted["searched name (Latin)"]})
    assert status == 200 and 'id="no-results"' in page, page[:1000]
    assert browser.submit("/people/", {"q": planted["searched phone"]})[0] == 200
    # A new person, then the same phone again: the duplicate check runs on a POST body.
    person = {
        "name_0": planted["searched name (Cyrillic)"],
        "name_kind_0": "legal",
        "birth_precision": "year",
        "birth_year": "1990",
        "documents_held": "none",
        "contact_kind_0": "phone",
        "contact_value_0": typed_phone,
        "priority": "normal",
    }
    status, page = browser.request("/people/new/")
    team = re.search(r'<option value="(\d+)"[^>]*>North</option>', page)
    assert status == 200 and team, page[:2000]
    person["team"] = team.group(1)
    status, _page = browser.submit("/people/new/", person)
    assert status == 200, re.findall(r'class="error"[^>]*>([^<]+)', _page)  # the case page, after the redirect
    status, page = browser.submit("/people/new/", person)
    assert status == 200 and 'id="duplicates"' in page, (status, page[:2000])
    # What a careless client or a stranger sends: terms in a query string, a typed path, a
    # referrer with a query, and a request line gunicorn cannot parse.
    assert browser.request("/people/?" + urllib.parse.urlencode({"q": planted["name in a URL query"]}))[0] == 200
    assert browser.request("/people/" + planted["name in a URL path"] + "/")[0] == 404
    assert browser.request("/accounts/enrol/" + planted["name in a URL path"] + "/")[0] == 404
    referrer = f"{served.base}/people/?q={planted['name in a referrer']}"
    assert browser.request("/people/", headers={"Referer": referrer})[0] == 200
    for request_line in (
        f"GET /people/?q={planted['name in a bad request line']}",
        f"{planted['name as a request method']} / HTTP/1.1",
    ):
        with socket.create_connection(("127.0.0.1", int(served.base.rsplit(":", 1)[1])), timeout=10) as raw:
            raw.sendall(f"{request_line}\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert raw.recv(4096).startswith(b"HTTP/1.1 400 ")

    served.process.terminate()
    served.process.wait(timeout=20)
    journal = served.log.read_bytes()
    # The capture was real: the access log and Django's warnings are in it.
    text = journal.decode(errors="replace")
    assert text.count("POST /people/") >= 3 and "Not Found: " in text, text[-3000:]

    sources = [("server output", journal)] + [(f"data dir: {name}", data) for name, data in files_at_rest(served.data_dir)]
    assert any(name == "data dir: db.sqlite3" for name, _ in sources)
    assert scan_sources(planted, sources) == []
    assert scan_sources({"enrolment token": enrolment_token}, sources) == []
    assert QUERY.findall(journal) == []
    # Nothing written outside the data directory (gunicorn's control socket used to sit in ~/.gunicorn).
    assert sorted(str(path.relative_to(served.home)) for path in served.home.rglob("*")) == []
    # What the log keeps instead: the method, the route with its variable parts masked, the status.
    for line in (
        '"POST /people/" 200',
        '"GET /accounts/enrol/…/" 200',
        '"GET /accounts/enrol/…/" 404',
        '"POST /people/new/" 302',
    ):
        assert line in text, (line, text[-3000:])
    assert "Not Found: /accounts/enrol/…/" in text and "Not Found: [no route]" in text, text[-3000:]
