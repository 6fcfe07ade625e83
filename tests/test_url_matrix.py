"""Every URL name the resolver knows has an access matrix, or is public on purpose (issue 10, item 4).

The matrices are the `ROUTES` of the modules in MATRICES: `Route`s named after the URL name they
request (check_matrix asserts the address resolves to that name). A new view fails here until it
gets a matrix entry, or a line on PUBLIC saying why anyone may open it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from corridor.accounts.testing import Route, check_matrix, seal
from corridor.core.decorators import is_public, works_while_sealed

MATRICES = (
    "corridor.accounts.tests.test_access",
    "corridor.cases.tests.test_api",
    "corridor.cases.tests.test_views_cases",
    "corridor.cases.tests.test_views_documents",
    "corridor.cases.tests.test_views_people",
    "corridor.cases.tests.test_views_safehouses",
    "corridor.cases.tests.test_views_workflow",
    "corridor.documentation.tests.test_api",
    "corridor.documentation.tests.test_views",
    "corridor.intake.tests.test_look",
    "corridor.intake.tests.test_questionnaire",
    "corridor.intake.tests.test_triage",
    "corridor.notifications.tests.test_views",
    "corridor.relocation.tests.test_access",
    "corridor.statistics.tests.test_api",
    "corridor.statistics.tests.test_views",
    "corridor.transfer.tests.test_erasure_views",
    "corridor.transfer.tests.test_import_views",
    "corridor.transfer.tests.test_referral_views",
    "corridor.transfer.tests.test_api_referrals_approve_import",
)

# Views anyone may open, each with the reason. Every one is marked @public, and every view marked
# @public is here.
PUBLIC = {
    "accounts:login": "signing in starts here",
    "accounts:verify": "the second step of signing in; it needs the half-signed-in session the first step left",
    "accounts:enrol": "a new member's enrolment link; the token in the address is the credential",
    "accounts:setup_totp": "an enrolling member adds an authenticator; the view checks the session itself",
    "accounts:webauthn_login_options": "signing in with a security key, before anyone is signed in",
    "accounts:webauthn_login_verify": "signing in with a security key, before anyone is signed in",
    "web:unseal": "trustees enter their shares while no sign-in can work; a share is the credential",
    "web:health": "the liveness probe; it says only sealed or unsealed",
    "web:language": "the language switch on every page, the sign-in and the intake included",
    "api-schema": "the OpenAPI description of the API: no data",
    "api-index": "the API's index, read from its schema (operations and where the schema is): no data",
    "api-reference": "the API reference page, read from its schema: no data",
    "intake:help": "a person at risk asks for help anonymously",
    "intake:return": "that person comes back with their secret to read replies",
    "intake:send": "that person writes again with their secret",
    "intake:logo": "the organisation's logo on the public help pages (none when the page names no one)",
    "intake:leave": "advice on leaving the help pages and clearing the browser's history",
}


def _patterns(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str | None, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _patterns(entry, inner)
        elif "format" in entry.pattern.regex.groupindex:
            continue  # DRF's format-suffix duplicate (`.json`) of a pattern listed without it
        else:
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name, entry


def url_patterns() -> dict[str, URLPattern]:
    """Every named URL pattern, by its full name; an unnamed pattern is a failure of its own."""
    found: dict[str, URLPattern] = {}
    unnamed = []
    for name, pattern in _patterns(get_resolver()):
        if name is None:
            unnamed.append(str(pattern.pattern))
        else:
            found.setdefault(name, pattern)
    assert unnamed == [], "URL patterns without a name cannot be given a matrix"
    return found


def matrix_routes() -> list[Route]:
    routes: list[Route] = []
    for module in MATRICES:
        routes.extend(importlib.import_module(module).ROUTES)
    return routes


def test_every_matrix_module_runs_its_routes() -> None:
    """A route counts only if a test of its module uses the list it is in (ROUTES, or the lists
    ROUTES is made of), and the module checks with check_matrix."""
    for name in MATRICES:
        module = importlib.import_module(name)
        tree = ast.parse(inspect.getsource(module))
        tests = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
        used = {node.id for test in tests for node in ast.walk(test) if isinstance(node, ast.Name)}
        lists = [value for value in (getattr(module, used_name, None) for used_name in used) if isinstance(value, list)]
        run = {id(route) for routes in lists for route in routes if isinstance(route, Route)}
        assert [route.name for route in module.ROUTES if id(route) not in run] == [], name
        assert module.check_matrix is check_matrix, name


def test_every_url_name_has_a_matrix_entry_or_is_public() -> None:
    names = set(url_patterns())
    covered = {route.name for route in matrix_routes()}
    assert sorted(names - covered - set(PUBLIC)) == []
    # Names no URL has any more: a renamed view would otherwise keep a matrix that checks nothing.
    assert sorted(covered - names) == []
    assert sorted(set(PUBLIC) - names) == []
    assert sorted(covered & set(PUBLIC)) == []
    # At the time of writing: 117 names, 104 with a matrix, 13 public.
    assert len(covered) + len(PUBLIC) == len(names)


def test_the_public_list_is_exactly_the_views_marked_public() -> None:
    marked = {name for name, pattern in url_patterns().items() if is_public(pattern.callback)}
    assert marked == set(PUBLIC)


def test_only_public_views_answer_while_sealed() -> None:
    sealed_ok = {name for name, pattern in url_patterns().items() if works_while_sealed(pattern.callback)}
    assert sealed_ok - set(PUBLIC) == set()


def _sample_kwargs(pattern: URLPattern) -> dict[str, Any]:
    """Arguments that fit the pattern; the sealed wall answers before any object is looked up."""
    if isinstance(pattern.pattern, RoutePattern):
        samples = {"UUIDConverter": uuid.uuid4(), "IntConverter": 1}
        return {key: samples.get(type(conv).__name__, "x") for key, conv in pattern.pattern.converters.items()}
    assert isinstance(pattern.pattern, RegexPattern)
    return {key: "x" for key in pattern.pattern.regex.groupindex}


@pytest.mark.django_db
def test_every_url_but_the_public_few_answers_sealed_while_sealed() -> None:
    """The sealed column for every address, whether or not a matrix reaches it."""
    patterns = url_patterns()
    seal()
    reference = Client().get(reverse("web:dashboard")).content
    api_reference = Client().get(reverse("api-me")).json()
    assert api_reference["error"]["code"] == "sealed"
    checked = 0
    for name, pattern in sorted(patterns.items()):
        if works_while_sealed(pattern.callback):
            continue
        url = reverse(name, kwargs=_sample_kwargs(pattern))
        for method in ("get", "post"):
            response = getattr(Client(), method)(url)
            assert response.status_code == 503, (name, method, response.status_code)
            if url.startswith("/api/"):
                assert response.json() == api_reference, (name, method)
            else:
                assert response.content.replace(url.encode(), b"/") == reference, (name, method)
            checked += 1
    assert checked == 2 * sum(1 for pattern in patterns.values() if not works_while_sealed(pattern.callback))
