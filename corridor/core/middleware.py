"""Response headers every page carries, and the 503 wall while the instance is sealed.

The Content-Security-Policy names no other host: scripts, styles and images come from
this server only, and no page may be framed or post forms elsewhere (invariant 10).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from corridor.core.decorators import is_api_view, works_while_sealed
from corridor.keys import api as keys

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "manifest-src 'self'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

View = Callable[[HttpRequest], HttpResponse]

log = logging.getLogger(__name__)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["Permissions-Policy"] = PERMISSIONS_POLICY
        response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        if not request.path.startswith("/static/"):
            # Pages about people must not linger in a shared computer's cache.
            response.headers["Cache-Control"] = "no-store"
        return response


class SealedMiddleware:
    """While no root key is held, only views marked @works_sealed answer."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        if request.path.startswith("/static/"):
            return None
        # Asked on every request, pages that work sealed included: a lockdown on another web
        # node seals this one before it answers anything (docs/scaling.md).
        sealed = keys.sealed_here_or_elsewhere()
        if works_while_sealed(view) or not sealed:
            return None
        if is_api_view(view) or request.path.startswith("/api/"):
            body = {"error": {"code": "sealed", "message": _("The instance is sealed. Trustees must unseal it.")}}
            return JsonResponse(body, status=503, headers={"Retry-After": "60"})
        response = TemplateResponse(request, "core/sealed.html", status=503, headers={"Retry-After": "60"})
        return response.render()


def _database_lost(exc: BaseException | None) -> bool:
    # The session store wraps the connection's error (UpdateError, then SessionInterrupted).
    while exc is not None:
        if isinstance(exc, (OperationalError, InterfaceError)):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a database lost while saving the session after the view answered
    does not replace that answer with the 503 "Nothing was saved" (core/error_pages.py).

    The session is saved after every request (SESSION_SAVE_EVERY_REQUEST), after the view's own
    transaction has committed: the change is in the database, and a 503 saying otherwise made
    people send it twice. The view's answer goes out instead; only the session's refresh is
    lost (it expires sooner, or a step made in it must be made again). A session ended by
    another request still answers 400 when this request writes it (it changed the session, or
    moved its expiry on: an unchanged one is written at most once a step, see
    accounts/session_store.py, and otherwise its answer goes out), and an answer that was an
    error stays one.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            return super().process_response(request, response)
        except (DatabaseError, SessionInterrupted) as exc:
            if response.status_code >= 400 or not _database_lost(exc):
                raise
            log.warning("session not saved: the database was lost after the view answered")
            return response
