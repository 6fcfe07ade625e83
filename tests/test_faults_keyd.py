"""kill -9 of keyd under a running web server: the instance is sealed, not broken.

keyd runs as its own process, as in the documented deployment (its own systemd unit and
user), with `corridor serve --no-keyd` beside it. (Under plain `corridor serve` the web server
stops with its keyd by design; tests/test_faults_kill.py kills both.) While keyd is gone,
staff pages and the API answer the sealed 503, the public intake still takes requests for
help (encrypted on arrival to the intake public key), nothing answers 500; when keyd is
started again and the trustees unseal, the help request sent meanwhile is readable.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from tests.faults import Browser, Instance, http, make_instance, set_up_writer

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("faults")]

STORY = "Меня держали в подвале, keyd был мёртв"

# Opened by keyd with the intake private key, unwrapped only now that it is unsealed.
READ_INTAKE = """
import json
from corridor.intake.domain.requests import parse_answers
from corridor.intake.models import IntakeMessage
from corridor.keys import api
plains = api.open_intake([bytes(message.ciphertext) for message in IntakeMessage.objects.filter(direction="in")])
print(json.dumps([answer.value for plain in plains for answer in parse_answers(plain)]))
"""


@pytest.fixture(scope="module")
def instance() -> Iterator[Instance]:
    made = make_instance("faults-keyd")
    made.env["CORRIDOR_INTAKE_MIN_FILL_SECONDS"] = "0"  # the form is posted at once, not typed
    try:
        yield made
    finally:
        made.destroy()


def ask_for_help(base: str, story: str) -> tuple[int, str]:
    """Fill in the public help form as a person would, step by step; the last page's status and body."""
    browser = Browser(base)
    status, page = browser.request("/help/")
    assert status == 200, page[:500]
    for _step in range(4):
        form = re.search(r'<form[^>]*method="post"[^>]*>(.*?)</form>', page, re.S)
        if form is None or '<ol class="codename"' in page:
            return status, page
        fields: dict[str, str] = {}
        for name, value in re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(1)):
            fields[name] = value
        for name in re.findall(r'<textarea[^>]*name="([^"]+)"', form.group(1)):
            fields[name] = story
        for name, value in re.findall(r'<input[^>]*type="radio"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(1)):
            fields.setdefault(name, value)
        for name in re.findall(r'<input[^>]*type="text"[^>]*name="([^"]+)"', form.group(1)):
            fields.setdefault(name, "signal")
        action = re.search(r'<form[^>]*action="([^"]*)"', page)
        path = action.group(1) if action and action.group(1) else "/help/"
        status, page = browser.request(path, fields)
        assert status == 200, (status, page[:1000])
    return status, page


def test_killing_keyd_seals_the_instance_and_the_intake_keeps_working(instance: Instance) -> None:
    instance.start_keyd()
    instance.start(workers=2, threads=2, keyd=False)
    instance.unseal()
    writer = set_up_writer(instance)
    api = f"{instance.base}/api/v1/cases/{writer['case']}/notes/"
    assert http(api, data={"body": "before"}, token=writer["token"])[0] == 201

    instance.kill_keyd()
    assert instance.keyd_status() == "sealed"
    # Every kind of page, many times so every worker answers: sealed, never a 500.
    statuses: dict[str, set[int]] = {}
    for _round in range(6):
        for path in ("/", "/cases/", "/accounts/login/", f"/cases/{writer['case']}/", "/api/v1/cases/", "/api/v1/me/"):
            status, headers, body = http(instance.base + path, token=writer["token"] if path.startswith("/api/") else "")
            statuses.setdefault(path, set()).add(status)
            if path.startswith("/api/"):
                assert json.loads(body)["error"]["code"] == "sealed", (path, body[:300])
            else:
                assert "The instance is sealed" in body, (path, body[:300])
            assert headers.get("Retry-After") == "60", path
        status, _headers, body = http(api, data={"body": "while keyd is dead"}, token=writer["token"])
        statuses.setdefault("POST note", set()).add(status)
        assert json.loads(body)["error"]["code"] == "sealed"
    assert statuses == {path: {503} for path in statuses}
    assert http(instance.base + "/healthz")[0] == 200

    # A person asks for help meanwhile: accepted, with a codename to come back with.
    status, page = ask_for_help(instance.base, STORY)
    assert status == 200 and '<ol class="codename"' in page, page[:2000]

    # keyd comes back sealed; the trustees unseal; everything works again.
    instance.start_keyd()
    assert instance.keyd_status() == "sealed"
    instance.unseal()
    assert http(instance.base + "/accounts/login/")[0] == 200
    texts = json.loads(instance.shell(READ_INTAKE).strip().splitlines()[-1])
    assert STORY in texts
    fresh = set_up_writer_token(instance)
    deadline = time.monotonic() + 10
    while (status := http(api, data={"body": "after"}, token=fresh)[0]) != 201 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status == 201


def set_up_writer_token(instance: Instance) -> str:
    """A new token for the writer: an unseal suspends the tokens issued before it."""
    code = (
        "from corridor.accounts import domain\n"
        "from corridor.accounts.models import User\n"
        "print(domain.create_api_token(None, User.objects.get(username='writer'), 'after keyd'))\n"
    )
    return instance.shell(code).strip().splitlines()[-1]
