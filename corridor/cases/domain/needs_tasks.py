"""What a case needs, the tasks that get it done, and the notes written along the way."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.audit.names import name
from corridor.cases.audit_names import CaseAudit
from corridor.cases.models import Case, Need, NeedStatus, Note, Task


def add_need(actor: User, case: Case, kind: str, details: str = "") -> Need:
    with act(actor, "cases.manage_tasks", case) as action:
        need = Need(case=case, kind=kind, details=details or None)
        need.full_clean(exclude=["case", "details"])
        need.save()
        action.record(CaseAudit.NEED_ADD, case)
    return need


def set_need_status(actor: User, need: Need, status: str) -> None:
    with act(actor, "cases.manage_tasks", need.case) as action:
        if status not in NeedStatus.values:
            raise ValidationError({"status": _("Unknown status.")})
        locked = lock(need)
        if locked.status == status:
            action.unchanged()
        else:
            locked.status = status
            locked.save(update_fields=["status"])
            action.record(name(f"need.{status}"), need.case)
    need.status = locked.status


def add_task(actor: User, case: Case, title: str, *, assignee: User | None = None, due: datetime.date | None = None) -> Task:
    with act(actor, "cases.manage_tasks", case) as action:
        title = title.strip()
        if not title:
            raise ValidationError({"title": _("Describe the task.")})
        if assignee is not None and not case.team.members.filter(pk=assignee.pk).exists():
            raise ValidationError({"assignee": _("Tasks can only be assigned to members of the case's team.")})
        task = Task(case=case, title=title, assignee=assignee, due=due)
        task.save()
        action.record(CaseAudit.TASK_ADD, case)
    return task


def complete_task(actor: User, task: Task) -> None:
    """Mark a task done; done already (a second tap on a slow phone), it keeps its first time."""
    with act(actor, "cases.manage_tasks", task.case) as action:
        locked = lock(task)
        if locked.done is not None:
            action.unchanged()
        else:
            locked.done = timezone.now()
            locked.save(update_fields=["done"])
            action.record(CaseAudit.TASK_DONE, task.case)
    task.done = locked.done


def add_note(actor: User | None, case: Case, body: str) -> Note:
    """A note on the case; `actor` None only for the system (the intake moving a thread in)."""
    with act(actor, None if actor is None else "cases.add_note", case) as action:
        body = body.strip()
        if not body:
            raise ValidationError({"body": _("The note is empty.")})
        note = Note(case=case, author=actor, body=body)
        note.save()
        action.record(CaseAudit.NOTE_ADD, case)
    return note
