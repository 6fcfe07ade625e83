"""Named permissions for case work (django `rules`); visibility itself is in access.py."""

from __future__ import annotations

import rules

from corridor.accounts.rules import is_admin, is_caseworker, is_documentation, is_hotline, is_relocation

can_work_cases = is_caseworker | is_hotline | is_relocation | is_documentation

rules.add_perm("cases.view_case", can_work_cases)
rules.add_perm("cases.add_case", is_caseworker | is_hotline)
rules.add_perm("cases.change_case", is_caseworker | is_hotline)
rules.add_perm("cases.add_note", can_work_cases)
rules.add_perm("cases.add_document", can_work_cases)
rules.add_perm("cases.manage_tasks", can_work_cases)
rules.add_perm("cases.manage_safe_houses", is_caseworker)
rules.add_perm("cases.break_glass", can_work_cases)
rules.add_perm("cases.erase_person", is_caseworker | is_admin)
rules.add_perm("cases.review_break_glass", is_admin)


@rules.predicate  # type: ignore[untyped-decorator]  # rules ships no types
def is_in_case_team(user: object, case: object) -> bool:
    """A member of the team the case belongs to (not merely someone who can see it by break-glass)."""
    team = getattr(case, "team", None)
    if team is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(team.members.filter(pk=getattr(user, "pk", None)).exists())


# Ownership is a responsibility inside the team, not a door: it grants no access of its own.
rules.add_perm("cases.assign_owner", is_admin | ((is_caseworker | is_hotline) & is_in_case_team))
