"""A case's status along its workflow (new → verifying → active → relocating → arrived, or on hold).

The decision is taken on the case as it is under the lock, not on the caller's copy: two people
moving one case from the same status at once get one change and one Conflict.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.audit.names import name
from corridor.cases.models import Case, Status, StatusChange
from corridor.cases.queries import allowed_transitions
from corridor.core.errors import Conflict


def transition(actor: User, case: Case, new: str, reason: str, *, seen: str | None = None) -> StatusChange:
    """Move a case along its workflow; every move is dated, attributed and explained.

    `seen` is the status the user decided on (a page sends back the one it showed); by default
    the status of the caller's copy. When the status in the database is no longer that one,
    nothing is changed and Conflict says so.
    """
    with act(actor, "cases.change_case", case) as action:
        reason = reason.strip()
        if not reason:
            raise ValidationError({"reason": _("Say why the status changes.")})
        locked = lock(case)
        if locked.status != (seen or case.status):
            raise Conflict(
                {
                    "status": _("The case's status changed to “%(now)s” while you were working; nothing was changed.")
                    % {"now": locked.get_status_display()}
                }
            )
        if new not in allowed_transitions(locked):
            raise ValidationError(
                {
                    "status": _("A case cannot go from “%(old)s” to “%(new)s”.")
                    % {"old": locked.get_status_display(), "new": Status(new).label}
                }
            )
        if new == Status.ACTIVE and locked.status == Status.VERIFYING and not locked.verifications.exists():
            raise ValidationError({"status": _("Record how the case was verified before making it active.")})
        change = StatusChange(case=locked, old=locked.status, new=new, by=actor, reason=reason)
        change.save()
        locked.status_before_hold = locked.status if new == Status.ON_HOLD else ""
        locked.status = new
        locked.save(update_fields=["status", "status_before_hold", "updated"])
        action.record(name(f"case.status.{new}"), locked)
    case.status, case.status_before_hold, case.updated = locked.status, locked.status_before_hold, locked.updated
    return change
