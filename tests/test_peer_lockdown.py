"""A lockdown on one web node seals every other node on its next request (docs/scaling.md).

In one process: "another node" is a lockdown row in the shared database, as node 1 writes it.
tests/test_two_nodes.py shows the same with two real nodes on loopback.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, seal, sign_in, unseal
from corridor.keys import instance, nodes
from corridor.keys.models import SealEvent

pytestmark = pytest.mark.django_db


def _fresh_unseal() -> None:
    # A new unseal (a new session epoch), as the trustees' after a seal.
    seal()
    unseal()


def test_a_lockdown_elsewhere_seals_this_node_on_its_next_request() -> None:
    _fresh_unseal()
    client = sign_in(Client(), make_staff(Role.CASEWORKER))
    assert client.get(reverse("web:dashboard")).status_code == 200
    SealEvent.objects.create(kind=SealEvent.LOCKDOWN)  # node 1's lockdown, as it writes it

    response = client.get(reverse("web:dashboard"))

    assert response.status_code == 503
    assert instance.status().sealed is True  # this node's key service dropped its keys


def test_a_page_that_works_sealed_still_makes_this_node_notice() -> None:
    _fresh_unseal()
    Client().get(reverse("accounts:login"))
    SealEvent.objects.create(kind=SealEvent.LOCKDOWN)

    response = Client().get(reverse("intake:help"))

    assert response.status_code == 200  # the intake works sealed
    assert instance.status().sealed is True


def test_a_lockdown_before_this_unseal_does_not_seal_it_again() -> None:
    SealEvent.objects.create(kind=SealEvent.LOCKDOWN)
    _fresh_unseal()
    client = sign_in(Client(), make_staff(Role.CASEWORKER))

    assert client.get(reverse("web:dashboard")).status_code == 200
    assert client.get(reverse("web:dashboard")).status_code == 200
    assert instance.status().sealed is False


def test_unsealing_with_shares_records_the_unseal_before_any_request(shares: list[str]) -> None:
    seal()
    instance.keyring().reset_unseal()
    for share in shares[:3]:
        nodes.submit_share(share)
    epoch = instance.status().session_epoch
    assert epoch

    rows = list(SealEvent.objects.filter(kind=SealEvent.UNSEAL).values_list("epoch", flat=True))

    assert len(rows) == 1
    assert epoch not in rows[0]  # the digest, not the value sessions carry
    SealEvent.objects.create(kind=SealEvent.LOCKDOWN)
    assert nodes.sealed_here_or_elsewhere() is True


def test_a_lockdown_here_leaves_the_row_the_other_nodes_read() -> None:
    _fresh_unseal()
    before = SealEvent.objects.filter(kind=SealEvent.LOCKDOWN).count()

    nodes.lockdown(actor=None, reason="cli")

    assert SealEvent.objects.filter(kind=SealEvent.LOCKDOWN).count() == before + 1
    assert instance.status().sealed is True


def test_the_proxys_health_check_is_enough_for_an_idle_node_to_notice() -> None:
    _fresh_unseal()
    assert Client().get("/healthz").json() == {"status": "unsealed"}
    SealEvent.objects.create(kind=SealEvent.LOCKDOWN)

    response = Client().get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "sealed"})
    assert instance.status().sealed is True
