"""Relocation pages: countries and programmes, figures and charts, a case's applications and
route ranking, contacts and engagements, alerts. Views parse, call domain functions, render.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.core.forms import press, submit
from corridor.keys.fields import preload_keys
from corridor.relocation import charts, domain, figures, ranking, stats
from corridor.relocation.access import (
    contacts_for_user,
    contacts_visible_to,
    countries_for_user,
    figures_for_user,
    get_application_for_user,
    get_contact_for_user,
    get_country_for_user,
    get_engagement_for_user,
    get_programme_for_user,
    get_relocation_case,
    permit,
    programmes_for_user,
)
from corridor.relocation.alerts import alerts_for_user
from corridor.relocation.audit_names import RelocationAudit
from corridor.relocation.figures import COUNTRY_TOTAL
from corridor.relocation.forms import (
    ApplicationForm,
    ChecklistForm,
    ContactForm,
    EngagementForm,
    ProfileForm,
    ProgrammeForm,
    TransitionForm,
)
from corridor.relocation.models import FUNNEL, Application, ApplicationStatus, Engagement
from corridor.relocation.queries import application_history
from corridor.relocation.rules import MANAGE_APPLICATIONS, MANAGE_ENGAGEMENTS, MANAGE_PROGRAMMES, VIEW_ENGAGEMENTS


def _user(request: HttpRequest) -> User:
    """The signed-in staff user: the staff middleware sends everyone else to the sign-in page."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- guaranteed by the staff middleware, not by input
    return user


def _wanted(request: HttpRequest, view: str, manage: str) -> str:
    """The permission a page needs for this request: a POST changes, anything else reads."""
    return manage if request.method == "POST" else view


# -- countries, programmes, figures ------------------------------------------------------------


@never_cache
def index_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    programmes = programmes_for_user(user)
    if request.GET.get("code"):
        return redirect("relocation:country", get_country_for_user(user, request.GET["code"]).pk)
    figs = figures_for_user(user)
    countries: dict[str, dict[str, Any]] = {}
    for programme in programmes:
        entry = countries.setdefault(programme.country_id, {"country": programme.country, "programmes": []})
        entry["programmes"].append((programme, figs.get((programme.country_id, programme.pk))))
    for code, entry in countries.items():
        entry["total"] = figs.get((code, COUNTRY_TOTAL))
    rows = sorted(countries.values(), key=lambda e: e["country"].name)
    context = {
        "rows": rows,
        "all_countries": countries_for_user(user),
        "min_cell": figures.min_cell(),
        "min_decisions": stats.MIN_DECISIONS_FOR_RATE,
    }
    return render(request, "relocation/index.html", context)


@never_cache
def country_view(request: HttpRequest, code: str) -> HttpResponse:
    user = _user(request)
    country = get_country_for_user(user, code)
    programmes = list(programmes_for_user(user).filter(country=country))
    figs = figures_for_user(user, [country.pk])
    context: dict[str, Any] = {
        "country": country,
        "programmes": [(p, figs.get((country.pk, p.pk))) for p in programmes],
        "total": figs.get((country.pk, COUNTRY_TOTAL)),
    }
    if user.has_perm(VIEW_ENGAGEMENTS):  # what the page shows: the coordinators' part
        contacts = list(contacts_visible_to(user).filter(country=country).select_related("data_key"))
        engagements = list(
            Engagement.objects.filter(contact__in=contacts)
            .select_related("contact__data_key", "programme", "by")
            .order_by("-happened_on")
        )
        preload_keys([*contacts, *engagements])
        context |= {
            "contacts": contacts,
            "engagements": engagements,
            "commitments": sorted(
                (e for e in engagements if e.is_open_commitment), key=lambda e: e.next_due or datetime.date.max
            ),
            "today": timezone.localdate(),
        }
        audit.record(actor=user, action=RelocationAudit.VIEW_ENGAGEMENTS, obj=country)
    return render(request, "relocation/country.html", context)


@never_cache
def charts_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    figs = figures_for_user(user)
    names = {c.pk: c.name for c in countries_for_user(user).filter(pk__in={code for code, _p in figs})}
    totals = sorted(
        ((names[code], f) for (code, programme), f in figs.items() if programme == COUNTRY_TOTAL), key=lambda pair: pair[0]
    )
    # Only figures that rest on enough data are drawn (stats.MIN_DECISIONS_FOR_RATE, MIN_DURATIONS);
    # the page names the countries left out and how many decisions they have.
    rate_rows = [(name, f.rate) for name, f in totals if f.rate.enough]
    time_rows = [
        (name, f.decision_median, f.decision_p90)
        for name, f in totals
        if f.decision_times_known and f.decision_median is not None and f.decision_p90 is not None
    ]
    funnel = [(str(ApplicationStatus(stage).label), sum(f.funnel.get(stage, 0) for _n, f in totals)) for stage in FUNNEL]
    context = {
        "rate_chart": charts.grant_rate_chart(rate_rows, _("Grant rate by country"), _("No country has enough decisions yet.")),
        "time_chart": charts.duration_chart(
            time_rows, _("Days from submission to decision"), _("No country has enough decisions yet."), _("days")
        ),
        "too_few": [(name, f.too_few) for name, f in totals if f.decisions and not f.rate.enough],
        "funnel_chart": charts.funnel_chart(funnel, _("Applications reaching each stage")),
        "totals": totals,
    }
    return render(request, "relocation/charts.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def programme_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = permit(_user(request), MANAGE_PROGRAMMES)  # a new programme and an existing one alike
    programme = get_programme_for_user(user, pk, MANAGE_PROGRAMMES) if pk is not None else None
    form = ProgrammeForm(request.POST or None, instance=programme)

    def save(data: dict[str, Any]) -> Any:
        values = {name: data[name] for name in domain.PROGRAMME_FIELDS}
        if programme is None:
            return domain.create_programme(user, **values)
        return domain.update_programme(user, programme, **values)

    if request.method == "POST":
        saved = submit(form, save)
        if saved is not None:
            messages.success(request, _("Programme saved."))
            return redirect("relocation:country", saved.country_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "relocation/programme_form.html", {"form": form, "programme": programme}, status=status)


# -- a case's relocation ---------------------------------------------------------------------


def _case_context(request: HttpRequest, case: Any) -> dict[str, Any]:
    applications = list(Application.objects.filter(case=case).select_related("programme__country").order_by("-created"))
    for application in applications:
        application.case = case  # share the already-loaded key
    profile = domain.profile_for(case)
    return {
        "case": case,
        "applications": applications,
        "routes": ranking.rank_routes(case, viewer=_user(request)),
        "profile": profile,
        "profile_form": ProfileForm(initial={"referral": profile.referral, "family_ties": profile.family_ties}),
        "application_form": ApplicationForm(case=case, initial={"programme": request.GET.get("programme")}),
        "can_manage": request.user.has_perm(MANAGE_APPLICATIONS),  # what the page offers, not a check
    }


@never_cache
def case_view(request: HttpRequest, case_id: Any) -> HttpResponse:
    user = _user(request)
    case = get_relocation_case(user, case_id)
    audit.record_read(user, case)
    return render(request, "relocation/case.html", _case_context(request, case))


@require_POST
def case_profile_view(request: HttpRequest, case_id: Any) -> HttpResponse:
    user = _user(request)
    case = get_relocation_case(user, case_id, MANAGE_APPLICATIONS)
    form = ProfileForm(request.POST)
    saved = submit(
        form,
        lambda data: domain.set_profile(user, case, referral=data["referral"], family_ties=[c.pk for c in data["family_ties"]]),
    )
    if saved is not None:
        messages.success(request, _("Saved. The ranking below takes it into account."))
        return redirect("relocation:case", case.pk)
    context = _case_context(request, case) | {"profile_form": form}
    return render(request, "relocation/case.html", context, status=400)


@require_POST
def application_new_view(request: HttpRequest, case_id: Any) -> HttpResponse:
    user = _user(request)
    case = get_relocation_case(user, case_id, MANAGE_APPLICATIONS)
    form = ApplicationForm(request.POST, case=case)
    application = submit(
        form,
        lambda data: domain.create_application(
            user, case, data["programme"], channel=data["channel"], members=list(data["members"]), on=data["on"]
        ),
    )
    if application is not None:
        messages.success(request, _("Application opened as a draft."))
        return redirect("relocation:application", application.pk)
    context = _case_context(request, case) | {"application_form": form}
    return render(request, "relocation/case.html", context, status=400)


def _application_context(application: Application, transition_form: Any = None, checklist_form: Any = None) -> dict[str, Any]:
    events, checklist = application_history(application)
    return {
        "application": application,
        "case": application.case,
        "events": events,
        "checklist": checklist,
        "members": list(application.members.order_by("codename")),
        "transition_form": transition_form or TransitionForm(current=application.status),
        "checklist_form": checklist_form or ChecklistForm(),
    }


@never_cache
def application_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    application = get_application_for_user(user, pk)
    audit.record_read(user, application)
    context = _application_context(application) | {"can_manage": user.has_perm(MANAGE_APPLICATIONS)}  # what the page offers
    return render(request, "relocation/application.html", context)


@require_POST
def application_transition_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    application = get_application_for_user(user, pk, MANAGE_APPLICATIONS)
    form = TransitionForm(request.POST, current=application.status)
    event = submit(
        form,
        lambda data: domain.transition_application(
            user,
            application,
            data["status"],
            reason=data["reason"],
            on=data["on"],
            refusal_reason=data["refusal_reason"],
            refusal_text=data["refusal_text"],
            seen=data["seen"] or None,
        ),
    )
    if event is not None:
        messages.success(request, _("Status changed."))
        return redirect("relocation:application", application.pk)
    application.refresh_from_db()  # as it is now, whatever the refused move left in this copy
    context = _application_context(application, transition_form=form.showing(application.status)) | {"can_manage": True}
    return render(request, "relocation/application.html", context, status=400)


@require_POST
def application_checklist_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    application = get_application_for_user(user, pk, MANAGE_APPLICATIONS)
    form = ChecklistForm(request.POST)
    item = submit(form, lambda data: domain.set_checklist_item(user, application, data["kind"], data["status"], data["note"]))
    if item is not None:
        messages.success(request, _("Checklist updated."))
        return redirect("relocation:application", application.pk)
    context = _application_context(application, checklist_form=form) | {"can_manage": True}
    return render(request, "relocation/application.html", context, status=400)


# -- contacts and engagements -------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def contacts_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    visible = contacts_for_user(user, _wanted(request, VIEW_ENGAGEMENTS, MANAGE_ENGAGEMENTS))
    form = ContactForm(request.POST or None)
    if request.method == "POST":
        contact = submit(form, lambda data: domain.create_contact(user, **data))
        if contact is not None:
            messages.success(request, _("Contact added."))
            return redirect("relocation:contact", contact.pk)
    contacts = list(visible.select_related("data_key", "country"))
    preload_keys(contacts)
    audit.record(actor=user, action=RelocationAudit.CONTACT_LIST, obj=None)
    status = 400 if request.method == "POST" else 200
    return render(request, "relocation/contacts.html", {"contacts": contacts, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def contact_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    contact = get_contact_for_user(user, pk, _wanted(request, VIEW_ENGAGEMENTS, MANAGE_ENGAGEMENTS))
    form = EngagementForm(request.POST or None, country=contact.country)
    if request.method == "POST":
        logged = submit(form, lambda data: domain.log_engagement(user, contact, **data))
        if logged is not None:
            messages.success(request, _("Approach recorded."))
            return redirect("relocation:contact", contact.pk)
    engagements = list(contact.engagements.select_related("programme", "by"))
    for engagement in engagements:
        engagement.contact = contact
    audit.record_read(user, contact)
    status = 400 if request.method == "POST" else 200
    context = {"contact": contact, "engagements": engagements, "form": form, "today": timezone.localdate()}
    return render(request, "relocation/contact.html", context, status=status)


@require_POST
def engagement_close_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    engagement = get_engagement_for_user(user, pk, MANAGE_ENGAGEMENTS)
    press(request, lambda: domain.close_commitment(user, engagement), _("Next step marked as done."))
    return redirect("relocation:contact", engagement.contact_id)


@never_cache
def alerts_view(request: HttpRequest) -> HttpResponse:
    return render(request, "relocation/alerts.html", {"alerts": alerts_for_user(_user(request))})


urlpatterns = [
    path("", index_view, name="index"),
    path("charts/", charts_view, name="charts"),
    path("alerts/", alerts_view, name="alerts"),
    path("countries/<str:code>/", country_view, name="country"),
    path("programmes/new/", programme_edit_view, name="programme_new"),
    path("programmes/<int:pk>/edit/", programme_edit_view, name="programme_edit"),
    path("cases/<str:case_id>/", case_view, name="case"),
    path("cases/<str:case_id>/profile/", case_profile_view, name="case_profile"),
    path("cases/<str:case_id>/applications/new/", application_new_view, name="application_new"),
    path("applications/<str:pk>/", application_view, name="application"),
    path("applications/<str:pk>/transition/", application_transition_view, name="application_transition"),
    path("applications/<str:pk>/checklist/", application_checklist_view, name="application_checklist"),
    path("contacts/", contacts_view, name="contacts"),
    path("contacts/<str:pk>/", contact_view, name="contact"),
    path("engagements/<str:pk>/close/", engagement_close_view, name="engagement_close"),
]
