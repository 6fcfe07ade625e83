"""The log filter removes addresses and secrets but leaves clock times readable."""

from __future__ import annotations

import io
import logging
import sys

import pytest
from django.test import Client
from django.urls import reverse

from corridor.core.logging import NO_ROUTE, ScrubFilter, route_of, scrub
from corridor.web.views import UNSEAL_ROUTE


def test_addresses_are_removed_and_times_kept() -> None:
    line = "06:42:51 GET /help/ from 203.0.113.7 via 2001:db8::1 and fe80:0:0:0:0:0:0:1"
    assert scrub(line) == "06:42:51 GET /help/ from [address] via [address] and [address]"


def test_secret_looking_values_are_masked() -> None:
    assert scrub("password=hunter2 token: crd_abc share=ABCD-EFGH") == "password=[masked] token: [masked] share=[masked]"


# -- request lines, paths and exceptions (invariant 11) ------------------------------------------


def test_routes_mask_every_variable_segment_and_drop_the_query() -> None:
    token = "Xk29fLq0Pz-enrolment-7Hd"
    assert route_of(f"/accounts/enrol/{token}/?next=/people/") == "/accounts/enrol/…/"
    assert route_of("/people/?q=Заурбек+Мусаев") == "/people/"
    assert route_of("/cases/0b4e8a36-8c51-4a1e-9d0a-6c1f3f8e2d11/notes/") == "/cases/…/notes/"
    assert route_of("/api/v1/people/0b4e8a36-8c51-4a1e-9d0a-6c1f3f8e2d11/") == "/api/v1/people/…/"
    assert route_of("/accounts/users/12/disable/") == "/accounts/users/…/…/"
    assert route_of("/static/corridor/cases.css") == "/static/…"
    # A path that reaches no route may be anything typed into the address bar.
    assert route_of("/people/Zaurbek Musaev/") == NO_ROUTE
    assert route_of("/Заурбек") == NO_ROUTE


def test_the_unseal_page_is_named_not_shown() -> None:
    # The view says so itself (@address_withheld); the scrubber knows no page by name.
    path = reverse("web:unseal")
    assert route_of(path + "?x=1") == UNSEAL_ROUTE == "[unseal page]"
    assert scrub(f"GET {path} HTTP/1.1") == "GET [unseal page] HTTP/1.1"


def test_urls_in_log_text_lose_their_query_and_tokens_but_file_paths_stay() -> None:
    line = "Error handling request GET /accounts/enrol/Xk29fLq0Pz/?q=Zaurbek HTTP/1.1 in /work/corridor/web/views.py"
    assert scrub(line) == "Error handling request GET /accounts/enrol/…/ HTTP/1.1 in /work/corridor/web/views.py"
    assert scrub("Invalid HTTP request line: 'GET /people/?q=Zaurbek'") == "Invalid HTTP request line: 'GET /people/'"
    assert scrub("see https://corridor.example/people/?q=Zaurbek") == "see /people/"


def _formatted(record: logging.LogRecord) -> str:
    assert ScrubFilter().filter(record)
    return logging.Formatter("%(levelname)s %(message)s").format(record)


def test_a_typed_path_in_djangos_not_found_line_is_not_logged() -> None:
    class Request:
        path = path_info = "/people/Zaurbek-Musaev/"

    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "%s: %s", ("Not Found", Request.path), None)
    record.request = Request()
    assert _formatted(record) == "WARNING Not Found: [no route]"


def test_exception_messages_are_withheld_from_logged_tracebacks() -> None:
    typed = "Zaurbek-" + "Musaev"  # not on one source line: tracebacks show source lines
    try:
        try:
            int(typed)
        except ValueError as exc:
            raise RuntimeError(f"while reading {typed!r}") from exc
    except RuntimeError:
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s", ("/x",), sys.exc_info())
    text = _formatted(record)
    assert "Zaurbek" not in text
    assert text.count("Traceback (most recent call last):") == 2
    assert text.endswith("RuntimeError (message withheld from the log)")
    assert "ValueError (message withheld from the log)" in text and "int(typed)" in text


@pytest.mark.django_db
def test_nothing_typed_reaches_djangos_log_through_a_real_request() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    logging.getLogger("django.request").addHandler(handler)
    try:
        Client().get("/accounts/enrol/Zaurbek-Musaev-Token/?q=Zaurbek")
        Client().get("/nowhere/Zaurbek-Musaev/")
    finally:
        logging.getLogger("django.request").removeHandler(handler)
    assert stream.getvalue() == "Not Found: /accounts/enrol/…/\nNot Found: [no route]\n"


def test_django_logs_only_through_the_scrubbing_handler() -> None:
    """Django's default handlers print paths unscrubbed (console, under DEBUG) or mail whole
    requests (mail_admins): none is left, and every handler that remains scrubs."""
    assert logging.getLogger("django").handlers == []
    root_handlers = logging.getLogger().handlers
    configured = [h for h in root_handlers if any(isinstance(f, ScrubFilter) for f in h.filters)]
    assert len(configured) == 1
