"""The auditor's page: entries newest first, filtered by who, what, which object and when;
the checkpoint history and "verify now"."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.audit import log as audit
from corridor.audit import schedule
from corridor.audit.forms import ANY_READ, READS, AuditFilterForm
from corridor.audit.models import AuditEntry, Checkpoint
from corridor.audit.names import LogAudit, label, page_for
from corridor.audit.verify import verify

PAGE_SIZE = 50
CHECKPOINTS_SHOWN = 50
# Fields by which staff name an object aloud: a case's reference, a person's random codename.
# Neither is personal data; every other object is shown by its kind and id.
NAMED_BY = ("reference", "codename")
# At most this many objects match one typed name (codenames and references are unique).
OBJECT_MATCHES = 20


def _usernames(actor_ids: set[int]) -> dict[int, str]:
    """One query for every actor on the page; the log itself knows only ids."""
    if not actor_ids:
        return {}
    user_model = get_user_model()
    rows = user_model._default_manager.filter(pk__in=actor_ids).values_list("pk", user_model.USERNAME_FIELD)
    return {int(pk): str(name) for pk, name in rows}


def _name_field(model: type[models.Model]) -> str | None:
    for name in NAMED_BY:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.CharField):
            return name
    return None


def _object_matches(text: str) -> Q:
    """Entries about the object the auditor typed: its id, or a reference or codename naming it."""
    found = Q(object_id=text)
    for model in apps.get_models():
        field = _name_field(model)
        if field is None:
            continue
        pks = model._default_manager.filter(**{f"{field}__iexact": text}).values_list("pk", flat=True)[:OBJECT_MATCHES]
        ids = [str(pk) for pk in pks]
        if ids:
            found |= Q(object_type=model._meta.label_lower, object_id__in=ids)
    return found


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def filtered(entries: QuerySet[AuditEntry], data: dict[str, Any]) -> QuerySet[AuditEntry]:
    """`entries` narrowed by the form's cleaned data (every filter optional, all combined)."""
    if data.get("actor") == "system":
        entries = entries.filter(actor_id__isnull=True)
    elif data.get("actor"):
        entries = entries.filter(actor_id=int(data["actor"]))
    if data.get("action") == ANY_READ:
        entries = entries.filter(action__in=READS)
    elif data.get("action"):
        entries = entries.filter(action=data["action"])
    if data.get("object", "").strip():
        entries = entries.filter(_object_matches(data["object"].strip()))
    if data.get("since"):
        entries = entries.filter(time__gte=_start_of(data["since"]))
    if data.get("until"):
        entries = entries.filter(time__lt=_start_of(data["until"] + datetime.timedelta(days=1)))
    return entries


@dataclass(frozen=True)
class Shown:
    """How one entry's object is shown: its kind, the name staff use for it, and a link to its
    page when the viewer may open it."""

    kind: str
    name: str
    url: str | None = None


def _pks(model: type[models.Model], ids: Iterable[str]) -> list[Any]:
    pk_field = model._meta.pk
    if pk_field is None:  # an abstract model: never an entry's object
        return []
    found = []
    for value in ids:
        try:
            found.append(pk_field.to_python(value))
        except ValidationError:
            continue  # an id the model could not have: shown as stored
    return found


def _shown(user: Any, entries: Iterable[AuditEntry]) -> dict[tuple[str, str], Shown]:
    """One or two queries per kind of object on the page, none per row."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.object_type:
            by_type[entry.object_type].add(entry.object_id)
    shown: dict[tuple[str, str], Shown] = {}
    for label_lower, ids in by_type.items():
        try:
            model = apps.get_model(label_lower)
        except (LookupError, ValueError):
            for i in ids:
                shown[(label_lower, i)] = Shown(label_lower, i)
            continue
        kind = str(model._meta.verbose_name)
        field = _name_field(model)
        pks = _pks(model, ids)
        names = (
            {str(pk): str(name) for pk, name in model._default_manager.filter(pk__in=pks).values_list("pk", field)}
            if field
            else {}
        )
        page = page_for(label_lower)
        urls: dict[str, str] = {}
        if page is not None:
            for obj in model._default_manager.filter(pk__in=pks):
                if user.has_perm(page.perm, obj):
                    try:
                        urls[str(obj.pk)] = reverse(page.url_name, args=[obj.pk])
                    except NoReverseMatch:
                        pass
        for i in ids:
            shown[(label_lower, i)] = Shown(kind, names.get(i, i), urls.get(i))
    return shown


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
    # GET, so that a filtered page can be bookmarked and paged: what it carries is an action
    # name, a username, dates and a case reference or codename, none of them personal data,
    # and corridor.core.logging never writes a query string to a log.
    asked = any(request.GET.get(field) for field in AuditFilterForm.base_fields)
    form = AuditFilterForm(request.GET if asked else None)
    entries = AuditEntry.objects.order_by("-seq").defer("details", "commitment", "leaf_hash")
    if asked:
        entries = filtered(entries, form.cleaned_data) if form.is_valid() else entries.none()
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    names = _usernames({entry.actor_id for entry in page if entry.actor_id is not None})
    objects = _shown(request.user, page)
    rows: list[dict[str, Any]] = [
        {
            "entry": entry,
            "actor": names.get(entry.actor_id) if entry.actor_id is not None else None,
            "label": label(entry.action),
            "object": objects.get((entry.object_type, entry.object_id)),
        }
        for entry in page
    ]
    checkpoints = list(Checkpoint.objects.order_by("-tree_size")[:CHECKPOINTS_SHOWN])
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "filtered": asked,
            "page": page,
            "rows": rows,
            "checkpoints": checkpoints,
            "checkpoint_count": Checkpoint.objects.count(),
            "report": report,
            "daily": schedule.latest(),
        },
    )
