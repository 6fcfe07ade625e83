"""Sign-in, enrolment, second factors, lockout and sessions, through the real views."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from corridor.accounts import domain, lockout
from corridor.accounts.models import LoginThrottle, RecoveryCodeDevice, Role, TOTPDevice, User
from corridor.accounts.testing import PASSWORD, make_staff, sign_in, totp_now

pytestmark = pytest.mark.django_db


def _password_step(client: Client, username: str, password: str = PASSWORD) -> object:
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_enrolment_sets_password_and_factor_then_signs_in() -> None:
    admin = make_staff(Role.ADMIN)
    user, token = domain.create_user(admin, username="newcomer", role=Role.CASEWORKER)
    client = Client()
    response = client.post(
        reverse("accounts:enrol", args=[token]),
        {"password": PASSWORD, "password_again": PASSWORD, "duress_password": ""},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:setup_totp")
    page = client.get(reverse("accounts:setup_totp"))
    secret = _setup_secret(page.content.decode())
    done = client.post(reverse("accounts:setup_totp"), {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert client.get(reverse("web:dashboard")).status_code == 200
    # The link worked once: it cannot be used again.
    assert Client().get(reverse("accounts:enrol", args=[token])).status_code == 404


def _setup_secret(page: str) -> str:
    key = re.search(r'<code class="secret">(.*?)</code>', page)
    assert key is not None
    return "".join(re.findall(r"<span>([A-Z2-7]{1,4})</span>", key.group(1)))


def test_the_first_authenticator_set_up_speaks_of_its_own_code_links_the_app_and_groups_the_key() -> None:
    _user, token = domain.create_user(None, username="phoneuser", role=Role.CASEWORKER)
    client = Client()
    enrol = client.get(reverse("accounts:enrol", args=[token])).content.decode()
    assert "(optional) <span" not in enrol
    assert enrol.count("(optional)") == 1
    assert 'Duress password <span class="optional">(optional)</span>' in enrol
    client.post(reverse("accounts:enrol", args=[token]), {"password": PASSWORD, "password_again": PASSWORD})
    page = client.get(reverse("accounts:setup_totp")).content.decode()
    # Nobody has recovery codes before their first factor: the page does not offer them.
    assert "recovery" not in page.lower()
    assert "The six-digit code your app shows" in page
    secret = _setup_secret(page)
    assert len(secret) == 32
    groups = re.findall(r"<span>([A-Z2-7]+)</span>", page)
    assert groups == [secret[i : i + 4] for i in range(0, 32, 4)]
    link = re.search(
        r'<a class="button secondary" href="(otpauth://totp/[^"]+)">Open in an authenticator app on this phone</a>', page
    )
    assert link is not None
    assert f"secret={secret}" in link.group(1)


def test_a_right_code_refused_during_the_retry_delay_says_to_wait_not_that_it_is_wrong() -> None:
    user = make_staff(Role.CASEWORKER)
    client = Client()
    _password_step(client, user.username)
    wrong = client.post(reverse("accounts:verify"), {"code": "000000" if totp_now(user) != "000000" else "111111"})
    assert "That code is not right" in wrong.content.decode()
    waiting = client.post(reverse("accounts:verify"), {"code": totp_now(user)})
    assert waiting.status_code == 429
    text = waiting.content.decode()
    assert "not right" not in text
    assert re.search(r"Too many wrong codes in a row, so codes are not checked for \d+ seconds?\. Wait, then type the code", text)
    # Once the delay is over, the code is checked again.
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=timezone.now() - timedelta(minutes=5))
    assert client.post(reverse("accounts:verify"), {"code": totp_now(user)}).status_code == 302


def test_the_wait_message_counts_in_russian() -> None:
    from django.utils import translation

    with translation.override("ru"):
        words = [re.search(r"\d+ (\w+)\.", lockout.wait_message(n)) for n in (1, 2, 5, 21)]
    assert [word.group(1) if word else None for word in words] == ["секунду", "секунды", "секунд", "секунду"]


def test_the_security_page_explains_security_keys_need_a_domain_name() -> None:
    client = sign_in(Client(), make_staff(Role.CASEWORKER))
    by_name = client.get(reverse("accounts:security"), HTTP_HOST="localhost:8000").content.decode()
    assert "never by an IP address" in by_name
    assert "This page was opened by an IP address" not in by_name
    by_address = client.get(reverse("accounts:security"), HTTP_HOST="127.0.0.1:8000").content.decode()
    assert "This page was opened by an IP address, so adding a security key will fail." in by_address


def test_enrolment_rejects_weak_and_common_passwords() -> None:
    _user, token = domain.create_user(None, username="weak", role=Role.CASEWORKER)
    client = Client()
    for bad in ("short1", "password1234", "123456789012"):
        response = client.post(reverse("accounts:enrol", args=[token]), {"password": bad, "password_again": bad})
        assert response.status_code == 200
        assert b'class="error"' in response.content
    assert not User.objects.get(username="weak").has_usable_password()


def test_admin_cannot_set_another_users_password() -> None:
    """No view or API accepts a password for someone else; enrolment is by link only."""
    from django.urls import get_resolver

    names = {name for name in get_resolver("corridor.accounts.urls").reverse_dict if isinstance(name, str)}
    assert not {n for n in names if "password" in n}
    admin = make_staff(Role.ADMIN)
    target = make_staff(Role.CASEWORKER)
    before = User.objects.get(pk=target.pk).password
    client = sign_in(Client(), admin)
    client.post(reverse("accounts:user", args=[target.pk]), {"role": Role.CASEWORKER, "password": "x" * 20})
    assert User.objects.get(pk=target.pk).password == before


def test_account_without_second_factor_reaches_no_staff_page() -> None:
    user = make_staff(Role.CASEWORKER, factor=False)
    client = Client()
    response = _password_step(client, user.username)
    # A password alone never lets anyone add a factor: only an enrolment link does.
    assert response.status_code == 403
    assert b"enrolment is not finished" in response.content
    assert client.get(reverse("accounts:setup_totp")).status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    for name in ("web:dashboard", "accounts:security", "accounts:users"):
        page = client.get(reverse(name))
        assert page.status_code == 302
        assert page["Location"].startswith(reverse("accounts:login"))
    # Even a forced Django login without a verified device is not enough.
    forced = Client()
    forced.force_login(user, backend="corridor.accounts.backends.PasswordBackend")
    assert forced.get(reverse("web:dashboard")).status_code == 302


def test_password_then_totp_signs_in() -> None:
    user = make_staff(Role.CASEWORKER)
    client = Client()
    assert _password_step(client, user.username)["Location"] == reverse("accounts:verify")
    response = client.post(reverse("accounts:verify"), {"code": totp_now(user)})
    assert response.status_code == 302
    assert client.get(reverse("web:dashboard")).status_code == 200


def test_totp_code_cannot_be_used_twice() -> None:
    user = make_staff(Role.CASEWORKER)
    code = totp_now(user)
    first = Client()
    _password_step(first, user.username)
    assert first.post(reverse("accounts:verify"), {"code": code}).status_code == 302
    second = Client()
    _password_step(second, user.username)
    replay = second.post(reverse("accounts:verify"), {"code": code})
    assert replay.status_code == 400
    assert second.get(reverse("web:dashboard")).status_code == 302


def test_recovery_code_works_once() -> None:
    user = make_staff(Role.CASEWORKER)
    codes = domain.regenerate_recovery_codes(user)
    client = Client()
    _password_step(client, user.username)
    assert client.post(reverse("accounts:verify"), {"code": codes[0].upper()}).status_code == 302
    again = Client()
    _password_step(again, user.username)
    assert again.post(reverse("accounts:verify"), {"code": codes[0]}).status_code == 400
    assert RecoveryCodeDevice.objects.get(user=user).remaining() == 9
    # Stored only as HMACs: no code appears in the table.
    stored = " ".join(RecoveryCodeDevice.objects.get(user=user).codes.values_list("digest", flat=True))
    assert all(code.replace("-", "") not in stored for code in codes)


def test_totp_secret_is_not_stored_in_clear() -> None:
    user = make_staff(Role.CASEWORKER)
    device = TOTPDevice.objects.get(user=user)
    assert device.secret not in bytes(device.secret_box)
    assert len(device.secret) == 20


@override_settings(LOCKOUT_THRESHOLD=3, LOCKOUT_WINDOW_SECONDS=60, LOCKOUT_MAX_SECONDS=600)
def test_lockout_engages_and_lifts() -> None:
    user = make_staff(Role.CASEWORKER)
    client = Client()
    for _ in range(3):
        assert _password_step(client, user.username, "wrong password!!").status_code in (400, 429)
    # Locked: even the right password is refused, with a wait time.
    locked = _password_step(client, user.username)
    assert locked.status_code == 429
    assert b"Try again in" in locked.content
    # The lock expires by itself: move it into the past as time would.
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))
    assert _password_step(client, user.username)["Location"] == reverse("accounts:verify")


@override_settings(LOCKOUT_THRESHOLD=3, LOCKOUT_WINDOW_SECONDS=60, LOCKOUT_MAX_SECONDS=600)
def test_lockout_is_bounded_and_never_permanent() -> None:
    for _ in range(200):
        lockout.record_failure("victim")
    row = LoginThrottle.objects.get()
    assert row.locked_until <= timezone.now() + timedelta(seconds=600)


def test_lockout_table_holds_no_usernames_or_addresses() -> None:
    lockout.record_failure("someone-specific")
    row = LoginThrottle.objects.get()
    assert "someone" not in row.key
    assert not any(hasattr(row, name) for name in ("ip", "address", "remote_addr"))


def test_unknown_and_known_usernames_get_the_same_answer() -> None:
    make_staff(Role.CASEWORKER, username="exists")
    a = _password_step(Client(), "exists", "not the password 1")
    b = _password_step(Client(), "does-not-exist", "not the password 1")
    assert (a.status_code, a.content.count(b"not right")) == (b.status_code, b.content.count(b"not right"))


def test_ending_sessions_signs_user_out_everywhere() -> None:
    admin = make_staff(Role.ADMIN)
    user = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), user)
    assert client.get(reverse("web:dashboard")).status_code == 200
    domain.end_sessions(admin, user)
    assert client.get(reverse("web:dashboard")).status_code == 302


@override_settings(SESSION_ABSOLUTE_SECONDS=300)
def test_absolute_session_timeout() -> None:
    user = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), user)
    session = client.session
    session["corridor.login_at"] = time.time() - 301
    session.save()
    assert client.get(reverse("web:dashboard")).status_code == 302


def test_step_up_required_for_sensitive_actions() -> None:
    admin = make_staff(Role.ADMIN)
    target = make_staff(Role.CASEWORKER)
    client = sign_in(Client(), admin)
    session = client.session
    session["corridor.auth_at"] = time.time() - 3600
    session.save()
    response = client.post(reverse("accounts:user_action", args=[target.pk, "end-sessions"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauth"))
    assert User.objects.get(pk=target.pk).session_generation == 0
    # Re-authenticate with password and a code, then the action goes through.
    reauth = client.post(
        reverse("accounts:reauth") + "?next=/",
        {"username": admin.username, "password": PASSWORD, "code": totp_now(admin)},
    )
    assert reauth.status_code == 302
    client.post(reverse("accounts:user_action", args=[target.pk, "end-sessions"]))
    assert User.objects.get(pk=target.pk).session_generation == 1


def test_trustee_sees_nothing_but_the_unseal_page() -> None:
    trustee = make_staff(Role.TRUSTEE)
    client = sign_in(Client(), trustee)
    assert client.get(reverse("web:unseal")).status_code == 200
    for name in ("web:dashboard", "accounts:security", "accounts:users", "web:lockdown_confirm"):
        assert client.get(reverse(name)).status_code == 404, name
    assert client.get(reverse("audit:log")).status_code == 404


def test_duress_password_shows_neutral_page_and_seals() -> None:
    from django.contrib.auth.hashers import make_password

    from corridor.keys import instance

    user = make_staff(Role.CASEWORKER)
    user.duress_password = make_password("under duress 12345")
    user.save(update_fields=["duress_password"])
    other = sign_in(Client(), make_staff(Role.CASEWORKER))
    started = time.monotonic()
    response = _password_step(Client(), user.username, "under duress 12345")
    assert response.status_code == 200
    assert b"Nothing new" in response.content
    assert instance.is_sealed()
    assert other.get(reverse("web:dashboard")).status_code == 503
    assert time.monotonic() - started < 1.0


def test_password_alone_cannot_add_a_factor_to_an_enrolled_account() -> None:
    """The second-factor bypass found in review: password step, then the setup page."""
    admin = make_staff(Role.ADMIN)
    client = Client()
    assert _password_step(client, admin.username)["Location"] == reverse("accounts:verify")
    page = client.get(reverse("accounts:setup_totp"))
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert TOTPDevice.objects.filter(user=admin).count() == 1
    assert client.get(reverse("accounts:users")).status_code == 302


def test_enrolment_session_cannot_add_a_second_factor() -> None:
    user, token = domain.create_user(None, username="late", role=Role.CASEWORKER)
    client = Client()
    client.post(reverse("accounts:enrol", args=[token]), {"password": PASSWORD, "password_again": PASSWORD})
    # Another factor already exists by now (set up elsewhere): the enrolment path refuses.
    other = domain.start_totp(user)
    other.confirmed = True
    other.save()
    device = domain.start_totp(user)
    with pytest.raises(PermissionDenied):
        domain.confirm_totp(user, device, str(device.totp().token()).zfill(6), enrolling=True)
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


@override_settings(LOCKOUT_THRESHOLD=3, LOCKOUT_WINDOW_SECONDS=60, LOCKOUT_MAX_SECONDS=600)
def test_duress_password_seals_even_when_the_account_is_locked() -> None:
    from django.contrib.auth.hashers import make_password

    from corridor.keys import instance

    user = make_staff(Role.CASEWORKER)
    user.duress_password = make_password("under duress 12345")
    user.save(update_fields=["duress_password"])
    for _ in range(3):
        _password_step(Client(), user.username, "wrong password!!")
    assert _password_step(Client(), user.username).status_code == 429
    response = _password_step(Client(), user.username, "under duress 12345")
    assert b"Nothing new" in response.content
    assert instance.is_sealed()


@override_settings(LOCKOUT_THRESHOLD=3, LOCKOUT_WINDOW_SECONDS=60, LOCKOUT_MAX_SECONDS=600)
def test_a_known_browser_passes_a_lock_a_stranger_caused() -> None:
    user = make_staff(Role.CASEWORKER)
    owner = Client()
    _password_step(owner, user.username)
    owner.post(reverse("accounts:verify"), {"code": totp_now(user)})
    assert owner.cookies.get("corridor_device") is not None
    owner.post(reverse("accounts:logout"))
    for _ in range(3):
        _password_step(Client(), user.username, "attacker guess!!")
    assert _password_step(Client(), user.username).status_code == 429
    # The owner's browser still signs in with the right password.
    assert _password_step(owner, user.username)["Location"] == reverse("accounts:verify")


def test_login_next_with_control_characters_is_not_a_500() -> None:
    user = make_staff(Role.CASEWORKER)
    response = Client().post(
        reverse("accounts:login") + "?next=/%0d%0aSet-Cookie:x=1", {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "\n" not in response["Location"] and "\r" not in response["Location"]


def test_reenrolment_revokes_api_tokens() -> None:
    from corridor.accounts.models import ApiToken

    admin = make_staff(Role.ADMIN)
    user = make_staff(Role.CASEWORKER)
    _record, token = ApiToken.issue(user)
    domain.reissue_enrolment(admin, user)
    assert ApiToken.find_active(token) is None
