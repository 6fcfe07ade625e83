"""Reminders of tasks due today or overdue: a periodic job (notifications.jobs) that tells each
assignee (or the case's owner, for a task nobody has) their counts, once a day.

Reads only what is stored in clear (due dates, done, assignee, owner): it runs while sealed.
"""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from corridor.accounts.models import User
from corridor.cases.models import Task
from corridor.notifications import api as notifications

EVERY_SECONDS = 15 * 60  # a new day is noticed within a quarter of an hour


def task_counts(today: datetime.date) -> tuple[dict[User, int], dict[User, int]]:
    """(due today, overdue) per person responsible: the assignee, else the case's owner."""
    due: dict[User, int] = {}
    overdue: dict[User, int] = {}
    tasks = (
        Task.objects.filter(done__isnull=True, due__lte=today)
        .filter(Q(assignee__isnull=False) | Q(case__owner__isnull=False))
        .select_related("assignee", "case__owner")
        .only("due", "assignee", "case__owner")
    )
    for task in tasks:
        person = task.assignee or task.case.owner
        if person is None or task.due is None:
            continue
        counts = due if task.due == today else overdue
        counts[person] = counts.get(person, 0) + 1
    return due, overdue


def remind_tasks(now: datetime.datetime | None = None) -> int:
    """Tell everyone with tasks due today or overdue, once a day; how many were told."""
    now = now or timezone.now()
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    due, overdue = task_counts(today)
    link = reverse("web:dashboard")
    told = notifications.remind_daily(due, notifications.Kind.TASK_DUE, link=link, now=now)
    return told + notifications.remind_daily(overdue, notifications.Kind.TASK_OVERDUE, link=link, now=now)


def register() -> None:
    notifications.jobs.register("cases.remind_tasks", EVERY_SECONDS, remind_tasks)
