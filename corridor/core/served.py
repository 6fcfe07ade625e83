"""The address people reach this instance at: for enrolment links and what `serve` prints.

CORRIDOR_BASE_URL says it when set (behind a proxy, only the operator knows it). Otherwise
`corridor serve` records the address it binds, so `corridor createuser` prints a link that
opens: a loopback or any-address bind is given as localhost, the one name browsers accept
security keys on (they refuse them on an IP address).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

SERVED_FILE = "served_url"
DEFAULT = "http://localhost:8000"
_LOCAL = {"127.0.0.1", "0.0.0.0", "::1", "::", "[::1]", "[::]", "localhost", ""}  # noqa: S104 -- names to recognise, not to bind


def url_for_bind(bind: str) -> str:
    """http://HOST:PORT for gunicorn's --bind HOST:PORT, with a loopback or wildcard host as localhost."""
    host, _sep, port = bind.rpartition(":")
    if not port.isdigit():
        host, port = bind, "80"
    if host in _LOCAL:
        host = "localhost"
    return f"http://{host}" if port == "80" else f"http://{host}:{port}"


def record(bind: str) -> str:
    """Remember where `serve` answers (not a secret: the address only), and return it."""
    url = url_for_bind(bind)
    (Path(settings.DATA_DIR) / SERVED_FILE).write_text(url + "\n")
    return url


def base_url() -> str:
    """CORRIDOR_BASE_URL, else the address `serve` last bound, else http://localhost:8000."""
    if settings.BASE_URL_CONFIGURED:
        return str(settings.BASE_URL).rstrip("/")
    try:
        recorded = (Path(settings.DATA_DIR) / SERVED_FILE).read_text().strip()
    except OSError:
        return DEFAULT
    return recorded.rstrip("/") if recorded.startswith(("http://", "https://")) else DEFAULT
