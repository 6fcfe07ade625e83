"""Named permission predicates for roles and teams (django `rules`).

Later apps add their object permissions from these building blocks; views and API
ask `user.has_perm(...)`, never `user.role == ...`.
"""

from __future__ import annotations

from typing import Any

import rules

from corridor.accounts.models import Role
from corridor.accounts.roles import CASE_ROLES, STAFF_ROLES

# The names of the role predicates below: accounts.holders recognises a rule made of these alone.
ROLE_PREDICATE_NAMES: set[str] = set()


def _has_role(*roles: str) -> Any:
    name = f"has_role({'|'.join(roles)})"
    ROLE_PREDICATE_NAMES.add(name)

    @rules.predicate(name=name)  # type: ignore[untyped-decorator]  # rules ships no types
    def predicate(user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False) and user.is_active and user.role in roles)

    return predicate


is_admin = _has_role(Role.ADMIN)
is_hotline = _has_role(Role.HOTLINE)
is_caseworker = _has_role(Role.CASEWORKER)
is_relocation = _has_role(Role.RELOCATION)
is_documentation = _has_role(Role.DOCUMENTATION)
is_auditor = _has_role(Role.AUDITOR)
is_trustee = _has_role(Role.TRUSTEE)
is_case_staff = _has_role(*sorted(CASE_ROLES))
is_staff_member = _has_role(*sorted(STAFF_ROLES))


@rules.predicate  # type: ignore[untyped-decorator]  # rules ships no types
def is_team_member(user: Any, team: Any) -> bool:
    if team is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(team.members.filter(pk=user.pk).exists())


@rules.predicate  # type: ignore[untyped-decorator]  # rules ships no types
def is_self(user: Any, target: Any) -> bool:
    """The user acts on their own account (factors, tokens, sign-in), active and signed in."""
    if target is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(getattr(target, "pk", None) == user.pk)


rules.add_perm("accounts.manage_users", is_admin)
# Half-signed-in users (enrolling, between password and code) act on their own account too.
rules.add_perm("accounts.manage_own_account", is_self)
# Tokens are managed on their owner: the owner themselves, or an administrator.
rules.add_perm("accounts.manage_tokens", is_self | is_admin)
rules.add_perm("accounts.lockdown", is_admin)
rules.add_perm("accounts.view_team", is_team_member | is_admin)
rules.add_perm("accounts.use_staff_pages", is_staff_member)
rules.add_perm("accounts.create_api_token", is_staff_member)
rules.add_perm("audit.view_log", is_auditor | is_admin)
