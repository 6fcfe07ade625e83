"""Sealed by default, unseal by k of n shares through the page, lockdown within a second."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.keys import instance

if TYPE_CHECKING:
    from pytest_django.fixtures import SettingsWrapper

pytestmark = pytest.mark.django_db


def test_restart_leaves_instance_sealed() -> None:
    assert not instance.is_sealed()
    instance.reset_for_tests()  # a new process: a new key service over the same data directory
    assert instance.is_sealed()
    response = Client().get(reverse("accounts:login"))
    assert response.status_code == 503
    assert b"sealed" in response.content


def test_two_of_three_do_not_unseal_and_any_three_do(shares: list[str]) -> None:
    for combo in itertools.combinations(shares, 3):
        instance.keyring().seal()
        client = Client()
        for share in combo[:2]:
            client.post(reverse("web:unseal"), {"share": share})
        assert instance.is_sealed()
        client.post(reverse("web:unseal"), {"share": combo[2]})
        assert not instance.is_sealed(), combo


def _forged(x: int) -> str:
    """A well-formed share (right length, valid checksum) that no trustee was given."""
    import os

    from corridor.keys.shamir import format_share

    return format_share(x, os.urandom(32) + bytes([x]))


def _x(share: str) -> int:
    from corridor.keys.shamir import parse_share

    return parse_share(share)[-1]


def test_a_stranger_posting_forged_shares_between_the_real_ones_does_not_stop_the_trustees(shares: list[str]) -> None:
    instance.keyring().seal()
    stranger, trustees = Client(), Client()
    for share in shares[:3]:
        # The stranger posts a forgery before every real share, on that share's own x.
        refused = stranger.post(reverse("web:unseal"), {"share": _forged(_x(share))})
        assert refused.status_code == 400
        assert "This share was not issued for this instance. The shares already entered are kept." in refused.content.decode()
        assert trustees.post(reverse("web:unseal"), {"share": share}).status_code == 302
    assert not instance.is_sealed()


def test_a_forged_share_is_refused_on_its_own_and_the_progress_is_kept(shares: list[str]) -> None:
    instance.keyring().seal()
    client = Client()
    client.post(reverse("web:unseal"), {"share": shares[0]})
    response = client.post(reverse("web:unseal"), {"share": _forged(_x(shares[0]))})
    assert response.status_code == 400
    assert instance.status().shares_received == 1
    again = client.post(reverse("web:unseal"), {"share": shares[0]})
    assert again.status_code == 400
    assert "This share has already been entered." in again.content.decode()
    assert instance.status().shares_received == 1


def _page_without_token(response: HttpResponse) -> str:
    import re

    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_an_anonymous_visitor_sees_no_count_of_the_shares_waiting(shares: list[str]) -> None:
    instance.keyring().seal()
    empty = _page_without_token(Client().get(reverse("web:unseal")))
    trustee = Client()
    trustee.post(reverse("web:unseal"), {"share": shares[0]})
    accepted = trustee.post(reverse("web:unseal"), {"share": shares[1]}, follow=True)
    # The trustee whose share was just accepted is told where things stand; nobody else.
    assert "Share accepted: 2 of 3." in accepted.content.decode()
    assert instance.status().shares_received == 2
    waiting = _page_without_token(Client().get(reverse("web:unseal")))
    assert waiting == empty
    assert "<progress" not in waiting
    assert "Share accepted" not in waiting


def test_an_anonymous_reset_is_refused_and_changes_nothing(shares: list[str]) -> None:
    from corridor.audit.models import AuditEntry

    instance.keyring().seal()
    Client().post(reverse("web:unseal"), {"share": shares[0]})
    Client().post(reverse("web:unseal"), {"share": shares[1]})
    before = AuditEntry.objects.count()
    for body in ({"reset": "1"}, {"reset": "1", "share": ""}, {"reset": "1", "share": _forged(_x(shares[2]))}):
        response = Client().post(reverse("web:unseal"), body)
        assert response.status_code == 400, body
    assert instance.status().shares_received == 2
    assert AuditEntry.objects.count() == before
    assert instance.submit_share(shares[2]).message == "Unsealed. Staff can sign in now."


def test_a_reset_with_an_issued_share_starts_again_and_is_audited(shares: list[str]) -> None:
    from corridor.audit.models import AuditEntry

    instance.keyring().seal()
    Client().post(reverse("web:unseal"), {"share": shares[0]})
    Client().post(reverse("web:unseal"), {"share": shares[1]})
    before = AuditEntry.objects.count()
    response = Client().post(reverse("web:unseal"), {"reset": "1", "share": shares[3]}, follow=True)
    assert "The shares entered before were discarded. Yours counts: 1 of 3." in response.content.decode()
    assert instance.status().shares_received == 1
    entries = list(AuditEntry.objects.filter(seq__gte=before).values_list("action", "actor_id", "object_id", "details"))
    assert entries == [("instance.unseal.reset.share", None, "", b"")]
    instance.submit_share(shares[0])
    instance.submit_share(shares[4])
    assert not instance.is_sealed()


def test_the_shell_reset_is_audited(shares: list[str]) -> None:
    from io import StringIO

    from django.core.management import call_command

    from corridor.audit.models import AuditEntry

    instance.keyring().seal()
    instance.submit_share(shares[0])
    before = AuditEntry.objects.count()
    out = StringIO()
    call_command("unseal", "--reset", stdout=out)
    assert out.getvalue() == "Unseal progress was reset. All trustees must enter their shares again.\n"
    assert instance.status().shares_received == 0
    actions = list(AuditEntry.objects.filter(seq__gte=before).values_list("action", flat=True))
    assert actions == ["instance.unseal.reset.shell"]


def test_mistyped_share_keeps_progress(shares: list[str]) -> None:
    instance.keyring().seal()
    client = Client()
    client.post(reverse("web:unseal"), {"share": shares[0]})
    typo = shares[1][:-3] + ("AAAA" if not shares[1].endswith("AAAA") else "BBBB")
    response = client.post(reverse("web:unseal"), {"share": typo})
    assert response.status_code == 400
    assert instance.status().shares_received == 1


def test_staff_pages_answer_503_while_sealed() -> None:
    user = make_staff(Role.ADMIN)
    client = sign_in(Client(), user)
    instance.keyring().seal()
    for name in ("web:dashboard", "accounts:security", "accounts:login"):
        response = client.get(reverse(name))
        assert response.status_code == 503, name
        assert response["Retry-After"] == "60"
    assert Client().get(reverse("web:unseal")).status_code == 200
    assert Client().get(reverse("web:health")).json() == {"status": "sealed"}


def test_admin_lockdown_seals_and_ends_every_session_within_a_second(shares: list[str]) -> None:
    admin = make_staff(Role.ADMIN)
    others = [sign_in(Client(), make_staff(Role.CASEWORKER)) for _ in range(3)]
    for client in others:
        assert client.get(reverse("web:dashboard")).status_code == 200
    started = time.monotonic()
    sign_in(Client(), admin).post(reverse("web:lockdown"))
    for client in others:
        assert client.get(reverse("web:dashboard")).status_code == 503
    assert time.monotonic() - started < 1.0
    # After unsealing again, the old sessions are gone: the key epoch they were bound to is dead.
    for share in shares[:3]:
        instance.keyring().submit_share(share)
    for client in others:
        response = client.get(reverse("web:dashboard"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lockdown_needs_admin_and_step_up() -> None:
    caseworker = sign_in(Client(), make_staff(Role.CASEWORKER))
    assert caseworker.post(reverse("web:lockdown")).status_code == 404
    assert not instance.is_sealed()


def test_lockdown_needs_no_step_up_and_no_database_write() -> None:
    from unittest import mock

    admin = make_staff(Role.ADMIN)
    client = sign_in(Client(), admin)
    session = client.session
    session["corridor.auth_at"] = 0  # the last confirmation was long ago
    session.save()
    # Even if the audit write fails, the seal has already happened.
    with mock.patch("corridor.audit.log.record", side_effect=RuntimeError("database is gone")):
        client.post(reverse("web:lockdown"))
    assert instance.is_sealed()


def test_submitting_shares_while_unsealed_writes_no_audit_entries(shares: list[str]) -> None:
    from corridor.audit.models import AuditEntry

    before = AuditEntry.objects.count()
    for _ in range(3):
        Client().post(reverse("web:unseal"), {"share": shares[0]})
    assert AuditEntry.objects.count() == before


def test_the_unseal_page_is_not_at_a_guessable_path_by_default() -> None:
    from django.conf import settings

    instance.keyring().seal()
    kept = (settings.DATA_DIR / "unseal_path").read_text().strip()
    assert settings.UNSEAL_PATH == kept
    assert len(kept) == len("unseal-") + 20 + 1
    assert reverse("web:unseal") == "/" + kept
    assert Client().get("/" + kept).status_code == 200
    for guess in ("/unseal/", "/unseal", "/admin/unseal/", "/sys/unseal/"):
        assert Client().get(guess).status_code == 404, guess
    # Nothing shown to a stranger leads there: the "sealed" page every staff page answers
    # with, and where lockdown sends an admin.
    sealed = Client().get(reverse("web:dashboard"))
    assert sealed.status_code == 503
    assert kept not in sealed.content.decode()


def test_the_configured_unseal_path_wins(settings: SettingsWrapper) -> None:
    from importlib import reload

    from django.urls import clear_url_caches

    import corridor.urls
    import corridor.web.urls

    default = settings.UNSEAL_PATH
    settings.UNSEAL_PATH = "unseal-7f3k9q/"
    try:
        reload(corridor.web.urls)
        reload(corridor.urls)
        clear_url_caches()
        instance.keyring().seal()
        assert Client().get("/unseal-7f3k9q/").status_code == 200
        assert Client().get("/" + default).status_code == 404
        assert Client().get("/unseal/").status_code == 404
    finally:
        settings.UNSEAL_PATH = default
        reload(corridor.web.urls)
        reload(corridor.urls)
        clear_url_caches()


def test_lockdown_says_when_it_happened_and_offers_no_staff_page(settings: SettingsWrapper) -> None:
    from django.utils import timezone
    from django.utils.formats import date_format

    settings.LANGUAGE_CODE = "en"
    admin = sign_in(Client(), make_staff(Role.ADMIN))
    confirm = admin.get(reverse("web:lockdown_confirm")).content.decode()
    assert f'<a class="button secondary" href="{reverse("web:dashboard")}">Cancel</a>' in confirm
    before = timezone.localtime()
    response = admin.post(reverse("web:lockdown"))
    after = timezone.localtime()
    assert instance.is_sealed()
    assert response.status_code == 200
    page = response.content.decode()
    said = {f"Locked down at {date_format(at, 'DATETIME_FORMAT')} (UTC); the instance is sealed." for at in (before, after)}
    assert [sentence for sentence in said if sentence in page] != []
    assert settings.UNSEAL_PATH not in page
    for name in ("cases:cases", "accounts:users", "audit:log", "accounts:security"):
        assert f'href="{reverse(name)}"' not in page.split("<main", 1)[0], name
    # Every later page is the sealed one, with no staff menu either.
    sealed = admin.get(reverse("cases:cases"))
    assert sealed.status_code == 503
    assert f'href="{reverse("cases:cases")}"' not in sealed.content.decode()


def test_init_prints_the_unseal_page_path(settings: SettingsWrapper, tmp_path: Path) -> None:
    from io import StringIO

    from django.core.management import call_command

    settings.DATA_DIR = tmp_path
    out = StringIO()
    call_command("init", "--shares", "3", "--threshold", "2", "--no-qr", stdout=out)
    assert f"on the unseal page at /{settings.UNSEAL_PATH}\n" in out.getvalue()
    assert settings.UNSEAL_PATH.startswith("unseal-")


def test_a_reset_that_arrives_just_after_the_unseal_writes_no_audit_entry(
    shares: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """keyd answers any reset once unsealed without looking at the share; the page must not then
    record a reset that never happened (a stranger's forged share, posted as the trustees finish)."""
    from corridor.audit.models import AuditEntry
    from corridor.keys.service import Status

    assert not instance.is_sealed()
    # The page's own check ran a moment before the last trustee's share unsealed the instance.
    monkeypatch.setattr(instance, "status", lambda: Status(True, True, 3, 5, 2, 1, ""))
    before = AuditEntry.objects.count()
    outcome = instance.reset_unseal(_forged(_x(shares[0])))
    assert (outcome.message, outcome.error) == ("The instance is already unsealed.", "")
    assert AuditEntry.objects.count() == before
