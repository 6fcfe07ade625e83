"""Error pages in the site's own layout, with no detail that could help a probe; under /api/
the API's one JSON error body instead (corridor/api/errors.py), as its schema declares."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

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


def server_error(request: HttpRequest) -> HttpResponse:
    api = _api_error(request, 500)
    if api is not None:
        return api
    try:
        return render(request, "core/error.html", {"code": 500}, status=500)
    except Exception:  # the error page must never fail in turn; plain text is enough
        return HttpResponse("Something went wrong. Nothing was saved.", status=500, content_type="text/plain")
