"""Who may triage anonymous requests: hotline operators, and no one else (not even admins).

Once a case was opened from a request, the request belongs to that case: its thread, its
new messages and replies to the person are for those who may see the case (team or
an unexpired break-glass grant), exactly as the case itself (Invariant 5).
"""

from __future__ import annotations

from typing import Any

import rules

from corridor.accounts.rules import is_admin, is_hotline


@rules.predicate  # type: ignore[untyped-decorator]  # rules ships no types
def may_see_its_case(user: Any, request: Any) -> bool:
    """True for a request without a case; otherwise only when the user may see that case."""
    from corridor.cases.access import cases_visible_to  # cases imports intake-free models only; keep app loading lazy

    if request is None or request.case_id is None:
        return True
    return bool(cases_visible_to(user).filter(pk=request.case_id).exists())


rules.add_perm("intake.triage", is_hotline)
rules.add_perm("intake.handle_request", is_hotline & may_see_its_case)
rules.add_perm("intake.edit_questionnaire", is_admin)  # approval by a second admin: domain/questionnaires.py
