"""The sign-in backend's path changed (d5aec7f): a session stored under Django's ModelBackend path
ends cleanly (signed out, never a 500); and the superuser flag grants nothing through the async
permission checks either (review rev2)."""

from __future__ import annotations

import asyncio

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY
from django.test import Client
from django.urls import reverse

from corridor.accounts.models import Role, User
from corridor.accounts.testing import make_staff, sign_in

pytestmark = pytest.mark.django_db

OLD_PATH = "django.contrib.auth.backends.ModelBackend"


def test_a_session_signed_in_through_the_old_backend_path_is_signed_out() -> None:
    client = sign_in(Client(), make_staff(Role.CASEWORKER))
    assert client.get(reverse("web:dashboard")).status_code == 200
    session = client.session
    session[BACKEND_SESSION_KEY] = OLD_PATH
    session.save()
    for name in ("web:dashboard", "accounts:security", "accounts:users"):
        page = client.get(reverse(name))
        assert page.status_code == 302, name
        assert page["Location"].startswith(reverse("accounts:login")), name
    assert client.get(reverse("api-me")).status_code in (401, 403)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("accounts:login")).status_code == 200


def test_the_superuser_flag_grants_nothing_asked_asynchronously() -> None:
    hotline = make_staff(Role.HOTLINE)
    User.objects.filter(pk=hotline.pk).update(is_superuser=True)
    raised = User.objects.get(pk=hotline.pk)
    assert raised.get_all_permissions() == set()

    async def ask() -> tuple[bool, bool, bool, bool]:
        return (
            await raised.ahas_perm("intake.triage"),
            await raised.ahas_perm("accounts.manage_users"),
            await raised.ahas_perms(["intake.triage", "accounts.manage_users"]),
            await raised.ahas_module_perms("accounts"),
        )

    assert asyncio.run(ask()) == (True, False, False, False)
