"""Tells the audit log which door a request came through, so a read is recorded as a page
view or an API read (LogAudit.READ / READ_API) without every view saying so."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from corridor.audit import log

API_PREFIX = "/api/"


class ReadChannelMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        with log.reading_through_api():
            return self.get_response(request)
