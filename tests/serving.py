"""Helpers for the tests that run the real `corridor` command and server in subprocesses."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def corridor(env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """Run `corridor ARGS` with exactly this environment, from the project's root."""
    return subprocess.run(
        [sys.executable, "-m", "corridor.cli", *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


class Browser:
    """A cookie-keeping HTTP client that sends Django's CSRF token back, as a browser would."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def request(self, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})  # noqa: S310 -- loopback test server
        try:
            with self.opener.open(request, timeout=20) as response:
                return int(response.status), response.read().decode()
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode(errors="replace")

    def submit(self, path: str, fields: dict[str, str]) -> tuple[int, str]:
        """GET the page, then POST its form with the CSRF token and these fields.

        A page that does not answer 200 is returned as it is (a caller may wait for a server that
        is still starting); a page that answers 200 without a form token is a failed test."""
        status, page = self.request(path)
        if status != 200:
            return status, page
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf, f"no CSRF token on {path}"
        return self.request(path, {"csrfmiddlewaretoken": csrf.group(1), **fields})
