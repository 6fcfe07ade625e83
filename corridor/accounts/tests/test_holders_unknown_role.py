"""accounts.holders with a role outside Role's choices: the roles holding a role-only rule are
found by asking one user per known role, so a user whose stored role is none of them (a blank
role, a role a later release removed) was never asked; under a negated rule (`~is_admin`) has_perm
says yes to them, and holders() must too (review rev2)."""

from __future__ import annotations

import pytest
import rules

from corridor.accounts import holders as holders_module
from corridor.accounts.holders import holders, roles_holding
from corridor.accounts.models import Role, User
from corridor.accounts.rules import is_admin
from corridor.accounts.testing import make_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("stored_role", ["", "retired"])
def test_a_user_whose_role_is_not_a_choice_is_found_when_has_perm_says_yes(stored_role: str) -> None:
    name = "accounts.test_holders_not_admin"
    rules.add_perm(name, ~is_admin)
    try:
        make_staff(Role.ADMIN, username="u-admin", factor=False)
        make_staff(Role.HOTLINE, username="u-hotline", factor=False)
        odd = make_staff(Role.HOTLINE, username="u-odd", factor=False)
        User.objects.filter(pk=odd.pk).update(role=stored_role)
        assert roles_holding(name) == frozenset(Role.values) - {Role.ADMIN}  # the fast path
        everyone = [u.username for u in User.objects.filter(is_active=True).order_by("pk") if u.has_perm(name)]
        assert everyone == ["u-hotline", "u-odd"]
        assert [u.username for u in holders(name)] == everyone
    finally:
        rules.remove_perm(name)
        holders_module._roles.pop(name, None)
