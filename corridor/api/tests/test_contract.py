"""The API keeps its contract: every answer an operation gives is one its schema declares.

Found by schemathesis (scripts/api-fuzz, run by `make check`): OPTIONS answered 500 on every
view set; the relocation endpoints answered 403 and 404 without declaring them; form-encoded
bodies that the schema offered could not express the nested fields and were refused.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from typing import Any

import pytest
from django.test import Client

from corridor.accounts.models import ApiToken, Role, Team
from corridor.accounts.testing import make_staff
from corridor.cases import domain

pytestmark = pytest.mark.django_db

COMMON = {"401", "403", "429", "503"}
STAFF_ROLES = (Role.ADMIN, Role.HOTLINE, Role.CASEWORKER, Role.RELOCATION, Role.DOCUMENTATION, Role.AUDITOR)


def _schema() -> dict[str, Any]:
    response = Client().get("/api/schema/", headers={"accept": "application/json"})
    assert response.status_code == 200
    return dict(response.json())


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _api(role: str, team: Team | None = None) -> Client:
    user = make_staff(role, teams=[team] if team else [])
    _record, value = ApiToken.issue(user)
    return Client(headers={"authorization": f"Bearer {value}"}, raise_request_exception=False)


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_options_answers_every_endpoint_with_the_methods_it_declares() -> None:
    """Found by schemathesis: OPTIONS answered 500 on every view set (no serializer_class to introspect)."""
    schema = _schema()
    client = _api(Role.CASEWORKER, Team.objects.create(name="North"))
    answered = {}
    for path, item in schema["paths"].items():
        numeric = "programmes/{id}" in path or "vocabulary/{id}" in path  # integer ids
        response = client.options(_fill(path, "1") if numeric else _fill(path, str(uuid.uuid4())))
        declared = {method.upper() for method in item if method in {"get", "post", "put", "patch", "delete"}}
        allowed = {method.strip() for method in response.get("Allow", "").split(",")} - {"OPTIONS", "HEAD"}
        answered[path] = (response.status_code, allowed == declared, response.json().get("schema"))
    assert answered == {path: (200, True, "/api/schema/") for path in schema["paths"]}


def test_every_operation_declares_the_common_error_answers_with_the_error_body() -> None:
    schema = _schema()
    missing = {}
    for path, method, operation in _operations(schema):
        declared = set(operation["responses"])
        needed = set(COMMON)
        if "{" in path:
            needed.add("404")
        if "requestBody" in operation:
            needed |= {"400", "415"}
        if needed - declared:
            missing[f"{method.upper()} {path}"] = sorted(needed - declared)
        for status in needed - {"409"}:
            content = operation["responses"].get(status, {}).get("content", {})
            assert content.get("application/json", {}).get("schema") == {"$ref": "#/components/schemas/Error"}, (path, status)
    assert missing == {}
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]


def test_undeclared_relocation_refusals_are_now_declared() -> None:
    """Found by schemathesis: a caseworker got 403 from /contacts/ and 404 from an unknown application, undeclared."""
    schema = _schema()
    client = _api(Role.CASEWORKER, Team.objects.create(name="North"))
    contacts = client.get("/api/v1/relocation/contacts/")
    application = client.get(f"/api/v1/relocation/applications/{uuid.uuid4()}/")
    programme = client.patch("/api/v1/relocation/programmes/999999/", {}, content_type="application/json")
    assert (contacts.status_code, application.status_code, programme.status_code) == (403, 404, 403)
    assert "403" in schema["paths"]["/api/v1/relocation/contacts/"]["get"]["responses"]
    assert "404" in schema["paths"]["/api/v1/relocation/applications/{id}/"]["get"]["responses"]
    assert "403" in schema["paths"]["/api/v1/relocation/programmes/{id}/"]["patch"]["responses"]
    assert contacts.json()["error"]["code"] == "permission_denied"


def test_a_form_encoded_body_is_refused_with_a_declared_415() -> None:
    """Found by schemathesis: the schema offered form encodings the nested fields cannot travel in (400)."""
    team = Team.objects.create(name="North")
    client = _api(Role.CASEWORKER, team)
    response = client.post("/api/v1/people/", {"names": "Ахмед", "confirm_not_duplicate": "true"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    request_body = _schema()["paths"]["/api/v1/people/"]["post"]["requestBody"]
    assert list(request_body["content"]) == ["application/json"]


def test_text_that_may_not_be_blank_says_so_in_the_schema() -> None:
    """Found by schemathesis: {"reason": ""} fitted the schema and was refused with 400."""
    components = _schema()["components"]["schemas"]
    assert components["CaseTransitionRequest"]["properties"]["reason"]["minLength"] == 1
    assert components["SafeHouseDetailRequest"]["properties"]["address"]["minLength"] == 1
    # What the server sets is not offered as input.
    assert "id" not in components["NoteRequest"]["properties"]


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_operation_answers_a_declared_status_for_every_staff_role(role: str) -> None:
    """A smoke version of the fuzz run: each operation once, with an empty JSON body, for each role."""
    team = Team.objects.create(name="North")
    caseworker = make_staff(Role.CASEWORKER, teams=[team])
    person = domain.create_person(caseworker, names=[{"name": "Ахмед Ахмедов", "kind": "legal"}])
    case = domain.open_case(caseworker, team=team, principal=person, dependants=[], priority="normal")
    client = _api(role, team)
    schema = _schema()
    undeclared = {}
    for path, method, operation in _operations(schema):
        url = _fill(path.replace("{case_id}", str(case.pk)), "1" if "programmes" in path else str(uuid.uuid4()))
        if method == "get":
            response = client.get(url)
        else:
            response = getattr(client, method)(url, {}, content_type="application/json")
        if str(response.status_code) not in operation["responses"]:
            undeclared[f"{method.upper()} {path}"] = response.status_code
    assert undeclared == {}


def test_a_path_the_api_does_not_route_answers_the_json_error_body() -> None:
    """Found by schemathesis: /programmes/abc/ missed the <int:pk> pattern and got the HTML 404 page."""
    client = _api(Role.RELOCATION, Team.objects.create(name="North"))
    response = client.get("/api/v1/relocation/programmes/abc/")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    assert Client().get("/no-such-page/").status_code == 404
    assert Client().get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_an_empty_filter_is_refused_as_the_schema_says() -> None:
    """Found by schemathesis: `?status=` fell outside the enum yet answered 200 with every case."""
    client = _api(Role.CASEWORKER, Team.objects.create(name="North"))
    response = client.get("/api/v1/cases/", {"status": ""})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["status"]
    assert client.get("/api/v1/cases/", {"status": "new"}).status_code == 200


def test_patching_a_need_with_nothing_changes_nothing() -> None:
    """Found by schemathesis: the PATCH schema makes `status` optional, but {} was refused with 400."""
    team = Team.objects.create(name="North")
    caseworker = make_staff(Role.CASEWORKER, teams=[team])
    person = domain.create_person(caseworker, names=[{"name": "Ахмед", "kind": "legal"}])
    case = domain.open_case(caseworker, team=team, principal=person, dependants=[], priority="normal")
    need = domain.add_need(caseworker, case, "medical")
    client = _api(Role.CASEWORKER, team)
    url = f"/api/v1/cases/{case.pk}/needs/{need.pk}/"
    response = client.patch(url, {}, content_type="application/json")
    assert (response.status_code, response.json()["status"]) == (200, "open")
    changed = client.patch(url, {"status": "met"}, content_type="application/json")
    assert (changed.status_code, changed.json()["status"]) == (200, "met")


def test_nested_input_errors_name_the_field_instead_of_a_python_repr() -> None:
    """Found by schemathesis: an error inside `names` came back as "{'non_field_errors': [ErrorDetail(...)]}"."""
    client = _api(Role.CASEWORKER, Team.objects.create(name="North"))
    response = client.post(
        "/api/v1/people/",
        {"names": [{"name": "Ахмед"}, {"name": ""}], "confirm_not_duplicate": True},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"names.1.name": ["This field may not be blank."]}
    empty = client.post("/api/v1/people/", {"names": [], "confirm_not_duplicate": True}, content_type="application/json")
    assert empty.json()["error"]["fields"] == {"names": ["This list may not be empty."]}


def test_optional_relocation_text_is_answered_as_the_declared_string() -> None:
    """Found by schemathesis: a contact without details answered `"details": null` where a string is declared."""
    coordinator = make_staff(Role.RELOCATION, teams=[Team.objects.create(name="North")])
    _record, value = ApiToken.issue(coordinator)
    client = Client(headers={"authorization": f"Bearer {value}"})
    created = client.post(
        "/api/v1/relocation/contacts/",
        {"country": "LT", "kind": "embassy", "organisation": "Embassy", "name": "Consul"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    answer = client.get(f"/api/v1/relocation/contacts/{created.json()['id']}/")
    assert answer.json()["details"] == ""


def test_schema_extensions_are_resolved_before_the_first_request() -> None:
    """Found by the fuzz run: two threads asking for /api/schema/ first at once got a 500, because
    drf-spectacular resolved its extensions' target classes lazily in whichever thread came first."""
    code = (
        "import django; django.setup()\n"
        "from drf_spectacular import extensions as e\n"
        "bases = (e.OpenApiAuthenticationExtension, e.OpenApiSerializerExtension, e.OpenApiSerializerFieldExtension,"
        " e.OpenApiViewExtension, e.OpenApiFilterExtension)\n"
        "print(sum(isinstance(x.target_class, str) for b in bases for x in b._registry), sum(len(b._registry) for b in bases))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "corridor.settings_test"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    unresolved, registered = map(int, result.stdout.split())
    assert (unresolved, registered > 10) == (0, True)


def test_text_longer_than_the_schema_allows_is_refused_even_with_whitespace_around_it() -> None:
    """Found by schemathesis: a 44-character language starting with spaces was trimmed and stored."""
    client = _api(Role.CASEWORKER, Team.objects.create(name="North"))
    body = {"names": [{"name": "Ахмед"}], "languages": ["    " + "x" * 38], "confirm_not_duplicate": True}
    response = client.post("/api/v1/people/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"languages.0": ["Ensure this field has no more than 40 characters."]}


def test_relocation_text_fields_take_only_strings() -> None:
    """Found by schemathesis: `"details": 0` was stored as the text "0"."""
    client = _api(Role.RELOCATION, Team.objects.create(name="North"))
    body = {"country": "LT", "kind": "embassy", "organisation": "Embassy", "name": "Consul", "details": 0}
    response = client.post("/api/v1/relocation/contacts/", body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["details"]


def test_a_write_without_a_body_declares_the_refusal_it_can_answer() -> None:
    """Found by schemathesis: closing an approach with no open next step answered an undeclared 400."""
    responses = _schema()["paths"]["/api/v1/relocation/engagements/{id}/close/"]["post"]["responses"]
    assert "400" in responses
