"""Sealed by default, unseal by k of n shares through the page, lockdown within a second."""

from __future__ import annotations

import itertools
import time

import pytest
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, sign_in
from corridor.keys import vault

pytestmark = pytest.mark.django_db


def test_restart_leaves_instance_sealed() -> None:
    assert not vault.is_sealed()
    vault.reset_for_tests()  # a new process: a new key service over the same data directory
    assert vault.is_sealed()
    response = Client().get(reverse("accounts:login"))
    assert response.status_code == 503
    assert b"sealed" in response.content


def test_two_of_three_do_not_unseal_and_any_three_do(shares: list[str]) -> None:
    for combo in itertools.combinations(shares, 3):
        vault.keyring().seal()
        client = Client()
        for share in combo[:2]:
            client.post(reverse("web:unseal"), {"share": share})
        assert vault.is_sealed()
        client.post(reverse("web:unseal"), {"share": combo[2]})
        assert not vault.is_sealed(), combo


def test_wrong_share_is_rejected_without_saying_which(shares: list[str]) -> None:
    import tempfile
    from pathlib import Path

    from corridor.keys import service
    from corridor.keys.shamir import parse_share

    # Shares carry random x coordinates; a foreign share on an x already entered would be
    # refused one step early, so take foreign shares whose x the real ones do not use.
    taken = {parse_share(share)[-1] for share in shares[:3]}
    foreign = [s for s in service.initialize(Path(tempfile.mkdtemp()), 10, 3) if parse_share(s)[-1] not in taken]
    messages = set()
    for position in range(3):
        vault.keyring().seal()
        combo = list(shares[:3])
        combo[position] = foreign[position]
        client = Client()
        responses = [client.post(reverse("web:unseal"), {"share": share}) for share in combo]
        assert vault.is_sealed()
        assert responses[-1].status_code == 400
        text = responses[-1].content.decode()
        messages.add(text[text.index('class="error"') :][:200])
    assert len(messages) == 1
    assert vault.status().shares_received == 0


def test_mistyped_share_keeps_progress(shares: list[str]) -> None:
    vault.keyring().seal()
    client = Client()
    client.post(reverse("web:unseal"), {"share": shares[0]})
    typo = shares[1][:-3] + ("AAAA" if not shares[1].endswith("AAAA") else "BBBB")
    response = client.post(reverse("web:unseal"), {"share": typo})
    assert response.status_code == 400
    assert vault.status().shares_received == 1


def test_staff_pages_answer_503_while_sealed() -> None:
    user = make_staff(Role.ADMIN)
    client = sign_in(Client(), user)
    vault.keyring().seal()
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
        vault.keyring().submit_share(share)
    for client in others:
        response = client.get(reverse("web:dashboard"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_lockdown_needs_admin_and_step_up() -> None:
    caseworker = sign_in(Client(), make_staff(Role.CASEWORKER))
    assert caseworker.post(reverse("web:lockdown")).status_code == 404
    assert not vault.is_sealed()


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
    assert vault.is_sealed()


def test_submitting_shares_while_unsealed_writes_no_audit_entries(shares: list[str]) -> None:
    from corridor.audit.models import AuditEntry

    before = AuditEntry.objects.count()
    for _ in range(3):
        Client().post(reverse("web:unseal"), {"share": shares[0]})
    assert AuditEntry.objects.count() == before


def test_the_unseal_page_can_live_at_an_unguessable_path(settings) -> None:  # type: ignore[no-untyped-def]
    from importlib import reload

    from django.urls import clear_url_caches

    import corridor.urls
    import corridor.web.urls

    settings.UNSEAL_PATH = "unseal-7f3k9q/"
    try:
        reload(corridor.web.urls)
        reload(corridor.urls)
        clear_url_caches()
        vault.keyring().seal()
        assert Client().get("/unseal-7f3k9q/").status_code == 200
        assert Client().get("/unseal/").status_code == 404
    finally:
        settings.UNSEAL_PATH = "unseal/"
        reload(corridor.web.urls)
        reload(corridor.urls)
        clear_url_caches()
