"""Insiders keep no more than they were given: API tokens end with sessions and lockdowns,
and a session that is no longer current cannot add a second factor."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from corridor.accounts import domain
from corridor.accounts.models import ApiToken, Role, TOTPDevice
from corridor.accounts.testing import PASSWORD, make_staff, sign_in
from corridor.keys import instance

pytestmark = pytest.mark.django_db


def _api(token: str) -> object:
    return Client().get(reverse("api-me"), headers={"authorization": f"Bearer {token}"})


def _unseal(shares: list[str]) -> None:
    keyring = instance.keyring()
    keyring.reset_unseal()
    for share in shares[:3]:
        keyring.submit_share(share)


def test_lockdown_suspends_api_tokens_until_their_owner_reactivates_them(shares: list[str]) -> None:
    admin = make_staff(Role.ADMIN)
    user = make_staff(Role.CASEWORKER)
    token = domain.create_api_token(user, user, "script")
    assert _api(token).status_code == 200
    instance.lockdown(actor=admin, reason="admin")
    assert _api(token).status_code == 503
    _unseal(shares)
    refused = _api(token)
    assert refused.status_code == 401
    assert "suspended" in refused.json()["error"]["message"]
    # Only a signed-in owner (or an admin) brings it back; the token itself cannot.
    client = sign_in(Client(), user)
    page = client.get(reverse("accounts:security"))
    assert page.content.count(b"suspended</strong>") == 1
    record = ApiToken.objects.get(user=user)
    assert client.post(reverse("accounts:activate_token", args=[record.pk])).status_code == 302
    assert _api(token).status_code == 200
    assert sign_in(Client(), user).get(reverse("accounts:security")).content.count(b"suspended</strong>") == 0


def test_ending_sessions_suspends_the_users_api_tokens() -> None:
    admin = make_staff(Role.ADMIN)
    user = make_staff(Role.CASEWORKER)
    other = make_staff(Role.CASEWORKER)
    token = domain.create_api_token(user, user)
    other_token = domain.create_api_token(other, other)
    domain.end_sessions(admin, user)
    assert _api(token).status_code == 401
    assert _api(other_token).status_code == 200
    domain.activate_api_token(admin, ApiToken.objects.get(user=user))
    assert _api(token).status_code == 200


def test_someone_elses_token_cannot_be_reactivated_through_the_security_page() -> None:
    admin = make_staff(Role.ADMIN)
    user = make_staff(Role.CASEWORKER)
    token = domain.create_api_token(user, user)
    domain.end_sessions(admin, user)
    intruder = sign_in(Client(), make_staff(Role.CASEWORKER))
    record = ApiToken.objects.get(user=user)
    assert intruder.post(reverse("accounts:activate_token", args=[record.pk])).status_code == 404
    assert _api(token).status_code == 401


def test_an_ended_session_cannot_set_up_an_authenticator() -> None:
    admin = make_staff(Role.ADMIN)
    user = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), user)
    domain.end_sessions(admin, user)
    page = client.get(reverse("accounts:setup_totp"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert TOTPDevice.objects.filter(user=user).count() == 1
    # And the ended session is gone for good, not only for this page.
    assert client.get(reverse("web:dashboard")).status_code == 302


def test_a_session_from_before_an_unseal_cannot_set_up_an_authenticator(shares: list[str]) -> None:
    user = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), user)
    instance.lockdown(actor=None, reason="cli")
    _unseal(shares)
    page = client.get(reverse("accounts:setup_totp"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_an_enrolment_session_dies_when_the_admin_reissues_the_link() -> None:
    admin = make_staff(Role.ADMIN)
    user, token = domain.create_user(admin, username="newcomer", role=Role.CASEWORKER)
    client = Client()
    client.post(reverse("accounts:enrol", args=[token]), {"password": PASSWORD, "password_again": PASSWORD})
    assert client.get(reverse("accounts:setup_totp")).status_code == 200
    # The link leaked: the admin resets the account. The half-enrolled session must not go on.
    domain.reissue_enrolment(admin, user)
    page = client.get(reverse("accounts:setup_totp"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert TOTPDevice.objects.filter(user=user).count() == 0


def test_a_half_enrolment_from_before_a_lockdown_cannot_go_on_after_the_unseal(shares: list[str]) -> None:
    """A password step taken before a lockdown (by whoever held the link then) ends with it."""
    admin = make_staff(Role.ADMIN)
    user, token = domain.create_user(admin, username="newcomer", role=Role.CASEWORKER)
    client = Client()
    client.post(reverse("accounts:enrol", args=[token]), {"password": PASSWORD, "password_again": PASSWORD})
    assert client.get(reverse("accounts:setup_totp")).status_code == 200
    instance.lockdown(actor=None, reason="cli")
    _unseal(shares)
    page = client.get(reverse("accounts:setup_totp"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    # Only the authenticator begun before the lockdown, never confirmed; none begun after.
    assert list(TOTPDevice.objects.filter(user=user).values_list("confirmed", flat=True)) == [False]


def test_the_admin_page_says_tokens_are_suspended_with_the_sessions() -> None:
    admin = make_staff(Role.ADMIN)
    user = make_staff(Role.CASEWORKER)
    token = domain.create_api_token(user, user)
    client = sign_in(Client(), admin)
    response = client.post(reverse("accounts:user_action", args=[user.pk, "end-sessions"]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"All sessions of {user.username} were ended and their API tokens suspended."
    ]
    assert _api(token).status_code == 401


def test_an_operator_reactivates_a_token_from_the_shell(shares: list[str]) -> None:
    from io import StringIO

    from django.core.management import call_command

    user = make_staff(Role.CASEWORKER)
    token = domain.create_api_token(None, user)
    instance.lockdown(actor=None, reason="cli")
    _unseal(shares)
    listing = StringIO()
    call_command("token", "list", user.username, stdout=listing)
    assert listing.getvalue().rstrip().endswith("suspended")
    assert _api(token).status_code == 401
    out = StringIO()
    call_command("token", "activate", token[:10], stdout=out)
    assert out.getvalue() == "re-activated 1 token(s)\n"
    assert _api(token).status_code == 200
