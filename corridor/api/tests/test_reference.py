"""/api/v1/ answers with an index of the API, and /api/reference/ describes it, both from the schema."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from corridor.accounts.testing import seal
from corridor.api import reference

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def _schema_operations() -> list[tuple[str, str]]:
    paths = reference.schema()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in METHODS if method in item]


def test_the_api_root_is_a_json_index_of_every_operation_in_the_schema() -> None:
    response = Client().get("/api/v1/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert (body["name"], body["version"]) == ("Corridor API", "1")
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["reference"] == "http://testserver/api/reference/"
    assert [(op["method"], op["path"]) for op in body["operations"]] == _schema_operations()
    me = [op for op in body["operations"] if op["path"] == "/api/v1/me/"]
    assert me == [
        {
            "method": "GET",
            "path": "/api/v1/me/",
            "operation_id": "v1_me_retrieve",
            "summary": "The authenticated user, their role and teams",
        }
    ]


def test_the_index_and_the_reference_answer_while_sealed_and_refuse_writes() -> None:
    seal()
    assert Client().get(reverse("api-index")).status_code == 200
    assert Client().get(reverse("api-reference")).status_code == 200
    assert Client().post(reverse("api-index")).status_code == 405


def test_the_reference_page_describes_every_operation_with_no_other_host() -> None:
    page = Client().get(reverse("api-reference")).content.decode()
    for method, path in _schema_operations():
        assert f"<h2><code>{method} {path}</code></h2>" in page, (method, path)
    # An answer's body links to the schema it names, and the schema is on the page.
    assert 'href="#schema-Case"' in page
    assert '<section id="schema-Case" class="api-schema">' in page
    assert "one of: emergency, urgent, normal" in page
    assert re.findall(r'(?:src|href)="(?:https?:)?//', page) == []
    assert re.findall(r"<script", page) == ["<script"]  # the base template's own htmx, from this server


def test_the_reference_page_speaks_russian_around_the_schema() -> None:
    page = Client(headers={"accept-language": "ru"}).get(reverse("api-reference")).content.decode()
    assert "<h1>Справочник API</h1>" in page
