"""Security keys and passkeys: the JSON endpoints' refusals, and the whole ceremony in Chromium.

The browser test uses Chromium's virtual authenticator, so every signature checked here is
real; the unit tests cover what a hostile or broken client can send.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from corridor.accounts import webauthn
from corridor.accounts.models import RecoveryCodeDevice, Role, User, WebAuthnCredential
from corridor.accounts.testing import PASSWORD, make_staff, sign_in, totp_now

pytestmark = pytest.mark.django_db

READ_ERROR = "The browser sent something that could not be read. Please try again."
EXPIRED = "This request has expired. Please try again."


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def post_json(client: Client, name: str, body: Any) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(reverse(name), data=raw, content_type="application/json")


def add_key(user: User, credential_id: bytes, name: str = "Key") -> WebAuthnCredential:
    # Public key bytes are never reached by these tests: each request fails before the signature.
    return WebAuthnCredential.objects.create(
        user=user, name=name, confirmed=True, credential_id=credential_id, public_key=b"\xa0", transports=["usb"]
    )


def pending(user: User) -> Client:
    """A client that has given the password and now owes the second factor."""
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:verify")
    return client


def assertion(credential_id: bytes) -> dict[str, Any]:
    """Well-formed enough to be parsed; its signature would never verify."""
    return {
        "id": b64(credential_id),
        "rawId": b64(credential_id),
        "type": "public-key",
        "response": {
            "clientDataJSON": b64(b'{"type":"webauthn.get"}'),
            "authenticatorData": b64(b"\x00" * 37),
            "signature": b64(b"\x01" * 70),
        },
    }


MALFORMED_BODIES: list[Any] = [
    "not json",
    b"\xff\xfe",
    "[]",
    "{}",
    {"credential": "a string"},
    {"credential": {}},
    {"credential": {"id": "x", "rawId": "***", "type": "public-key", "response": {}}},
    {
        "credential": {
            "id": "abc",
            "rawId": "abc",
            "type": "public-key",
            "response": {"clientDataJSON": "%%%", "attestationObject": "$$$", "authenticatorData": "!!", "signature": "@@"},
        }
    },
    {
        "credential": {
            "id": b64(b"k"),
            "rawId": b64(b"k"),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(b"\x00not json"),
                "attestationObject": b64(b"\xff" * 40),
                "authenticatorData": b64(b"\x00"),
                "signature": b64(b""),
            },
        }
    },
]


# -- Registration ------------------------------------------------------------------------


@pytest.mark.parametrize("body", MALFORMED_BODIES)
def test_register_verify_answers_400_to_malformed_input_and_saves_nothing(body: Any) -> None:
    user = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), user)
    assert post_json(client, "accounts:webauthn_register_options", {}).status_code == 200
    response = post_json(client, "accounts:webauthn_register_verify", body)
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)
    assert response.json()["error"] != ""
    assert WebAuthnCredential.objects.count() == 0
    assert RecoveryCodeDevice.objects.filter(user=user).count() == 0


def _two_with_keys() -> tuple[User, User]:
    """A caseworker with the key b"mine" and another with b"theirs"."""
    user, outsider = make_staff(Role.CASEWORKER), make_staff(Role.CASEWORKER)
    add_key(user, b"mine")
    add_key(outsider, b"theirs")
    return user, outsider


def test_register_options_exclude_own_keys_and_bind_the_challenge() -> None:
    user, outsider = _two_with_keys()
    client = sign_in(Client(), user)
    response = post_json(client, "accounts:webauthn_register_options", {})
    assert response.status_code == 200
    options = response.json()["options"]
    assert [item["id"] for item in options["excludeCredentials"]] == [b64(b"mine")]
    assert options["rp"]["id"] == "testserver"
    assert options["user"]["name"] == user.username
    # The user handle is opaque: not the primary key, stable across requests.
    assert options["user"]["id"] == b64(webauthn.user_handle(user))
    assert options["user"]["id"] != b64(str(user.pk).encode())
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    stored = client.session["corridor.webauthn.register"]
    assert bytes.fromhex(stored["challenge"]) == base64.urlsafe_b64decode(options["challenge"] + "==")
    assert stored["user"] == user.pk


def test_registration_needs_a_recent_confirmation_of_identity() -> None:
    user = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), user)
    session = client.session
    session["corridor.auth_at"] = time.time() - 3600
    session.save()
    response = post_json(client, "accounts:webauthn_register_options", {})
    assert response.status_code == 403
    assert response.json() == {
        "error": "Please confirm your identity first, then add the key again.",
        "reauth_url": reverse("accounts:reauth") + "?next=" + reverse("accounts:security"),
    }
    assert "corridor.webauthn.register" not in client.session
    assert post_json(client, "accounts:webauthn_register_verify", {"credential": {}}).status_code == 403


def test_registration_is_not_public() -> None:
    client = Client()
    response = post_json(client, "accounts:webauthn_register_options", {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    # Half-way through sign-in is not signed in either.
    user = make_staff(Role.CASEWORKER)
    response = post_json(pending(user), "accounts:webauthn_register_options", {})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_register_name_longer_than_60_characters_is_refused() -> None:
    user = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), user)
    post_json(client, "accounts:webauthn_register_options", {})
    response = post_json(client, "accounts:webauthn_register_verify", {"name": "x" * 61, "credential": {}})
    assert response.status_code == 400
    assert response.json() == {"error": "The name can be at most 60 characters."}
    assert webauthn.clean_name("  my   key ") == "my key"
    assert webauthn.clean_name("") == "Security key"


def test_ceremony_endpoints_accept_only_post() -> None:
    user = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), user)
    for name in ("webauthn_register_options", "webauthn_register_verify", "webauthn_login_options", "webauthn_login_verify"):
        assert client.get(reverse(f"accounts:{name}")).status_code == 405


# -- Sign-in -----------------------------------------------------------------------------


def test_login_options_without_a_pending_user_leak_nothing() -> None:
    user = make_staff(Role.CASEWORKER)
    add_key(user, b"mine")
    client = Client()
    response = post_json(client, "accounts:webauthn_login_options", {"username": user.username})
    assert response.status_code == 400
    assert response.json() == {"error": "Please sign in again.", "reauth_url": reverse("accounts:login")}
    assert "corridor.webauthn.login" not in client.session


def test_login_options_offer_only_the_pending_users_keys() -> None:
    user, outsider = _two_with_keys()
    client = pending(user)
    # A username in the request is ignored: the pending user decides.
    response = post_json(client, "accounts:webauthn_login_options", {"username": outsider.username})
    assert response.status_code == 200
    options = response.json()["options"]
    assert [item["id"] for item in options["allowCredentials"]] == [b64(b"mine")]
    assert options["userVerification"] == "preferred"
    assert options["rpId"] == "testserver"


def test_login_options_for_a_user_without_keys_are_refused() -> None:
    user = make_staff(Role.CASEWORKER)
    response = post_json(pending(user), "accounts:webauthn_login_options", {})
    assert response.status_code == 400
    assert response.json() == {"error": "No security key is registered for this account. Use a code instead."}


@pytest.mark.parametrize("body", MALFORMED_BODIES)
def test_login_verify_answers_400_to_malformed_input_and_signs_nobody_in(body: Any) -> None:
    user = make_staff(Role.CASEWORKER)
    add_key(user, b"k")
    client = pending(user)
    assert post_json(client, "accounts:webauthn_login_options", {}).status_code == 200
    response = post_json(client, "accounts:webauthn_login_verify", body)
    assert response.status_code == 400
    assert isinstance(response.json()["error"], str)
    assert response.json()["error"] != ""
    assert "_auth_user_id" not in client.session
    assert WebAuthnCredential.objects.get(user=user).sign_count == 0


def test_login_challenge_is_single_use() -> None:
    user = make_staff(Role.CASEWORKER)
    add_key(user, b"k")
    client = pending(user)
    post_json(client, "accounts:webauthn_login_options", {})
    first = post_json(client, "accounts:webauthn_login_verify", {"credential": {}})
    assert first.json() == {"error": READ_ERROR}
    second = post_json(client, "accounts:webauthn_login_verify", {"credential": assertion(b"k")})
    assert second.status_code == 400
    assert second.json() == {"error": EXPIRED}


def test_login_challenge_expires() -> None:
    user = make_staff(Role.CASEWORKER)
    add_key(user, b"k")
    client = pending(user)
    post_json(client, "accounts:webauthn_login_options", {})
    session = client.session
    # Set as a whole: Django writes a session only when a key is set (a nested change is not seen).
    session["corridor.webauthn.login"] = {**session["corridor.webauthn.login"], "expires": time.time() - 1}
    session.save()
    response = post_json(client, "accounts:webauthn_login_verify", {"credential": assertion(b"k")})
    assert response.json() == {"error": EXPIRED}


def test_login_with_another_users_key_is_refused() -> None:
    user, outsider = _two_with_keys()
    client = pending(user)
    post_json(client, "accounts:webauthn_login_options", {})
    response = post_json(client, "accounts:webauthn_login_verify", {"credential": assertion(b"theirs")})
    assert response.status_code == 400
    assert response.json() == {"error": "This security key is not registered for your account."}
    assert "_auth_user_id" not in client.session


def test_login_verify_without_a_pending_user_is_refused() -> None:
    user = make_staff(Role.CASEWORKER)
    add_key(user, b"k")
    response = post_json(Client(), "accounts:webauthn_login_verify", {"credential": assertion(b"k")})
    assert response.status_code == 400
    assert response.json()["error"] == "Please sign in again."


def test_rp_id_comes_from_settings_or_the_host_without_port(rf: Any, settings: Any) -> None:
    request = rf.get("/", HTTP_HOST="localhost:8123")
    assert webauthn.rp_id(request) == "localhost"
    assert webauthn.expected_origin(request) == "http://localhost:8123"
    settings.WEBAUTHN_RP_ID = "corridor.example.org"
    settings.WEBAUTHN_ORIGIN = "https://corridor.example.org/"
    assert webauthn.rp_id(request) == "corridor.example.org"
    assert webauthn.expected_origin(request) == "https://corridor.example.org"


def test_next_after_sign_in_stays_on_this_site(rf: Any) -> None:
    request = rf.post("/", HTTP_HOST="testserver")
    assert webauthn._safe_next(request, "/accounts/security/") == "/accounts/security/"
    for hostile in ("https://evil.example/", "//evil.example/", None, 42, ""):
        assert webauthn._safe_next(request, hostile) == reverse("web:dashboard")


# -- The whole ceremony in a real browser --------------------------------------------------


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _password_step(page: Any, base: str, user: User) -> None:
    page.goto(f"{base}{reverse('accounts:login')}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{reverse('accounts:verify')}*")


def _sign_out(page: Any, base: str) -> None:
    page.click(f"header form[action='{reverse('accounts:logout')}'] button")
    page.wait_for_url(f"{base}{reverse('accounts:login')}*")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_register_a_key_and_sign_in_with_it_in_chromium(live_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls made here
    # between page steps are ordinary blocking calls, as in tests/browser/conftest.py.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    user = make_staff(Role.CASEWORKER, username="keyholder")
    base = live_server.url.replace("127.0.0.1", "localhost")
    dashboard = f"{base}{reverse('web:dashboard')}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            cdp = page.context.new_cdp_session(page)
            cdp.send("WebAuthn.enable")
            authenticator = cdp.send(
                "WebAuthn.addVirtualAuthenticator",
                {
                    "options": {
                        "protocol": "ctap2",
                        "transport": "internal",
                        "hasResidentKey": True,
                        "hasUserVerification": True,
                        "isUserVerified": True,
                        "automaticPresenceSimulation": True,
                    }
                },
            )["authenticatorId"]

            # Sign in with password and authenticator app, through the real pages.
            _password_step(page, base, user)
            page.fill("#id_code", totp_now(user))
            page.click("form button[type=submit]")
            page.wait_for_url(dashboard)

            # Register a key: a fresh sign-in counts as a recent confirmation of identity.
            page.goto(f"{base}{reverse('accounts:security')}")
            page.fill("#webauthn-name", "Laptop passkey")
            with page.expect_response(lambda r: r.url.endswith(reverse("accounts:webauthn_register_verify"))) as registered:
                page.click("#webauthn-register-button")
            registration = registered.value.request.post_data
            assert registered.value.status == 200
            # The user had no recovery codes yet: they are shown once, as text.
            page.wait_for_selector("#webauthn-recovery-codes")
            shown = page.locator("#webauthn-recovery-codes code").all_inner_texts()
            assert len(shown) == 10
            assert RecoveryCodeDevice.objects.get(user=user).remaining() == 10
            assert page.locator("#webauthn-error").is_hidden()

            key = WebAuthnCredential.objects.get(user=user)
            assert key.name == "Laptop passkey"
            assert key.confirmed is True
            assert key.transports == ["internal"]
            stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
            assert [c["credentialId"] for c in stored] == [base64.b64encode(bytes(key.credential_id)).decode()]
            assert stored[0]["isResidentCredential"] is True
            assert key.sign_count == stored[0]["signCount"]

            # The same registration sent again finds its challenge already used.
            replay = page.evaluate(
                """async ([url, body]) => {
                    const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
                    const r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json", "X-CSRFToken": token}, body});
                    return [r.status, await r.json()];
                }""",
                [reverse("accounts:webauthn_register_verify"), registration],
            )
            assert replay == [400, {"error": EXPIRED}]
            assert WebAuthnCredential.objects.filter(user=user).count() == 1

            # Registering the same authenticator again is refused by the browser (excludeCredentials).
            page.goto(f"{base}{reverse('accounts:security')}")
            page.click("#webauthn-register-button")
            page.wait_for_selector("#webauthn-error:not([hidden])")
            assert page.locator("#webauthn-error").inner_text() == "This security key is already registered."
            assert WebAuthnCredential.objects.filter(user=user).count() == 1

            # Sign out, then sign in with the password and the key.
            _sign_out(page, base)
            before = WebAuthnCredential.objects.get(pk=key.pk).sign_count
            _password_step(page, base, user)
            with page.expect_response(lambda r: r.url.endswith(reverse("accounts:webauthn_login_verify"))) as signed:
                page.click("#webauthn-button")
            first_assertion = signed.value.request.post_data
            page.wait_for_url(dashboard)
            after = WebAuthnCredential.objects.get(pk=key.pk)
            stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
            assert after.sign_count == stored[0]["signCount"]
            assert after.sign_count == before + 1
            assert after.last_used_at is not None

            # An assertion replayed into a new sign-in is refused: its challenge is not this one.
            _sign_out(page, base)
            _password_step(page, base, user)
            replay = page.evaluate(
                """async ([optionsUrl, verifyUrl, body]) => {
                    const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
                    const headers = {"Content-Type": "application/json", "X-CSRFToken": token};
                    await fetch(optionsUrl, {method: "POST", headers, body: "{}"});
                    const r = await fetch(verifyUrl, {method: "POST", headers, body});
                    return [r.status, await r.json()];
                }""",
                [reverse("accounts:webauthn_login_options"), reverse("accounts:webauthn_login_verify"), first_assertion],
            )
            assert replay == [400, {"error": "The security key could not be verified. Please try again."}]
            assert WebAuthnCredential.objects.get(pk=key.pk).sign_count == after.sign_count
            page.goto(dashboard)
            assert page.url.startswith(f"{base}{reverse('accounts:login')}")

            # A counter that went backwards (a cloned key) is refused and the stored count kept.
            WebAuthnCredential.objects.filter(pk=key.pk).update(sign_count=1000)
            _password_step(page, base, user)
            page.click("#webauthn-button")
            page.wait_for_selector("#webauthn-error:not([hidden])")
            assert page.locator("#webauthn-error").inner_text() == "The security key could not be verified. Please try again."
            assert WebAuthnCredential.objects.get(pk=key.pk).sign_count == 1000
            page.goto(dashboard)
            assert page.url.startswith(f"{base}{reverse('accounts:login')}")
        finally:
            browser.close()
