"""Documentation pages: sources — the list, a new source, a source's page (what it is derived from,
what derives from it, what it says about which events and acts, near-duplicate flags), edit.

A testimony-giver is named only where the reader sees their case (access.victim_label).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from corridor.audit import log as audit
from corridor.cases.access import people_visible_to
from corridor.core.forms import submit_then, succeeded
from corridor.documentation import access, domain, nearduplicates
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.forms import DerivedForm, SourceForm, term_label
from corridor.documentation.models import Source, SourceKind
from corridor.documentation.rules import MANAGE_EVENTS, VIEW_EVENTS
from corridor.documentation.views import reader
from corridor.keys.fields import preload_keys


@never_cache
@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    user = reader(request)
    kind = request.GET.get("kind", "")
    sources = access.sources_visible_to(user).select_related("data_key", "person", "derived_from", "derived_from__data_key")
    if kind in SourceKind.values:
        sources = sources.filter(kind=kind)
    rows = list(sources.order_by("-created"))
    preload_keys([*rows, *(s.derived_from for s in rows if s.derived_from)])
    labels = access.person_labels(user, [s.person for s in rows])
    if rows:
        audit.record(actor=user, action=DocumentationAudit.SOURCE_LIST, obj=None, details={"sources": [str(s.pk) for s in rows]})
    context = {
        "rows": [(source, labels.get(source.person_id, "") if source.person_id else "") for source in rows],
        "kinds": SourceKind.choices,
        "kind": kind,
        "can_manage": user.has_perm(MANAGE_EVENTS),  # what the page offers
    }
    return render(request, "documentation/sources.html", context)


def _form(request: HttpRequest, user: Any, source: Source | None = None) -> SourceForm:
    sources = access.sources_visible_to(user)
    return SourceForm(request.POST or None, user=user, people=people_visible_to(user), sources=sources, source=source)


@never_cache
@require_http_methods(["GET", "POST"])
def new_view(request: HttpRequest) -> HttpResponse:
    user = reader(request, MANAGE_EVENTS)
    form = _form(request, user)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.create_source(user, team=data["team"], **form.values()),
            lambda made: succeeded(request, _("Source recorded."), redirect("documentation:source", made.pk)),
        )
        if done is not None:
            return done
    return render(request, "documentation/source_form.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def edit_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    source = access.get_source_for_user(user, pk, perm=MANAGE_EVENTS)
    form = _form(request, user, source)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.update_source(user, source, seen=data["seen"], **form.values()),
            lambda saved: succeeded(request, _("Source saved."), redirect("documentation:source", source.pk)),
        )
        if done is not None:
            return done
    else:
        audit.record_read(user, source)
    preload_keys([source])
    return render(request, "documentation/source_form.html", {"form": form, "source": source}, status=400 if form.errors else 200)


def _context(user: Any, source: Source, derived_form: DerivedForm | None = None) -> dict[str, Any]:
    visible = access.sources_visible_to(user).select_related("data_key")
    chain = []
    current = source
    seen = {source.pk}
    while current.derived_from_id and current.derived_from_id not in seen:
        parent = visible.filter(pk=current.derived_from_id).first()
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.pk)
        current = parent
    derivatives = list(visible.filter(derived_from=source))
    information = list(
        access.information_visible_to(user)
        .filter(source=source)
        .select_related("event", "event__data_key", "act", "act__event", "act__event__data_key", "act__act_type", "act__victim")
        .order_by("created")
    )
    for row in information:
        row.source = source
    preload_keys([source, *chain, *derivatives])
    preload_keys([event for row in information if (event := row.act.event if row.act else row.event) is not None])
    preload_keys(information)
    labels = access.person_labels(user, [source.person, *(row.act.victim for row in information if row.act)])
    for row in information:
        if row.act is not None:
            row.act_label = f"{term_label(row.act.act_type)} — {labels.get(row.act.victim_id, '')}"  # type: ignore[attr-defined]  # shown by the template
    others = visible.exclude(pk=source.pk)
    if user.has_perm(MANAGE_EVENTS) and derived_form is None:
        derived_form = DerivedForm(sources=others, initial={"derived_from": source.derived_from_id})
    return {
        "source": source,
        "given_by": labels.get(source.person_id, "") if source.person_id else "",
        "chain": chain,
        "derivatives": derivatives,
        "information": information,
        "labels": labels,
        "flags": nearduplicates.flags_for_source(user, source),
        "derived_form": derived_form,
        "can_manage": user.has_perm(MANAGE_EVENTS),  # what the page offers
    }


@never_cache
@require_GET
def detail_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    source = access.get_source_for_user(user, pk, perm=VIEW_EVENTS)
    audit.record_read(user, source)
    return render(request, "documentation/source.html", _context(user, source))


@require_POST
def derived_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    source = access.get_source_for_user(user, pk, perm=MANAGE_EVENTS)
    others = access.sources_visible_to(user).exclude(pk=source.pk).select_related("data_key")
    form = DerivedForm(request.POST, sources=others)
    done = submit_then(
        form,
        lambda data: domain.mark_derived(user, source, data["derived_from"]),
        lambda saved: succeeded(request, _("Saved where the source comes from."), redirect("documentation:source", source.pk)),
        "derived_from",
    )
    if done is not None:
        return done
    return render(request, "documentation/source.html", _context(user, source, form), status=400)


urlpatterns: list[URLPattern] = [
    path("sources/", list_view, name="sources"),
    path("sources/new/", new_view, name="source_new"),
    path("sources/<uuid:pk>/", detail_view, name="source"),
    path("sources/<uuid:pk>/edit/", edit_view, name="source_edit"),
    path("sources/<uuid:pk>/derived/", derived_view, name="source_derived"),
]
