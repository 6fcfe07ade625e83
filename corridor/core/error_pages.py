"""Error pages in the site's own layout, with no detail that could help a probe; under /api/
the API's one JSON error body instead (corridor/api/errors.py), as its schema declares."""

from __future__ import annotations

import sys

from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import csrf

from corridor.keys import api as keys

_API_ERRORS = {
    400: ("bad_request", "Bad request."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    500: ("server_error", "Something went wrong. Nothing was saved."),
}


def _api_error(request: HttpRequest, status: int) -> JsonResponse | None:
    # A path the API's URL patterns do not match (/api/v1/relocation/programmes/abc/) never
    # reaches DRF; it still answers in the API's own shape.
    if not request.path.startswith("/api/"):
        return None
    code, message = _API_ERRORS[status]
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _api_error(request, 404) or render(request, "core/error.html", {"code": 404}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _api_error(request, 400) or render(request, "core/error.html", {"code": 400}, status=400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _api_error(request, 403) or render(request, "core/error.html", {"code": 403}, status=403)


def csrf_refusal_message(reason: str) -> str:
    """Why an API request was refused by the CSRF check, and what to do instead.

    One wording for both places the check runs: Django's middleware in front of the API's plain
    views (csrf_failure below) and DRF's session authentication (corridor/accounts/api_auth.py).
    `reason` is Django's own (e.g. "CSRF token missing."); it names no person and no secret.
    """
    return _(
        "The CSRF check failed (%(reason)s). A signed-in session must send the page's CSRF token "
        "in the X-CSRFToken header; scripts use an API token instead."
    ) % {"reason": reason.rstrip(".")}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: under /api/ the API's error body with code `csrf_failed` (its schema
    declares it with every 403); elsewhere Django's own page, which pages and their tests know.

    Without this, the API's plain views (the index, the reference) answered a session's POST
    without a token with Django's HTML page, unlike every other refusal of the API.
    """
    if not request.path.startswith("/api/"):
        return csrf.csrf_failure(request, reason)
    body = {"error": {"code": "csrf_failed", "message": csrf_refusal_message(reason), "fields": {}}}
    return JsonResponse(body, status=403)


# How long a client should wait before trying again when the database cannot be reached.
RETRY_AFTER_SECONDS = 30
# What SQLite ("database or disk is full") and PostgreSQL (DiskFull: "No space left on device",
# "could not extend file") say when the disk is full.
_DISK_FULL = ("disk is full", "no space left on device", "could not extend file")


def _is_disk_full(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(marker in text for marker in _DISK_FULL)


def unavailable(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 while the database cannot be reached (restarting, connections cut), 507 when its disk
    is full: the transaction rolled back, so nothing was half-written, and trying again later works.

    Rendered without the database: the page must not ask it who is signed in.
    """
    disk_full = _is_disk_full(exc)
    status = 507 if disk_full else 503
    if disk_full:
        code, message = "disk_full", _("The server's disk is full. Nothing was saved. Tell your administrator.")
    else:
        code, message = "unavailable", _("The database cannot be reached just now. Nothing was saved. Try again in a minute.")
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status, headers=headers)
    request.user = AnonymousUser()  # the lazy user would query the database
    try:
        response = render(request, "core/error.html", {"code": status, "message": message}, status=status)
    except Exception:  # the error page must never fail in turn; plain text is enough
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response.headers[name] = value
    return response


def sealed(request: HttpRequest) -> HttpResponse:
    """The sealed wall's own answer (corridor/core/middleware.py) for a request that passed it
    just before the instance was sealed or keyd stopped answering: sealed, not broken."""
    if request.path.startswith("/api/"):
        body = {"error": {"code": "sealed", "message": _("The instance is sealed. Trustees must unseal it.")}}
        return JsonResponse(body, status=503, headers={"Retry-After": "60"})
    request.user = AnonymousUser()  # no staff page answers while sealed: the menu offers none
    return TemplateResponse(request, "core/sealed.html", status=503, headers={"Retry-After": "60"}).render()


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, from a view or a middleware alike (a
    # session read while the database restarts): a lost database is a 503, not a defect.
    exc = sys.exception()
    if isinstance(exc, (OperationalError, InterfaceError)):
        return unavailable(request, exc)
    if isinstance(exc, (keys.Sealed, keys.KeyServiceUnavailable)):
        return sealed(request)
    api = _api_error(request, 500)
    if api is not None:
        return api
    try:
        return render(request, "core/error.html", {"code": 500}, status=500)
    except Exception:  # the error page must never fail in turn; plain text is enough
        return HttpResponse("Something went wrong. Nothing was saved.", status=500, content_type="text/plain")
