"""gunicorn's configuration for Corridor (`gunicorn -c python:corridor.web.gunicorn_conf`):
an access log that shows routes, never request lines, and web workers hardened like keyd.

`corridor serve` uses it; run gunicorn with it too if you start gunicorn yourself.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from corridor.core.logging import ScrubFilter, route_of
from corridor.web.worker import already_hardened, harden_worker

# Method, masked route, status, size, time. No address, no query string, no referrer, no
# user agent: the request line of a search or an enrolment link is personal data or a secret.
access_log_format = '"%(m)s %(U)s" %(s)s %(b)s %(M)sms'
accesslog = "-"
errorlog = "-"
# gunicorn's control socket (in ~/.gunicorn by default) lets any process of this user command
# the master and is a file written outside the data directory: Corridor needs neither.
control_socket_disable = True
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Logger(GunicornLogger):
    """gunicorn's logger with the request line replaced by its masked route (invariant 11)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # gunicorn's own error messages name the request ("Error handling request /x?q=..").
        if not any(isinstance(f, ScrubFilter) for f in self.error_log.filters):
            self.error_log.addFilter(ScrubFilter())

    def warning(self, msg: Any, *args: Any, **kwargs: Any) -> None:
        # "Invalid request from ip=A: Invalid HTTP method: 'whatever was sent'": keep the kind
        # of fault only; what follows is the request as a stranger typed it.
        if isinstance(msg, str) and msg.startswith("Invalid request from ip="):
            detail = msg.split(": ", 1)[1] if ": " in msg else ""
            msg, args = "Invalid request: %s", (detail.split(":", 1)[0].split("'", 1)[0].strip(),)
        super().warning(msg, *args, **kwargs)

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: datetime.timedelta) -> dict[str, Any]:
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        method = environ.get("REQUEST_METHOD", "-")
        if method not in METHODS:
            method = "[other]"  # a method is any token a client chose to send
        route = route_of(environ.get("PATH_INFO") or "/")
        sent = getattr(resp, "sent", None)
        milliseconds = request_time.seconds * 1000 + request_time.microseconds // 1000
        # Only these atoms exist: a format asking for headers, the address or the raw URI gets "-".
        return {
            "m": method,
            "U": route,
            "r": f"{method} {route} {environ.get('SERVER_PROTOCOL', '-')}",
            "H": environ.get("SERVER_PROTOCOL", "-"),
            "s": status,
            "b": str(sent) if sent is not None else "-",
            "B": sent,
            "t": self.now(),
            "T": request_time.seconds,
            "M": milliseconds,
            "D": request_time.seconds * 1_000_000 + request_time.microseconds,
            "L": f"{request_time.seconds}.{request_time.microseconds:06d}",
            "p": f"<{os.getpid()}>",
            "h": "-",
            "l": "-",
            "u": "-",
            "q": "-",
            "f": "-",
            "a": "-",
        }


logger_class = Logger


def when_ready(server: Any) -> None:
    # The master says once what could not be hardened; each worker does the same silently.
    # (With --preload the WSGI module hardened the master already and said so itself.)
    if already_hardened():
        return
    for failure in harden_worker(report=False):
        server.log.warning("web workers: hardening incomplete: %s", failure)


def post_fork(server: Any, worker: Any) -> None:
    # Locks are not inherited across fork: each worker hardens itself before it serves.
    harden_worker(report=False)

