"""Attacks from a hostile page or link: CSRF, clickjacking, open redirects, session fixation.

Each walks the URL resolver like tests/test_url_matrix.py, so a new view is covered the day it
is added: every state-changing address refuses a staff POST without (or with a wrong) CSRF
token, every page forbids framing, every `next=` refuses other sites, and the session id a
visitor held before signing in or stepping up is worth nothing afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import PASSWORD, World, make_world, seal, sign_in, totp_now
from corridor.core.decorators import is_public
from tests.test_url_matrix import _sample_kwargs, url_patterns

pytestmark = pytest.mark.django_db

# Addresses a POST may reach without a CSRF token, each with the reason. Nothing else.
CSRF_EXEMPT = {
    # The help form and the return page are used from Tor Browser with cookies cleared and
    # JavaScript off: no cookie can carry a token. They hold no session to ride on: each
    # request stands alone, and the secret to read replies is typed in the form itself.
    "intake:help": "anonymous help requests: no session, no cookie",
    "intake:return": "anonymous return with the secret typed into the form: no session to ride on",
    "intake:send": "anonymous message with the secret typed into the form: no session to ride on",
    # Django's set_language: it sets the language cookie and redirects to a same-site `next`.
    "web:language": "changes only the language cookie; no data, no account",
    # Public pages of the intake that change nothing: a POST is answered 405 (checked below).
    "intake:leave": "advice on leaving the help pages; GET only",
    "intake:logo": "the organisation's logo; GET only",
}
GET_ONLY = {"intake:leave", "intake:logo"}

HOSTILE_TARGETS = [
    "//evil.example/",
    "https://evil.example/",
    "http://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " https://evil.example/",
    "https:evil.example",
    "/\t/evil.example",
]


@pytest.fixture
def world() -> World:
    return make_world()


def _url(name: str, pattern: Any) -> str:
    return reverse(name, kwargs=_sample_kwargs(pattern))


def _is_api(url: str) -> bool:
    return url.startswith("/api/")


# -- CSRF ----------------------------------------------------------------------------------------


def _csrf_refusal(response: Any) -> bool:
    return response.status_code == 403 and b"CSRF" in response.content


def test_every_state_changing_address_refuses_a_staff_post_without_a_valid_csrf_token(world: World) -> None:
    """Signed in as the admin (the widest rights) with a valid session cookie, as a hostile
    page's auto-submitted form would be: no token, then a wrong one, then a token from another
    session. Every address that is not on CSRF_EXEMPT refuses before the view runs."""
    admin = world.users[Role.ADMIN]
    other = Client(enforce_csrf_checks=True)
    other.get(reverse("accounts:login"))
    foreign_token = other.cookies[settings.CSRF_COOKIE_NAME].value
    refused = 0
    for name, pattern in sorted(url_patterns().items()):
        if name in CSRF_EXEMPT:
            continue
        url = _url(name, pattern)
        client = sign_in(Client(enforce_csrf_checks=True), admin)
        client.get(reverse("web:dashboard"))  # the browser holds a CSRF cookie of its own
        mine = client.cookies[settings.CSRF_COOKIE_NAME].value
        assert mine != foreign_token
        attempts: list[dict[str, Any]] = [
            {},
            {"csrfmiddlewaretoken": "x" * 64},
            {"csrfmiddlewaretoken": foreign_token},
        ]
        for data in attempts:
            if _is_api(url):
                # DRF's views and the API's plain views (the index) alike.
                response = client.post(url, data, content_type="application/json")
                if response.status_code == 415:
                    # An upload address refuses JSON before anything else (reading the token
                    # means parsing the body); a hostile page's form would send multipart.
                    response = client.post(url, data)
                assert _csrf_refusal(response), (name, data, response.status_code, response.content[:200])
                # In the API's own error body, as its schema declares, never Django's HTML page
                # (the schema's view renders it as YAML too, the format it answers by default).
                if name != "api-schema":
                    assert response["Content-Type"] == "application/json", (name, response.content[:200])
                    assert response.json()["error"]["code"] == "csrf_failed", (name, response.content[:200])
                else:
                    assert b"code: csrf_failed" in response.content, (name, response.content[:200])
            else:
                response = client.post(url, data)
                assert _csrf_refusal(response), (name, data, response.status_code, response.content[:200])
            refused += 1
        # Nothing survives for the next address: a refused POST did not sign the admin out.
    assert refused == 3 * (len(url_patterns()) - len(CSRF_EXEMPT))
    for name in GET_ONLY:
        assert Client(enforce_csrf_checks=True).post(_url(name, url_patterns()[name])).status_code == 405, name


def test_the_exempt_list_is_exactly_what_is_public_and_posts_without_a_session() -> None:
    patterns = url_patterns()
    assert set(CSRF_EXEMPT) <= set(patterns)
    assert all(is_public(patterns[name].callback) for name in CSRF_EXEMPT)


def test_a_wrong_token_on_the_sign_in_form_is_refused() -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))
    response = client.post(reverse("accounts:login"), {"username": "x", "password": "y", "csrfmiddlewaretoken": "z" * 64})
    assert _csrf_refusal(response)


# -- clickjacking --------------------------------------------------------------------------------


def _assert_unframeable(response: Any, where: str) -> None:
    assert response.headers.get("X-Frame-Options") == "DENY", (where, response.status_code)
    assert "frame-ancestors 'none'" in response.headers.get("Content-Security-Policy", ""), (where, response.status_code)


def test_no_page_may_be_framed_signed_in_or_not_sealed_or_not(world: World) -> None:
    # A page that fails still sends its headers: failures are not this test's subject.
    admin_client = sign_in(Client(raise_request_exception=False), world.users[Role.ADMIN])
    anonymous = Client(raise_request_exception=False)
    checked = 0
    for name, pattern in sorted(url_patterns().items()):
        url = _url(name, pattern)
        for who, client in (("anonymous", anonymous), ("admin", admin_client)):
            _assert_unframeable(client.get(url), f"{name} as {who}")
            checked += 1
    # Error pages: 404, 400 (a bad Host is refused before any view), the CSRF refusal.
    _assert_unframeable(anonymous.get("/no-such-page/"), "404")
    _assert_unframeable(anonymous.get("/api/v1/no-such-thing/"), "API 404")
    _assert_unframeable(Client(HTTP_HOST="evil.example").get("/"), "400 bad host")
    strict = Client(enforce_csrf_checks=True)
    _assert_unframeable(strict.post(reverse("accounts:login"), {}), "CSRF refusal")
    # The intake in Russian, and everything while sealed.
    _assert_unframeable(Client(headers={"accept-language": "ru"}).get(reverse("intake:help")), "intake ru")
    seal()
    for name, pattern in sorted(url_patterns().items()):
        _assert_unframeable(anonymous.get(_url(name, pattern)), f"{name} sealed")
        checked += 1
    assert checked == 3 * len(url_patterns())


def test_the_server_error_page_may_not_be_framed(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from corridor.web import views

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(views.cases_domain, "pending_break_glass", broken)
    response = sign_in(Client(raise_request_exception=False), world.users[Role.ADMIN]).get(reverse("web:dashboard"))
    assert response.status_code == 500
    _assert_unframeable(response, "500")


# -- open redirects ------------------------------------------------------------------------------


def _lands_on_site(response: Any) -> None:
    location = response.headers.get("Location", "")
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil" not in location, location


def _signed_in_by_hand(client: Client, username: str, next_url: str) -> Any:
    """The real two steps: password, then the authenticator's code, with `next` as a link carries it."""
    first = client.post(reverse("accounts:login") + "?" + _query(next_url), {"username": username, "password": PASSWORD})
    assert first.status_code == 302, first.content[:300]
    return first


def _query(next_url: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"next": next_url})


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_sign_in_never_sends_anyone_to_another_site(world: World, target: str) -> None:
    user = world.users[Role.CASEWORKER]
    client = Client()
    first = _signed_in_by_hand(client, user.username, target)
    verify = first.headers["Location"]
    assert verify.startswith(reverse("accounts:verify"))
    done = client.post(verify, {"code": totp_now(user), "next": target})
    assert done.status_code == 302, done.content[:300]
    _lands_on_site(done)
    assert done.headers["Location"] == reverse("web:dashboard")


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_step_up_never_sends_anyone_to_another_site(world: World, target: str) -> None:
    user = world.users[Role.CASEWORKER]
    client = sign_in(Client(), user)
    response = client.post(
        reverse("accounts:reauth") + "?" + _query(target),
        {"username": user.username, "password": PASSWORD, "code": totp_now(user), "next": target},
    )
    assert response.status_code == 302, response.content[:300]
    assert response.headers["Location"] == reverse("web:dashboard")


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_the_language_switch_never_sends_anyone_to_another_site(target: str) -> None:
    response = Client().post(reverse("web:language"), {"language": "ru", "next": target})
    assert response.status_code == 302
    _lands_on_site(response)


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_a_case_workflow_form_never_sends_anyone_to_another_site(world: World, target: str) -> None:
    from corridor.cases import domain as cases

    worker = world.users[Role.CASEWORKER]
    _person, case = cases.create_person_with_case(worker, team=world.team_a, names=[{"name": "Someone"}])
    client = sign_in(Client(), worker)
    response = client.post(
        reverse("cases:verification", kwargs={"pk": case.pk}),
        {"method": "interview", "details": "", "next": target},
    )
    assert response.status_code == 302, response.content[:500]
    _lands_on_site(response)


def test_a_same_site_next_is_still_followed(world: World) -> None:
    """The refusals above are not a redirect that ignores `next` altogether."""
    user = world.users[Role.CASEWORKER]
    client = sign_in(Client(), user)
    response = client.post(
        reverse("accounts:reauth") + "?" + _query("/cases/"),
        {"username": user.username, "password": PASSWORD, "code": totp_now(user), "next": "/cases/"},
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/cases/")


# -- session fixation ----------------------------------------------------------------------------


def _session_id(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_session_id_changes_at_each_sign_in_step_and_at_step_up_and_dies_at_sign_out(world: World) -> None:
    user = world.users[Role.CASEWORKER]
    client = Client()
    # A session planted before sign-in (as an attacker who set the victim's cookie would).
    client.get(reverse("accounts:login"))
    client.session.save()
    planted = client.session.session_key
    assert planted
    client.cookies[settings.SESSION_COOKIE_NAME] = planted
    client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    half = _session_id(client)
    assert half != planted
    client.post(reverse("accounts:verify"), {"code": totp_now(user)})
    full = _session_id(client)
    assert full not in (planted, half)
    assert client.get(reverse("web:dashboard")).status_code == 200
    # The planted and half-way ids open nothing.
    for stale in (planted, half):
        attacker = Client()
        attacker.cookies[settings.SESSION_COOKIE_NAME] = stale
        assert attacker.get(reverse("web:dashboard")).status_code == 302, stale

    # Step-up (re-entering password and code for a sensitive action) gives a new id as well.
    stepped_up = client.post(
        reverse("accounts:reauth"), {"username": user.username, "password": PASSWORD, "code": _next_code(user)}
    )
    assert stepped_up.status_code == 302, stepped_up.content[:300]
    stepped = _session_id(client)
    assert stepped != full
    before_step_up = Client()
    before_step_up.cookies[settings.SESSION_COOKIE_NAME] = full
    assert before_step_up.get(reverse("web:dashboard")).status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 200

    # After sign-out the last id is dead too.
    client.post(reverse("accounts:logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stepped
    response = replay.get(reverse("web:dashboard"))
    assert response.status_code == 302 and response.headers["Location"].startswith(reverse("accounts:login"))


def _next_code(user: Any) -> str:
    """A code the authenticator has not used yet (codes are single-use within their window)."""
    from corridor.accounts.models import TOTPDevice

    device = TOTPDevice.objects.get(user=user, confirmed=True)
    device.last_t = -1
    device.throttling_failure_count = 0
    device.save(update_fields=["last_t", "throttling_failure_count"])
    return totp_now(user)
