"""The mixed load of `make bench-load`: caseworkers, coordinators and people asking for help.

Runs under locust in .venv-load (bench/load/requirements.lock); it imports nothing from
Corridor. bench/load/run.py prepares the instance and writes the fixture this file reads
(CORRIDOR_LOAD_FIXTURE): signed-in sessions per role and the cases each caseworker may see.

Every request is named by page, so locust's statistics give a p95 per page. A request
fails when its status is not 2xx/3xx or the page lacks what a person would look for on it
(a sealed page answers 200 too, so each check looks for the page's own content).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import time
from typing import Any

from locust import HttpUser, between, task
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

FIXTURE: dict[str, Any] = json.loads(open(os.environ["CORRIDOR_LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115, PTH123
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_CODENAME = re.compile(r'<ol class="codename"')
STORY = "Нагрузочный тест: что случилось, где я, как со мной связаться. " * 6
SEARCHES = ["Хасанов", "Magomed", "Исаев", "Umarov", "Тимур", "Akhmadov"]


def _like_a_browser(user: HttpUser) -> None:
    """Send a request again, once, when the kept-alive connection it went out on was closed by
    the server without an answer, as browsers do (RFC 9112, 9.3.1): gunicorn closes connections
    idle for 2 s, and a user who waited about that long races the close. Anything else (an
    answer of any status, a timeout, a refused connection) is not retried and counts."""
    retry = Retry(total=1, connect=0, read=1, other=0, status=0, allowed_methods=None, raise_on_status=False)
    user.client.mount("http://", HTTPAdapter(max_retries=retry))


class _Staff(HttpUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        _like_a_browser(self)
        account = random.choice(FIXTURE[self.role])  # noqa: S311 -- load mix, not security
        self.client.cookies.set(FIXTURE["session_cookie"], account["session"])
        self.cases: list[str] = account.get("cases", [])

    def page(self, path: str, name: str, expect: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200 or expect not in response.text:
                response.failure(_why(response, f"{expect!r} not on the page"))
                return ""
            return str(response.text)

    def post(self, path: str, name: str, data: dict[str, str], token_page: str, expect: str) -> None:
        token = _CSRF.search(token_page)
        if token is None:
            return
        data = {"csrfmiddlewaretoken": html.unescape(token.group(1)), **data}
        with self.client.post(path, data=data, name=name, catch_response=True, headers={"Referer": self.host + path}) as response:
            if response.status_code != 200 or expect not in response.text:
                response.failure(_why(response, f"{expect!r} not in the answer"))


class Caseworker(_Staff):
    """Works their team's cases: the list, a case, a note, a search, the dashboard."""

    weight = 5
    role = "caseworkers"
    wait_time = between(1, 3)

    @task(4)
    def case_list(self) -> None:
        self.page("/cases/", "case list", 'id="case-list"')

    @task(4)
    def case_detail(self) -> None:
        case = random.choice(self.cases)  # noqa: S311
        self.page(f"/cases/{case}/", "case detail", 'id="notes"')

    @task(2)
    def write_note(self) -> None:
        case = random.choice(self.cases)  # noqa: S311
        page = self.page(f"/cases/{case}/", "case detail", 'id="notes"')
        if page:
            body = f"Нагрузочный тест {time.time():.6f}"
            self.post(f"/cases/{case}/notes/", "note (POST)", {"body": body}, page, body)

    @task(2)
    def search(self) -> None:
        page = self.page("/people/", "people search", 'name="q"')
        if page:
            self.post("/people/", "people search (POST)", {"q": random.choice(SEARCHES)}, page, 'name="q"')  # noqa: S311

    @task(1)
    def dashboard(self) -> None:
        self.page("/", "dashboard", 'id="urgent"')


class Coordinator(_Staff):
    """Relocation and triage: the figures, a country, the triage queue, documentation."""

    weight = 2
    role = "coordinators"
    wait_time = between(1, 3)

    @task(3)
    def relocation(self) -> None:
        self.page("/relocation/", "relocation figures", "<table")

    @task(1)
    def charts(self) -> None:
        self.page("/relocation/charts/", "relocation charts", "<svg")

    @task(2)
    def case_list(self) -> None:
        self.page("/cases/", "case list", 'id="case-list"')


class Hotline(_Staff):
    """The triage queue of requests for help."""

    weight = 1
    role = "hotline"
    wait_time = between(1, 3)

    @task
    def triage(self) -> None:
        self.page("/triage/", "triage queue", "<main")


class PersonAskingForHelp(HttpUser):
    """Opens the help form, takes a moment to write, sends it, and keeps the codename.

    The questionnaire may have a second step (conditions, a file question): its hidden
    fields are sent back as a browser with JavaScript off would."""

    weight = 3
    wait_time = between(2, 6)

    def on_start(self) -> None:
        _like_a_browser(self)

    @task
    def ask_for_help(self) -> None:
        path = FIXTURE["intake_path"]
        with self.client.get(path, name="intake form", catch_response=True) as response:
            if response.status_code != 200 or 'name="token"' not in response.text:
                response.failure(_why(response, "no form"))
                return
            form = response.text
        time.sleep(FIXTURE["min_fill_seconds"] + 0.2)  # nobody writes faster; the form refuses it
        answers = {"q_what_happened": STORY, "q_where": "Москва", "q_safe_now": "unsure", "q_held_now": "no"}
        data = dict(_hidden(form)) | answers
        for step in (1, 2):
            with self.client.post(path, data=data, name=f"intake send (step {step})", catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(_why(response, "not sent"))
                    return
                if _CODENAME.search(response.text):
                    return
                if step == 2 or 'name="token"' not in response.text:
                    response.failure("no codename and no next step")
                    return
                data = dict(_hidden(response.text)) | {k: v for k, v in answers.items() if f'name="{k}"' in response.text}


def _why(response: Any, what: str) -> str:
    """The status, or for no answer at all (status 0) the connection error behind it."""
    if response.status_code == 0:
        return f"no answer: {type(response.error).__name__}: {response.error}"[:300]
    return f"{response.status_code}: {what}"


def _hidden(page: str) -> list[tuple[str, str]]:
    return [(html.unescape(name), html.unescape(value)) for name, value in _HIDDEN.findall(page)]
