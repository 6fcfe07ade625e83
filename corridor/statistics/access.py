"""Which reports and snapshots a user may open: every reporter sees every report (they hold
only counts), 404 for the rest, refusals audited."""

from __future__ import annotations

from typing import Any

from corridor.accounts.models import User
from corridor.cases.access import get_visible
from corridor.statistics.models import Report, Snapshot
from corridor.statistics.rules import VIEW_REPORTS


def get_report_for_user(user: User, pk: Any, perm: str = VIEW_REPORTS) -> Report:
    return get_visible(user, Report.objects.select_related("author", "approved_by"), pk, perm)


def get_snapshot_for_user(user: User, pk: Any, perm: str = VIEW_REPORTS) -> Snapshot:
    return get_visible(user, Snapshot.objects.select_related("report", "approved_by", "published_by"), pk, perm)
