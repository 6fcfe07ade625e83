"""Permissions come from the roles' rules only (corridor/accounts/backends.py).

Before, Django's ModelBackend answered every has_perm too: a model permission written into the
auth tables (for a user or a group) opened what it named, and every page with the navigation
loaded those tables twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from corridor.accounts.models import Role
from corridor.accounts.testing import PASSWORD, make_staff, sign_in

pytestmark = [pytest.mark.django_db]


def _permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.mark.parametrize("through", ["user", "group"])
def test_a_model_permission_in_the_auth_tables_grants_nothing(through: str) -> None:
    """`cases.view_case` is a Django model permission and a Corridor rule: an auditor given the
    former (by a write to the auth tables) still does not hold the latter."""
    auditor = make_staff(Role.AUDITOR)
    assert not auditor.has_perm("cases.view_case")
    granted = _permission("cases.view_case")
    if through == "user":
        auditor.user_permissions.add(granted)
    else:
        group = Group.objects.create(name="planted")
        group.permissions.add(granted)
        auditor.groups.add(group)
    fresh = type(auditor).objects.get(pk=auditor.pk)  # no permission cache from before the grant
    assert not fresh.has_perm("cases.view_case")
    assert fresh.get_all_permissions() == set()
    assert not fresh.has_module_perms("cases")
    # The roles' rules still answer as before.
    caseworker = make_staff(Role.CASEWORKER)
    assert caseworker.has_perm("cases.view_case")


def test_pages_do_not_read_the_auth_permission_tables() -> None:
    client = sign_in(Client(), make_staff(Role.CASEWORKER))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("cases:cases")).status_code == 200
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "auth_permission" not in sql and "auth_group" not in sql and "user_permissions" not in sql


def test_the_password_still_signs_in() -> None:
    user = make_staff(Role.HOTLINE)
    assert authenticate(username=user.username, password=PASSWORD) == user
    assert authenticate(username=user.username, password=PASSWORD + "x") is None


def test_the_superuser_flag_grants_nothing() -> None:
    """Django's PermissionsMixin says yes to everything for an active superuser; Corridor's roles
    decide instead, so a superuser row (planted, or made by Django's own command) opens nothing."""
    hotline = make_staff(Role.HOTLINE)
    withheld = (
        "accounts.manage_users",
        "audit.view_log",
        "accounts.lockdown",
        "cases.review_break_glass",
        "intake.edit_questionnaire",
    )
    assert hotline.has_perm("intake.triage") and not any(hotline.has_perm(perm) for perm in withheld)
    type(hotline).objects.filter(pk=hotline.pk).update(is_superuser=True)
    raised = type(hotline).objects.get(pk=hotline.pk)
    assert raised.is_superuser
    assert raised.has_perm("intake.triage")  # what the role holds, still
    for perm in withheld:
        assert not raised.has_perm(perm), perm
    assert not raised.has_perms(["intake.triage", "accounts.manage_users"])
    assert not raised.has_module_perms("accounts")


def test_the_cli_refuses_createsuperuser_and_names_createuser(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CORRIDOR_", "DJANGO_")) and k != "DATABASE_URL"}
    env.update({"CORRIDOR_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "corridor.settings"})
    done = subprocess.run(  # noqa: S603 -- our own interpreter and CLI
        [sys.executable, "-m", "corridor.cli", "createsuperuser", "--username", "root", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 1
    assert "corridor createuser" in done.stderr and "Traceback" not in done.stderr
