"""Writing a checked spreadsheet: each row a person and the case they are the principal of.

One durable action for the whole file: all the rows are written, or none (a failure on the
last row leaves nothing of the first). Each person, case, status and note is written by the
cases app's own actions, so each has its own audit entry (an erasure or a case's history finds
them like any other); one more entry, `legacy.import`, says how many came from which import,
without any of their content.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.audit.actions import act
from corridor.cases.domain.cases import open_case
from corridor.cases.domain.needs_tasks import add_note
from corridor.cases.domain.people import create_person
from corridor.cases.domain.workflow import transition
from corridor.cases.models import Case, Status
from corridor.transfer.audit_names import LegacyImportAudit
from corridor.transfer.legacy import Plan, PlannedRow
from corridor.transfer.rules import IMPORT_SPREADSHEET


class ImportRefused(ValidationError):
    """The file has bad rows and the user did not choose to import only the valid ones."""


def import_rows(
    actor: User,
    plan: Plan,
    *,
    valid_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[Case]:
    """Create every planned row, or nothing.

    With bad rows in the plan nothing is written unless `valid_only`: then the valid rows are,
    and the bad ones are left for the user to correct and import again. `progress(done, total)`
    is called after each row.
    """
    if plan.errors and not valid_only:
        raise ImportRefused(_("The file has rows with errors; nothing was imported."))
    if not plan.rows:
        raise ImportRefused(_("There is no valid row to import."))
    teams = {team.pk: team for team in Team.objects.filter(pk__in={row.team_id for row in plan.rows})}
    owners = {user.pk: user for user in User.objects.filter(pk__in={row.owner_id for row in plan.rows if row.owner_id})}
    cases: list[Case] = []
    with act(actor, IMPORT_SPREADSHEET) as action:
        for done, row in enumerate(plan.rows, start=1):
            owner = owners.get(row.owner_id) if row.owner_id is not None else None
            cases.append(_import_row(actor, row, teams[row.team_id], owner))
            if progress is not None:
                progress(done, len(plan.rows))
        action.record(
            LegacyImportAudit.IMPORT,
            details={"created": len(cases), "skipped_rows": len(plan.bad_lines()), "rows": plan.total},
        )
    return cases


def _import_row(actor: User, row: PlannedRow, team: Team, owner: User | None) -> Case:
    try:
        person = create_person(actor, **row.person)
        case = open_case(actor, team=team, principal=person, priority=row.priority, summary=row.summary, owner=owner)
        if row.status != Status.NEW:
            transition(actor, case, row.status, _("Imported from a spreadsheet in this status."))
        if row.notes:
            add_note(actor, case, row.notes)
    except ValidationError as error:
        # Checked beforehand; the database may still have changed meanwhile (a team renamed).
        raise ValidationError(_("Line %(line)d: %(reason)s") % {"line": row.line, "reason": "; ".join(error.messages)}) from error
    return case
