"""Documentation pages: the events list with its filters, the timeline, an event's page (acts,
victims, perpetrators, sources, corroboration, evidence, chain), and the event and chain forms.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from corridor.audit import log as audit
from corridor.cases.access import people_visible_to
from corridor.core.forms import press, submit_then, succeeded
from corridor.documentation import access, corroboration, domain, nearduplicates
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.forms import (
    ActForm,
    ChainForm,
    EventFilterForm,
    EventForm,
    EvidenceForm,
    InformationForm,
    InvolvementForm,
    term_label,
)
from corridor.documentation.models import Act, Event, Evidence, Information, Involvement
from corridor.documentation.rules import MANAGE_EVENTS, VIEW_EVENTS
from corridor.documentation.views import reader, timeline
from corridor.keys.fields import preload_keys

PAGE_SIZE = 50


def _filtered(user: Any, filters: dict[str, Any]) -> QuerySet[Event]:
    events = access.events_visible_to(user)
    if filters.get("act_type") is not None:
        events = events.filter(pk__in=Act.objects.filter(act_type=filters["act_type"]).values("event_id"))
    if filters.get("region"):
        events = events.filter(region=filters["region"])
    # An event is in a period when the two overlap; an event with no end lasted its start day.
    if filters.get("after"):
        events = events.annotate(last_day=Coalesce(F("end"), F("start"))).filter(last_day__gte=filters["after"])
    if filters.get("before"):
        events = events.filter(start__lte=filters["before"])
    return events


def _regions(user: Any) -> list[str]:
    regions = access.events_visible_to(user).exclude(region="").values_list("region", flat=True).distinct()
    return sorted(set(regions))


def _act_types(events: list[Event]) -> dict[uuid.UUID, list[str]]:
    """The types of act of each event, in the page's language (one query for the page)."""
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    for act in Act.objects.filter(event__in=events).select_related("act_type"):
        found[act.event_id].add(term_label(act.act_type))
    return {pk: sorted(labels) for pk, labels in found.items()}


@never_cache
@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    user = reader(request)
    form = EventFilterForm(request.GET or None, regions=_regions(user))
    filters = form.cleaned_data if form.is_valid() else {}
    events = _filtered(user, filters).select_related("data_key").order_by("-start", "-created")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    preload_keys(rows)
    if rows:
        audit.record(actor=user, action=DocumentationAudit.EVENT_LIST, obj=None, details={"events": [str(e.pk) for e in rows]})
    query = request.GET.copy()
    query.pop("page", None)
    types = _act_types(rows)
    context = {
        "form": form,
        "page": page,
        "rows": [(event, types.get(event.pk, [])) for event in rows],
        "query": query.urlencode(),
        "can_manage": user.has_perm(MANAGE_EVENTS),  # what the page offers; the action decides
    }
    return render(request, "documentation/events.html", context, status=200 if form.is_valid() or not form.is_bound else 400)


@never_cache
@require_GET
def timeline_view(request: HttpRequest) -> HttpResponse:
    user = reader(request)
    form = EventFilterForm(request.GET or None, regions=_regions(user))
    filters = form.cleaned_data if form.is_valid() else {}
    events = list(_filtered(user, filters).select_related("data_key").order_by("start", "created")[: timeline.MAX_EVENTS])
    preload_keys(events)
    if events:
        audit.record(actor=user, action=DocumentationAudit.EVENT_LIST, obj=None, details={"events": [str(e.pk) for e in events]})
    context = {
        "form": form,
        "chart": timeline.chart(events, _("Events by month")),
        "months": timeline.by_month(events, _act_types(events)),
        "limit": timeline.MAX_EVENTS,
        "capped": len(events) == timeline.MAX_EVENTS,
    }
    return render(request, "documentation/timeline.html", context)


# -- new and edit ------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def new_view(request: HttpRequest) -> HttpResponse:
    user = reader(request, MANAGE_EVENTS)
    form = EventForm(request.POST or None, user=user)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.create_event(user, team=data["team"], **form.values()),
            lambda event: succeeded(request, _("Event recorded."), redirect("documentation:event", event.pk)),
        )
        if done is not None:
            return done
    return render(request, "documentation/event_form.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def edit_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    event = access.get_event_for_user(user, pk, perm=MANAGE_EVENTS)
    form = EventForm(request.POST or None, user=user, event=event)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.update_event(user, event, seen=data["seen"], **form.values()),
            lambda saved: succeeded(request, _("Event saved."), redirect("documentation:event", event.pk)),
        )
        if done is not None:
            return done
    else:
        audit.record_read(user, event)
    return render(request, "documentation/event_form.html", {"form": form, "event": event}, status=400 if form.errors else 200)


# -- the event page ----------------------------------------------------------------------------


def _information(acts: list[Act], event: Event, user: Any) -> tuple[dict[uuid.UUID, list[Information]], list[Information]]:
    """The visible information of the event and of each act, with the sources preloaded."""
    sources = access.sources_visible_to(user)
    rows = list(
        Information.objects.filter(Q(event=event) | Q(act__in=acts), source__in=sources)
        .select_related("source", "source__data_key", "source__person")
        .prefetch_related("reported_perpetrators__data_key")
        .order_by("created")
    )
    preload_keys([row.source for row in rows])
    preload_keys(rows)
    per_act: dict[uuid.UUID, list[Information]] = defaultdict(list)
    on_event: list[Information] = []
    for row in rows:
        if row.act_id is not None:
            per_act[row.act_id].append(row)
        else:
            on_event.append(row)
    return per_act, on_event


def _chain(user: Any, event: Event) -> tuple[Event | None, list[Event]]:
    visible = access.events_visible_to(user).select_related("data_key")
    previous = visible.filter(pk=event.follows_id).first() if event.follows_id else None
    following = list(visible.filter(follows=event).order_by("start"))
    preload_keys([e for e in [previous, *following] if e is not None])
    return previous, following


def _act_choices(acts: list[Act], labels: dict[uuid.UUID, str]) -> list[tuple[str, str]]:
    return [(str(act.pk), f"{term_label(act.act_type)} — {labels.get(act.victim_id, '')}") for act in acts]


def _forms(
    user: Any, event: Event, acts: list[Act], labels: dict[uuid.UUID, str], request: HttpRequest | None = None
) -> dict[str, Any]:
    """The event page's forms, unbound; a failed POST replaces its own with the bound one."""
    perpetrators = access.perpetrators_visible_to(user).select_related("data_key")
    sources = access.sources_visible_to(user).select_related("data_key")
    acts_choice = _act_choices(acts, labels)
    targets = [("event", _("The event as a whole")), *acts_choice]
    return {
        "involvement_form": InvolvementForm(acts=acts_choice, perpetrators=perpetrators),
        "information_form": InformationForm(sources=sources, targets=targets, perpetrators=perpetrators),
        "evidence_form": EvidenceForm(sources=sources),
        "chain_form": ChainForm(
            events=access.events_visible_to(user).exclude(pk=event.pk).select_related("data_key"),
            initial={"follows": event.follows_id},
        ),
    }


def event_context(user: Any, event: Event) -> dict[str, Any]:
    """Everything the event page shows, for this reader."""
    acts = list(event.acts.select_related("act_type", "victim").prefetch_related("methods").order_by("start", "created"))
    for act in acts:
        act.event = event  # the key is the event's: share the loaded one
    involvements = list(
        Involvement.objects.filter(act__in=acts)
        .select_related("perpetrator", "perpetrator__data_key")
        .order_by("perpetrator__created")
    )
    for involvement in involvements:
        involvement.act = next(a for a in acts if a.pk == involvement.act_id)
    preload_keys([event, *acts, *(i.perpetrator for i in involvements), *involvements])
    per_act_information, event_information = _information(acts, event, user)
    people = [act.victim for act in acts] + [row.source.person for rows in per_act_information.values() for row in rows]
    people += [row.source.person for row in event_information]
    labels = access.person_labels(user, people)
    for info in [*event_information, *(row for rows in per_act_information.values() for row in rows)]:
        info.given_by = labels.get(info.source.person_id, "") if info.source.person_id else ""  # type: ignore[attr-defined]  # shown by the template
    results = corroboration.for_acts(acts)
    by_act: dict[uuid.UUID, list[Involvement]] = defaultdict(list)
    for involvement in involvements:
        by_act[involvement.act_id].append(involvement)
    rows = [
        {
            "act": act,
            "type": term_label(act.act_type),
            "methods": sorted(term_label(m) for m in act.methods.all()),
            "victim": labels.get(act.victim_id, ""),
            "involvements": by_act.get(act.pk, []),
            "information": per_act_information.get(act.pk, []),
            "corroboration": results.get(act.pk),
        }
        for act in acts
    ]
    evidence = list(Evidence.objects.filter(event=event).select_related("data_key", "redacted_from").order_by("-uploaded"))
    preload_keys(evidence)
    previous, following = _chain(user, event)
    return {
        "event": event,
        "acts": rows,
        "event_information": event_information,
        "labels": labels,
        "evidence": evidence,
        "previous": previous,
        "following": following,
        "flags": nearduplicates.flags_for_event(user, event),
        "can_manage": user.has_perm(MANAGE_EVENTS),  # what the page offers; the actions decide
    }


def render_event(request: HttpRequest, user: Any, event: Event, *, status: int = 200, **bound: Any) -> HttpResponse:
    context = event_context(user, event)
    if context["can_manage"]:
        labels = {row["act"].victim_id: row["victim"] for row in context["acts"]}
        context |= _forms(user, event, [row["act"] for row in context["acts"]], labels)
        context |= bound
    return render(request, "documentation/event.html", context, status=status)


@never_cache
@require_GET
def detail_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    event = access.get_event_for_user(user, pk, perm=VIEW_EVENTS)
    audit.record_read(user, event)
    return render_event(request, user, event)


@require_POST
def chain_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    event = access.get_event_for_user(user, pk, perm=MANAGE_EVENTS)
    form = ChainForm(request.POST, events=access.events_visible_to(user).exclude(pk=event.pk).select_related("data_key"))
    done = submit_then(
        form,
        lambda data: domain.link_events(user, event, data["follows"]),
        lambda _linked: succeeded(request, _("Chain of events saved."), redirect("documentation:event", event.pk)),
        "follows",
    )
    return done or render_event(request, user, event, status=400, chain_form=form)


@require_POST
def involvement_new_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    event = access.get_event_for_user(user, pk, perm=MANAGE_EVENTS)
    acts = list(event.acts.select_related("act_type", "victim"))
    labels = access.person_labels(user, [act.victim for act in acts])
    form = InvolvementForm(request.POST, acts=_act_choices(acts, labels), perpetrators=access.perpetrators_visible_to(user))

    def add(data: dict[str, Any]) -> Any:
        act = access.get_act_for_user(user, data["act"], perm=MANAGE_EVENTS)
        return domain.add_involvement(user, act, perpetrator=data["perpetrator"], degree=data["degree"], note=data["note"] or "")

    done = submit_then(
        form,
        add,
        lambda _i: succeeded(request, _("Perpetrator added to the act."), redirect("documentation:event", event.pk)),
        "perpetrator",
    )
    return done or render_event(request, user, event, status=400, involvement_form=form)


@require_POST
def involvement_remove_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    involvement = access.get_involvement_for_user(user, pk, perm=MANAGE_EVENTS)
    press(request, lambda: domain.remove_involvement(user, involvement), _("Perpetrator removed from the act."))
    return redirect("documentation:event", involvement.act.event_id)


@require_POST
def information_new_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    event = access.get_event_for_user(user, pk, perm=MANAGE_EVENTS)
    acts = list(event.acts.select_related("act_type", "victim"))
    labels = access.person_labels(user, [act.victim for act in acts])
    targets = [("event", _("The event as a whole")), *_act_choices(acts, labels)]
    form = InformationForm(
        request.POST, sources=access.sources_visible_to(user), targets=targets, perpetrators=access.perpetrators_visible_to(user)
    )

    def link(data: dict[str, Any]) -> Any:
        target: dict[str, Any] = (
            {"event": event}
            if data["target"] == "event"
            else {"act_": access.get_act_for_user(user, data["target"], perm=MANAGE_EVENTS)}
        )
        return domain.link_information(user, data["source"], **target, **form.values())

    done = submit_then(
        form, link, lambda _i: succeeded(request, _("Source linked."), redirect("documentation:event", event.pk)), "source"
    )
    return done or render_event(request, user, event, status=400, information_form=form)


@never_cache
@require_http_methods(["GET", "POST"])
def act_new_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    event = access.get_event_for_user(user, pk, perm=MANAGE_EVENTS)
    form = ActForm(request.POST or None, people=people_visible_to(user))
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.add_act(user, event, victim=data["victim"], **form.values()),
            lambda act: succeeded(request, _("Act recorded."), redirect("documentation:event", event.pk)),
        )
        if done is not None:
            return done
    preload_keys([event])
    return render(request, "documentation/act_form.html", {"form": form, "event": event}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def act_edit_view(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = reader(request)
    act = access.get_act_for_user(user, pk, perm=MANAGE_EVENTS)
    form = ActForm(request.POST or None, people=people_visible_to(user), act=act)
    if request.method == "POST":
        done = submit_then(
            form,
            lambda data: domain.update_act(user, act, seen=data["seen"], **form.values()),
            lambda saved: succeeded(request, _("Act saved."), redirect("documentation:event", act.event_id)),
        )
        if done is not None:
            return done
    preload_keys([act.event, act])
    context = {"form": form, "event": act.event, "act": act, "victim": access.victim_label(user, act.victim)}
    return render(request, "documentation/act_form.html", context, status=400 if form.errors else 200)


urlpatterns: list[URLPattern] = [
    path("", list_view, name="events"),
    path("timeline/", timeline_view, name="timeline"),
    path("events/new/", new_view, name="event_new"),
    path("events/<uuid:pk>/", detail_view, name="event"),
    path("events/<uuid:pk>/edit/", edit_view, name="event_edit"),
    path("events/<uuid:pk>/chain/", chain_view, name="event_chain"),
    path("events/<uuid:pk>/acts/new/", act_new_view, name="act_new"),
    path("events/<uuid:pk>/involvements/", involvement_new_view, name="involvement_new"),
    path("events/<uuid:pk>/information/", information_new_view, name="information_new"),
    path("acts/<uuid:pk>/edit/", act_edit_view, name="act_edit"),
    path("involvements/<uuid:pk>/remove/", involvement_remove_view, name="involvement_remove"),
]
