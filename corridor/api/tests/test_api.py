"""API skeleton: token authentication, error bodies, the schema, and the sealed answer."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import ApiToken, Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.keys import instance

pytestmark = pytest.mark.django_db


def _token_for(username: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("token", "create", username, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_token_create_prints_token_alone_on_last_line_and_stores_only_hmac() -> None:
    user = make_staff(Role.CASEWORKER)
    token = _token_for(user.username)
    assert token.startswith("crd_") and " " not in token
    record = ApiToken.objects.get(user=user)
    assert token not in record.digest and record.digest != token
    response = Client().get(reverse("api-me"), headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json() == {"username": user.username, "role": "caseworker", "teams": []}


def test_bad_and_revoked_tokens_get_a_clear_401() -> None:
    user = make_staff(Role.CASEWORKER)
    token = _token_for(user.username)
    call_command("token", "revoke", token[:10])
    for header in (f"Bearer {token}", "Bearer crd_nonsense", "Basic abc", "Bearer"):
        response = Client().get(reverse("api-me"), headers={"authorization": header})
        assert response.status_code == 401
        body = response.json()
        assert set(body) == {"error"}
        assert body["error"]["code"] in ("authentication_failed", "not_authenticated")
        assert body["error"]["message"]


def test_trustee_tokens_are_refused() -> None:
    trustee = make_staff(Role.TRUSTEE)
    record, token = ApiToken.issue(trustee)
    assert Client().get(reverse("api-me"), headers={"authorization": f"Bearer {token}"}).status_code == 401


def test_session_without_second_factor_is_not_api_authenticated() -> None:
    user = make_staff(Role.CASEWORKER, factor=False)
    client = Client()
    client.force_login(user, backend="corridor.accounts.backends.PasswordBackend")
    assert client.get(reverse("api-me")).status_code in (401, 403)
    verified = sign_in(Client(), make_staff(Role.CASEWORKER))
    assert verified.get(reverse("api-me")).status_code == 200


def test_unknown_api_path_is_json_404_not_500() -> None:
    user = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), user)
    assert client.get("/api/v1/nothing-here/").status_code == 404


def test_schema_is_served_and_lists_endpoints() -> None:
    response = Client().get(reverse("api-schema"), headers={"accept": "application/json"})
    assert response.status_code == 200
    assert b"/api/v1/me/" in response.content


def test_api_answers_503_sealed_with_json_body() -> None:
    user = make_staff(Role.CASEWORKER)
    token = _token_for(user.username)
    instance.keyring().seal()
    response = Client().get(reverse("api-me"), headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "sealed"


def test_a_session_post_without_csrf_token_gets_the_api_error_body_and_pages_keep_the_html_page() -> None:
    """Before, the API's plain views (the index) answered with Django's HTML 403 page, and DRF's
    views with the generic `permission_denied`; now both say `csrf_failed` and why, in JSON."""
    client = sign_in(Client(enforce_csrf_checks=True), make_staff(Role.CASEWORKER))
    client.get(reverse("web:dashboard"))  # the browser holds a CSRF cookie, as a hostile page's post would
    for url in (reverse("api-index"), reverse("api-me"), "/api/v1/cases/"):
        response = client.post(url, {}, content_type="application/json")
        assert (response.status_code, response["Content-Type"]) == (403, "application/json"), url
        assert response.json() == {
            "error": {
                "code": "csrf_failed",
                "message": "The CSRF check failed (CSRF token missing). A signed-in session must send the page's "
                "CSRF token in the X-CSRFToken header; scripts use an API token instead.",
                "fields": {},
            }
        }, url
    page = client.post(reverse("web:dashboard"), {})
    assert (page.status_code, page["Content-Type"]) == (403, "text/html; charset=utf-8")
    assert b"CSRF verification failed" in page.content


def test_the_schema_declares_the_csrf_refusal_with_every_403() -> None:
    schema = Client().get(reverse("api-schema"), headers={"accept": "application/json"}).json()
    answer = schema["paths"]["/api/v1/me/"]["get"]["responses"]["403"]
    assert "`csrf_failed`" in answer["description"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
