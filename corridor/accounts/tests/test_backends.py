"""Permissions come from the roles' rules only (corridor/accounts/backends.py).

Before, Django's ModelBackend answered every has_perm too: a model permission written into the
auth tables (for a user or a group) opened what it named, and every page with the navigation
loaded those tables twice.
"""

from __future__ import annotations

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
