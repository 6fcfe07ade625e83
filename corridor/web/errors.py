"""Error pages in the site's own layout, with no detail that could help a probe."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"code": 404}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"code": 400}, status=400)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"code": 403}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        return render(request, "web/error.html", {"code": 500}, status=500)
    except Exception:  # the error page must never fail in turn; plain text is enough
        return HttpResponse("Something went wrong. Nothing was saved.", status=500, content_type="text/plain")
