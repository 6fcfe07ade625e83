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
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
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
