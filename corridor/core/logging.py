"""What may reach a log line: a filter for Django's logging and gunicorn's error log, and the
masked route that gunicorn's access log shows instead of the request line.

Logs must hold no personal data and no secrets (invariant 11): no addresses, no query
strings (search terms live there), no path tokens (an enrolment link is a live credential),
no values a user typed (they reach exception messages), no secret-looking key=value pairs.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import traceback
import urllib.parse
from types import TracebackType

from corridor.core.decorators import withheld_address_label

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
# Candidates for IPv6 (with "::" compression and IPv4 tails), each checked by ipaddress, so
# clock times like 06:42:51 are left alone.
_IPV6_CANDIDATE = re.compile(r"(?<![0-9A-Za-z:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?![0-9A-Za-z:])")
_SECRETS = re.compile(r"(?i)\b(password|passwd|secret|token|share|code|key|authorization|cookie|sessionid|csrftoken)([\"']?\s*[:=]\s*[\"']?)([^\s\"'&,;]+)")
# A URL or an absolute path inside free text: "GET /enrol/abc/?next=x HTTP/1.1", "Not Found: /x".
_URL_IN_TEXT = re.compile(r"(?:https?://[^\s/\"'<>]+)?/[^\s\"'<>]*")

MASK = "…"
NO_ROUTE = "[no route]"


def route_of(path: str) -> str:
    """The URL route a path reaches, with every variable segment masked: never a query string.

    "/accounts/enrol/3kd9.../?next=/x" -> "/accounts/enrol/…/". A segment is shown only when it
    is a literal part of the matched route, so tokens, ids and anything typed into a URL are
    masked; a path that reaches no route is not shown at all (it may be anything typed), and
    a view marked @address_withheld (the unseal page, whose path an operator may keep
    unguessable) is named by its label, not shown.
    """
    path = urllib.parse.urlsplit(path).path or "/"
    try:
        from django.apps import apps
        from django.conf import settings
        from django.urls import Resolver404, resolve

        if not apps.ready:
            return NO_ROUTE  # gunicorn's master, keyd: no URL map loaded, so nothing to show
        static = str(settings.STATIC_URL or "/static/")
        if static.startswith("/") and path.startswith(static):
            return static + MASK
        try:
            match = resolve(path)
        except Resolver404:
            return NO_ROUTE
    except Exception:  # noqa: BLE001 -- a log line must never fail; without Django there is no route to show
        return NO_ROUTE
    label = withheld_address_label(match.func)
    if label is not None:
        return label
    # path() routes ("enrol/<str:token>/") and re_path() ones ("^people/(?P<pk>[^/.]+)/$") alike:
    # whatever is not a literal segment of the route is masked.
    literal = {segment for segment in re.sub(r"[\^$]", "", match.route or "").split("/") if segment}
    segments = [s if urllib.parse.unquote(s) in literal else MASK for s in path.strip("/").split("/") if s]
    masked = "/" + "/".join(segments)
    if segments and path.endswith("/"):
        masked += "/"
    return masked


def _route_or_keep(match: re.Match[str]) -> str:
    text = match.group(0)
    if "?" in text or "#" in text:
        return route_of(text)
    # A file path in a traceback reaches no route and stays; a URL path is masked.
    route = route_of(text)
    return text if route == NO_ROUTE else route


def scrub(text: str) -> str:
    text = _SECRETS.sub(lambda m: f"{m.group(1)}{m.group(2)}[masked]", text)
    text = _URL_IN_TEXT.sub(_route_or_keep, text)
    text = _IPV4.sub("[address]", text)
    return _IPV6_CANDIDATE.sub(_ipv6_or_keep, text)


def _ipv6_or_keep(match: re.Match[str]) -> str:
    try:
        ipaddress.IPv6Address(match.group(0))
    except ValueError:
        return match.group(0)
    return "[address]"


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def format_exception_withheld(exc_info: ExcInfo) -> str:
    """A traceback with every frame and exception type, but no exception message: messages
    carry the values that caused them ("invalid literal for int(): 'Zaurbek'")."""
    chain: list[BaseException] = []
    current: BaseException | None = exc_info[1]
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = []
    for exc in reversed(chain):
        kind = type(exc)
        name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
        frames = "".join(traceback.format_tb(exc.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{name} (message withheld from the log)")
    return scrub("\n\nDuring handling of the above exception, another exception occurred:\n\n".join(parts))


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and isinstance(record.args, tuple):
            # django.request and django.security log "Not Found: %s" with request.path, which
            # may be anything a visitor typed: show the route instead.
            paths = {getattr(request, "path", None), getattr(request, "path_info", None)}
            record.args = tuple(route_of(arg) if isinstance(arg, str) and arg in paths else arg for arg in record.args)
        message = scrub(record.getMessage())
        record.msg = message
        record.args = ()
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = format_exception_withheld(record.exc_info)
        # The request object carries the address; the formatted message is all we keep.
        if hasattr(record, "request"):
            record.request = None
        return True
