"""Documentation pages: perpetrators — the list with the form for a new one, a perpetrator's page
listing every act attributed to them (victims named only where the reader sees their case), edit.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from corridor.audit import log as audit
from corridor.core.forms import submit_then, succeeded
from corridor.documentation import access, domain
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.forms import PerpetratorForm, term_label
from corridor.documentation.models import Involvement, Perpetrator
from corridor.documentation.rules import MANAGE_EVENTS, VIEW_EVENTS
from corridor.documentation.views import reader, wanted
from corridor.keys.fields import preload_keys


@never_cache
@require_http_methods(["GET", "POST"])
def list_view(request: HttpRequest) -> HttpResponse:
    user = reader(request, wanted(request, VIEW_EVENTS, MANAGE_EVENTS))
    perpetrators = access.perpetrators_visible_to(user).select_related("data_key")
    form = PerpetratorForm(request.POST or None, perpetrators=perpetrators)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.create_perpetrator(user, **form.values()),
            lambda made: succeeded(request, _("Perpetrator recorded."), redirect("documentation:perpetrator", made.pk)),
        )
        if done is not None:
            return done
    rows = list(perpetrators.select_related("part_of", "part_of__data_key"))
    preload_keys([*rows, *(p.part_of for p in rows if p.part_of)])
    rows.sort(key=lambda p: str(p.name).casefold())
    if rows:
        audit.record(
            actor=user, action=DocumentationAudit.PERPETRATOR_LIST, obj=None, details={"perpetrators": [str(p.pk) for p in rows]}
        )
    context = {"rows": rows, "form": form, "can_manage": user.has_perm(MANAGE_EVENTS)}  # what the page offers
    return render(request, "documentation/perpetrators.html", context, status=400 if form.errors else 200)


def _attributed(user: Any, perpetrator: Perpetrator) -> list[dict[str, Any]]:
    """Every visible act attributed to `perpetrator`, with the victim named by the one rule."""
    involvements = list(
        Involvement.objects.filter(perpetrator=perpetrator, act__in=access.acts_visible_to(user))
        .select_related("act", "act__act_type", "act__victim", "act__event", "act__event__data_key")
        .order_by("act__event__start", "act__start")
    )
    preload_keys([i.act.event for i in involvements])
    preload_keys([i.act for i in involvements])
    labels = access.person_labels(user, [i.act.victim for i in involvements])
    return [
        {
            "involvement": involvement,
            "act": involvement.act,
            "event": involvement.act.event,
            "type": term_label(involvement.act.act_type),
            "victim": labels.get(involvement.act.victim_id, ""),
        }
        for involvement in involvements
    ]


@never_cache
@require_http_methods(["GET"])
def detail_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    perpetrator = access.get_perpetrator_for_user(user, pk, perm=VIEW_EVENTS)
    members = list(access.perpetrators_visible_to(user).filter(part_of=perpetrator).select_related("data_key"))
    preload_keys([perpetrator, *members, *([perpetrator.part_of] if perpetrator.part_of else [])])
    audit.record_read(user, perpetrator)
    context = {
        "perpetrator": perpetrator,
        "members": members,
        "rows": _attributed(user, perpetrator),
        "can_manage": user.has_perm(MANAGE_EVENTS),  # what the page offers
    }
    return render(request, "documentation/perpetrator.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def edit_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    perpetrator = access.get_perpetrator_for_user(user, pk, perm=MANAGE_EVENTS)
    others = access.perpetrators_visible_to(user).select_related("data_key")
    form = PerpetratorForm(request.POST or None, perpetrators=others, perpetrator=perpetrator)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.update_perpetrator(user, perpetrator, seen=data["seen"], **form.values()),
            lambda saved: succeeded(request, _("Perpetrator saved."), redirect("documentation:perpetrator", perpetrator.pk)),
        )
        if done is not None:
            return done
    else:
        audit.record_read(user, perpetrator)
    preload_keys([perpetrator])
    return render(
        request,
        "documentation/perpetrator_form.html",
        {"form": form, "perpetrator": perpetrator},
        status=400 if form.errors else 200,
    )


urlpatterns: list[URLPattern] = [
    path("perpetrators/", list_view, name="perpetrators"),
    path("perpetrators/<uuid:pk>/", detail_view, name="perpetrator"),
    path("perpetrators/<uuid:pk>/edit/", edit_view, name="perpetrator_edit"),
]
