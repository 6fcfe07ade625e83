"""Rate limits that no stranger can turn against the people they protect (DESIGN.md invariant 13):
the client address from trusted proxies only, a held queue instead of a refusal, counters
shared by every worker, no tag that a seizure could test an address against, and no body
read before the decision."""

from __future__ import annotations

import hashlib
import hmac
import io
import multiprocessing
import os
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http.multipartparser import MultiPartParser
from django.test import Client, RequestFactory
from PIL import Image

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.env import env_networks
from corridor.intake import checks as intake_checks
from corridor.intake import ratelimit
from corridor.intake.models import IntakeAttachment, IntakeRequest, RateCounter
from corridor.intake.tests.helpers import HELP, RETURN, SEND, answers, passphrase_in, submit
from corridor.keys.service import KeyService

pytestmark = pytest.mark.django_db
PROXY = "127.0.0.1"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    cache.clear()


def _via(remote: str, forwarded: str | None = None) -> Any:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().post(HELP, REMOTE_ADDR=remote, **extra)


# -- the client's address -------------------------------------------------------------------


def test_forwarded_for_is_believed_only_from_a_listed_proxy(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    assert [
        ratelimit.client_address(_via("198.51.100.4", "203.0.113.9")),  # not a proxy: the header is ignored
        ratelimit.client_address(_via(PROXY, "203.0.113.9")),
        ratelimit.client_address(_via(PROXY, "1.2.3.4, 203.0.113.9")),  # the left hop was typed by the visitor
        ratelimit.client_address(_via(PROXY, "203.0.113.9, 10.1.2.3")),  # a second listed proxy is skipped
        ratelimit.client_address(_via(PROXY, "2001:DB8::0001")),
        ratelimit.client_address(_via(PROXY, "not-an-address")),
        ratelimit.client_address(_via(PROXY)),
    ] == ["198.51.100.4", "203.0.113.9", "203.0.113.9", "203.0.113.9", "2001:db8::1", PROXY, PROXY]


def test_trusted_proxies_are_parsed_strictly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRIDOR_TRUSTED_PROXIES", " 127.0.0.1, 10.0.0.0/8 ,::1")
    assert env_networks("CORRIDOR_TRUSTED_PROXIES") == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    for bad in ("nginx", "10.0.0.1/8", "127.0.0.1:8000", "10.0.0.0/33"):
        monkeypatch.setenv("CORRIDOR_TRUSTED_PROXIES", bad)
        with pytest.raises(ImproperlyConfigured, match="CORRIDOR_TRUSTED_PROXIES"):
            env_networks("CORRIDOR_TRUSTED_PROXIES")


def test_behind_a_listed_proxy_one_noisy_source_holds_only_its_own_requests(settings: Any) -> None:
    """Today's failure: behind the proxy everyone is 127.0.0.1, so 20 junk requests shut /help/ for all."""
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    settings.INTAKE_RATE_LIMITS = {"submit_address": 2, "submit_global": 100}
    noisy = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(4):
        response, codename = submit(noisy)
        assert (response.status_code, codename is not None) == (200, True)
    person = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.23")
    response, codename = submit(person)
    assert (response.status_code, codename is not None) == (200, True)
    assert sorted(IntakeRequest.objects.values_list("held", flat=True)) == [False, False, False, True, True]
    # The person's request went to the queue, not to the held list.
    newest = IntakeRequest.objects.filter(held=False).count()
    assert newest == 3


def test_check_deploy_warns_about_a_proxy_that_is_not_listed(settings: Any) -> None:
    settings.TRUSTED_PROXIES = []
    settings.SECURE_PROXY_SSL_HEADER = None
    assert intake_checks.proxies_listed() == []
    # A stranger on the internet sending the header does not raise the warning...
    Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.1.1.1").get(HELP)
    submit(Client(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.1.1.1"))
    assert intake_checks.proxies_listed() == []
    # ...a local reverse proxy that forwards a visitor does.
    submit(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.23"))
    assert [message.id for message in intake_checks.proxies_listed()] == ["intake.W002"]
    settings.TRUSTED_PROXIES = [f"{PROXY}/32"]
    submit(Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.23"))
    # Settings that say "behind a proxy" with none listed warn on their own.
    settings.TRUSTED_PROXIES = []
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    found = intake_checks.proxies_listed()
    assert [(m.id, m.level) for m in found] == [("intake.W001", checks.WARNING), ("intake.W002", checks.WARNING)]
    # The record says that it happened, never from or for whom.
    assert list(RateCounter.objects.filter(name=ratelimit.UNLISTED_PROXY).values_list("name", flat=True)) == [
        ratelimit.UNLISTED_PROXY
    ]


# -- the held queue -------------------------------------------------------------------------


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, "PNG")
    return out.getvalue()


def test_past_the_global_limit_a_request_is_held_not_refused_and_triage_sees_it_apart(settings: Any) -> None:
    settings.INTAKE_RATE_LIMITS = {"submit_address": 0, "submit_global": 1}
    first, first_codename = submit(Client(REMOTE_ADDR="198.51.100.1"))
    upload = io.BytesIO(_png())
    upload.name = "photo.png"
    second = Client(REMOTE_ADDR="198.51.100.2").post(HELP, {**answers(), "file": upload})
    assert (first.status_code, first_codename is not None) == (200, True)
    assert (second.status_code, passphrase_in(second) is not None) == (200, True)
    assert "Файл не сохранён: сейчас приходит очень много сообщений." in second.content.decode()
    held = IntakeRequest.objects.get(held=True)
    assert IntakeAttachment.objects.count() == 0  # the held request kept its text, not its file
    hotline = make_staff(Role.HOTLINE)
    page = sign_in(Client(), hotline).get("/triage/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    waiting_part, held_part = page.split('<h2 id="held">')
    assert "Отложенные: пришли, когда приём был перегружен" in held_part
    assert held.reference in held_part.split("</table>")[0]
    assert held.reference not in waiting_part
    assert IntakeRequest.objects.get(held=False).reference in waiting_part
    # A reply moves it to the ordinary lists.
    from corridor.intake import domain

    domain.reply(hotline, held, "Мы получили ваше сообщение.")
    held.refresh_from_db()
    assert (held.held, domain.held_queue(hotline)) == (False, [])


def test_the_held_queue_is_capped_and_past_it_nothing_is_read_or_stored(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.INTAKE_RATE_LIMITS = {"submit_address": 0, "submit_global": 1}
    settings.INTAKE_HELD_MAX = 1
    assert [submit(Client(REMOTE_ADDR=f"198.51.100.{i}"))[0].status_code for i in (1, 2)] == [200, 200]
    parsed = _count_parses(monkeypatch)
    response, codename = submit(Client(REMOTE_ADDR="198.51.100.3"))
    assert (response.status_code, codename, parsed) == (503, None, [])
    assert "Нажмите «Назад» в браузере" in response.content.decode()
    assert sorted(IntakeRequest.objects.values_list("held", flat=True)) == [False, True]


# -- the body is not read before the decision -----------------------------------------------


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = MultiPartParser.parse

    def counting(self: MultiPartParser) -> Any:
        calls.append(1)
        return original(self)

    monkeypatch.setattr(MultiPartParser, "parse", counting)
    return calls


def test_a_limited_login_or_follow_up_is_answered_without_parsing_the_body(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _response, codename = submit()
    settings.INTAKE_RATE_LIMITS = {"login_address": 1, "login_global": 100}
    client = Client(REMOTE_ADDR="192.0.2.99")
    parsed = _count_parses(monkeypatch)
    upload = io.BytesIO(_png())
    upload.name = "a.png"
    assert client.post(SEND, {"codename": codename, "text": "первое", "file": upload}).status_code == 200
    assert parsed == [1]  # the control: an allowed request is parsed
    upload.seek(0)
    limited = [
        client.post(SEND, {"codename": codename, "text": "второе", "file": upload}).status_code,
        client.post(RETURN, {"codename": codename}).status_code,
        # A body that cannot be parsed at all: reading it would answer 400, not 429.
        client.post(RETURN, b"--broken", content_type="multipart/form-data; boundary=zzz").status_code,
    ]
    assert (limited, parsed) == ([429, 429, 429], [1])


# -- counters shared by every worker ----------------------------------------------------------


def _other_worker(limit: int, hits: int, results: Any) -> None:
    connection.close()  # a process of its own, with its own database connection
    results.put([ratelimit._hit("submit", "all", limit) for _ in range(hits)])
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_share_one_limit() -> None:
    assert [ratelimit._hit("submit", "all", 3) for _ in range(2)] == [True, True]
    connection.close()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    worker = context.Process(target=_other_worker, args=(3, 2, results))
    worker.start()
    other = results.get(timeout=30)
    worker.join(timeout=30)
    assert (worker.exitcode, other) == (0, [True, False])
    assert ratelimit._hit("submit", "all", 3) is False
    assert RateCounter.objects.get(name="submit:all").hits == 5


def test_finished_windows_are_deleted(monkeypatch: pytest.MonkeyPatch) -> None:
    now = 1_800_000_000.0
    monkeypatch.setattr(ratelimit.time, "time", lambda: now)
    ratelimit._hit("login", "all", 10)
    now += 2 * ratelimit.WINDOW_SECONDS
    ratelimit._hit("login", "all", 10)
    assert list(RateCounter.objects.values_list("slot", flat=True)) == [int(now) // ratelimit.WINDOW_SECONDS]


# -- nothing at rest lets anyone test an address ------------------------------------------------


_HEX_KEY = re.compile(rb"[0-9a-f]{64}")


def _at_rest() -> bytes:
    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 -- table names from introspection
            for row in cursor.fetchall():
                chunks.extend(bytes(v) if isinstance(v, memoryview | bytes) else str(v).encode() for v in row)
    name = str(connection.settings_dict["NAME"])
    for suffix in ("", "-wal"):
        if Path(name + suffix).is_file():
            chunks.append(Path(name + suffix).read_bytes())
    store: dict[str, Any] = getattr(cache, "_cache", {})
    for key, value in store.items():
        chunks.append(key.encode())
        chunks.append(value if isinstance(value, bytes) else pickle.dumps(value))
        try:
            chunks.append(str(pickle.loads(value)).encode())  # noqa: S301 -- our own test cache
        except Exception:  # noqa: BLE001, S110 -- not a pickle: the raw bytes are kept above
            pass
    return b"\n".join(chunks)


def test_a_seizure_cannot_test_an_address_against_what_is_stored(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    address = "203.0.113.77"
    for client in (Client(REMOTE_ADDR=address), Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address)):
        _response, codename = submit(client)
        client.post(RETURN, {"codename": codename})
    assert RateCounter.objects.filter(name__startswith=("submit-addr:")).count() == 1
    at_rest = _at_rest()
    assert address.encode() not in at_rest
    # Try every key-sized secret found at rest, and the settings' secret key, as the HMAC key.
    candidates = {bytes.fromhex(found.decode()) for found in _HEX_KEY.findall(at_rest)}
    candidates |= {settings.SECRET_KEY.encode(), os.urandom(0)}
    for key in candidates:
        tag = hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32].encode()
        assert tag not in at_rest


def test_the_key_service_tags_addresses_under_a_key_of_its_own(tmp_path: Path) -> None:
    from corridor.keys.keyd import dispatch

    service = KeyService(tmp_path)  # uninitialised and sealed: the tags still work
    reply = dispatch(service, {"op": "address_tags", "args": {"addresses": ["203.0.113.1", "203.0.113.1", "::1"]}})
    first, again, other = reply["result"]
    assert (reply["ok"], first == again, first == other, len(first)) == (True, True, False, 32)
    assert KeyService(tmp_path).address_tags(["203.0.113.1"]) != [first]
