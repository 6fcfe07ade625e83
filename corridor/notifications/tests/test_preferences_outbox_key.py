"""The preferences page after the outbox key changed (a restore without `outbox_identity`, which
docs/operators/notifications.md tells staff to answer by entering their address again)."""

from __future__ import annotations

import pytest
from django.test import Client

from corridor.accounts.models import Role
from corridor.accounts.testing import make_world, sign_in
from corridor.keys import crypto
from corridor.notifications.models import Preference

pytestmark = pytest.mark.django_db


def test_preferences_open_and_take_a_new_address_when_the_outbox_key_changed() -> None:
    world = make_world()
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    saved = client.post("/notifications/preferences/", {"batching": "immediate", "email": "old@example.org", "public_key": ""})
    assert saved.status_code == 302
    # The address as sealed to another instance's outbox key: this one cannot open it.
    _identity, stranger = crypto.generate_age_identity()
    Preference.objects.filter(user=world.users[Role.CASEWORKER]).update(
        email_box=crypto.age_encrypt(stranger, b"old@example.org")
    )

    page = client.get("/notifications/preferences/")
    assert page.status_code == 200
    again = client.post("/notifications/preferences/", {"batching": "immediate", "email": "new@example.org", "public_key": ""})
    assert again.status_code == 302
    assert Preference.objects.get(user=world.users[Role.CASEWORKER]).email == "new@example.org"
