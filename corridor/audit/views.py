"""The auditor's page: entries newest first, the checkpoint history and "verify now"."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.audit import log as audit
from corridor.audit.models import AuditEntry, Checkpoint
from corridor.audit.names import LogAudit
from corridor.audit.verify import verify

PAGE_SIZE = 50
CHECKPOINTS_SHOWN = 50


def _usernames(actor_ids: set[int]) -> dict[int, str]:
    """One query for every actor on the page; the log itself knows only ids."""
    if not actor_ids:
        return {}
    user_model = get_user_model()
    rows = user_model._default_manager.filter(pk__in=actor_ids).values_list("pk", user_model.USERNAME_FIELD)
    return {int(pk): str(name) for pk, name in rows}


@never_cache
@require_http_methods(["GET", "POST"])
def log_view(request: HttpRequest) -> HttpResponse:
    # 404, not 403: a page one may not see answers as if it did not exist (Invariant 5).
    if not request.user.has_perm("audit.view_log"):
        raise Http404
    report = None
    if request.method == "POST":
        report = verify()
        audit.record(actor=request.user, action=LogAudit.VERIFY, obj=None)
    entries = AuditEntry.objects.order_by("-seq").defer("details", "commitment", "leaf_hash")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    names = _usernames({entry.actor_id for entry in page if entry.actor_id is not None})
    rows: list[dict[str, Any]] = [
        {"entry": entry, "actor": names.get(entry.actor_id) if entry.actor_id is not None else None} for entry in page
    ]
    checkpoints = list(Checkpoint.objects.order_by("-tree_size")[:CHECKPOINTS_SHOWN])
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "rows": rows,
            "checkpoints": checkpoints,
            "checkpoint_count": Checkpoint.objects.count(),
            "report": report,
        },
    )
