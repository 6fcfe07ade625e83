"""Relocation pages: countries and programmes, figures and charts, a case's applications and
route ranking, contacts and engagements, alerts. Views parse, call domain functions, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from corridor.audit import log as audit
from corridor.core.forms import apply_errors
from corridor.keys.fields import preload_keys
from corridor.relocation import alerts as alerts_module
from corridor.relocation import charts, domain, figures, ranking
from corridor.relocation.access import (
    contacts_visible_to,
    get_application_for_user,
    get_contact_for_user,
    get_country,
    get_engagement_for_user,
    get_programme,
    get_relocation_case,
    require,
)
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
from corridor.relocation.models import FUNNEL, Application, ApplicationStatus, Country, Engagement, Programme

# -- countries, programmes, figures ------------------------------------------------------------


@never_cache
def index_view(request: HttpRequest) -> HttpResponse:
    require(request.user, "relocation.view_programmes")  # type: ignore[arg-type]
    if request.GET.get("code"):
        return redirect("relocation:country", get_country(request.user, request.GET["code"]).pk)  # type: ignore[arg-type]
    programmes = list(Programme.objects.select_related("country"))
    figs = figures.compute(viewer=request.user)  # type: ignore[arg-type]  # login_required by the middleware
    countries: dict[str, dict[str, Any]] = {}
    for programme in programmes:
        entry = countries.setdefault(programme.country_id, {"country": programme.country, "programmes": []})
        entry["programmes"].append((programme, figs.get((programme.country_id, programme.pk))))
    for code, entry in countries.items():
        entry["total"] = figs.get((code, COUNTRY_TOTAL))
    rows = sorted(countries.values(), key=lambda e: e["country"].name)
    context = {"rows": rows, "all_countries": Country.objects.all(), "min_cell": figures.min_cell()}
    return render(request, "relocation/index.html", context)


@never_cache
def country_view(request: HttpRequest, code: str) -> HttpResponse:
    country = get_country(request.user, code)  # type: ignore[arg-type]
    programmes = list(Programme.objects.filter(country=country))
    figs = figures.compute([country.pk], viewer=request.user)  # type: ignore[arg-type]  # login_required by the middleware
    context: dict[str, Any] = {
        "country": country,
        "programmes": [(p, figs.get((country.pk, p.pk))) for p in programmes],
        "total": figs.get((country.pk, COUNTRY_TOTAL)),
    }
    if request.user.has_perm("relocation.view_engagements"):
        contacts = list(contacts_visible_to(request.user).filter(country=country).select_related("data_key"))  # type: ignore[arg-type]
        engagements = list(
            Engagement.objects.filter(contact__in=contacts).select_related("contact__data_key", "programme", "by").order_by("-happened_on")
        )
        preload_keys([*contacts, *engagements])
        context |= {
            "contacts": contacts,
            "engagements": engagements,
            "commitments": sorted((e for e in engagements if e.is_open_commitment), key=lambda e: e.next_due),
            "today": timezone.localdate(),
        }
        audit.record(actor=request.user, action="country.view_engagements", obj=country)
    return render(request, "relocation/country.html", context)


@never_cache
def charts_view(request: HttpRequest) -> HttpResponse:
    require(request.user, "relocation.view_programmes")  # type: ignore[arg-type]
    figs = figures.compute(viewer=request.user)  # type: ignore[arg-type]  # login_required by the middleware
    names = {c.pk: c.name for c in Country.objects.filter(pk__in={code for code, _p in figs})}
    totals = sorted(((names[code], f) for (code, programme), f in figs.items() if programme == COUNTRY_TOTAL), key=lambda pair: pair[0])
    rate_rows = [(name, f.rate) for name, f in totals if f.decisions]
    time_rows = [(name, f.decision_median, f.decision_p90) for name, f in totals if f.decision_median is not None]
    funnel = [(ApplicationStatus(stage).label, sum(f.funnel.get(stage, 0) for _n, f in totals)) for stage in FUNNEL]
    context = {
        "rate_chart": charts.grant_rate_chart(rate_rows, _("Grant rate by country"), _("No decisions yet.")),
        "time_chart": charts.duration_chart(time_rows, _("Days from submission to decision"), _("No decisions yet."), _("days")),  # type: ignore[arg-type]
        "funnel_chart": charts.funnel_chart(funnel, _("Applications reaching each stage")),
        "totals": totals,
    }
    return render(request, "relocation/charts.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def programme_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require(request.user, "relocation.manage_programmes")  # type: ignore[arg-type]
    programme = get_programme(request.user, pk) if pk is not None else None  # type: ignore[arg-type]
    form = ProgrammeForm(request.POST or None, instance=programme)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if programme is None:
                programme = domain.create_programme(request.user, **values)  # type: ignore[arg-type]
            else:
                domain.update_programme(request.user, programme, **values)  # type: ignore[arg-type]
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Programme saved."))
            return redirect("relocation:country", programme.country_id)
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
        "routes": ranking.rank_routes(case, viewer=request.user),  # type: ignore[arg-type]  # signed in: the case was visible
        "profile": profile,
        "profile_form": ProfileForm(initial={"referral": profile.referral, "family_ties": profile.family_ties}),
        "application_form": ApplicationForm(case=case, initial={"programme": request.GET.get("programme")}),
        "can_manage": request.user.has_perm("relocation.manage_applications"),
    }


@never_cache
def case_view(request: HttpRequest, case_id: Any) -> HttpResponse:
    case = get_relocation_case(request.user, case_id)  # type: ignore[arg-type]
    audit.record_read(request.user, case)
    return render(request, "relocation/case.html", _case_context(request, case))


@require_POST
def case_profile_view(request: HttpRequest, case_id: Any) -> HttpResponse:
    case = get_relocation_case(request.user, case_id)  # type: ignore[arg-type]
    require(request.user, "relocation.manage_applications")  # type: ignore[arg-type]
    form = ProfileForm(request.POST)
    if form.is_valid():
        try:
            domain.set_profile(
                request.user,  # type: ignore[arg-type]
                case,
                referral=form.cleaned_data["referral"],
                family_ties=[c.pk for c in form.cleaned_data["family_ties"]],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Saved. The ranking below takes it into account."))
            return redirect("relocation:case", case.pk)
    context = _case_context(request, case) | {"profile_form": form}
    return render(request, "relocation/case.html", context, status=400)


@require_POST
def application_new_view(request: HttpRequest, case_id: Any) -> HttpResponse:
    case = get_relocation_case(request.user, case_id)  # type: ignore[arg-type]
    require(request.user, "relocation.manage_applications")  # type: ignore[arg-type]
    form = ApplicationForm(request.POST, case=case)
    if form.is_valid():
        try:
            application = domain.create_application(
                request.user,  # type: ignore[arg-type]
                case,
                form.cleaned_data["programme"],
                channel=form.cleaned_data["channel"],
                members=list(form.cleaned_data["members"]),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Application opened as a draft."))
            return redirect("relocation:application", application.pk)
    context = _case_context(request, case) | {"application_form": form}
    return render(request, "relocation/case.html", context, status=400)


def _application_context(application: Application, transition_form: Any = None, checklist_form: Any = None) -> dict[str, Any]:
    events = list(application.events.select_related("by"))
    checklist = list(application.checklist.all())
    for row in [*events, *checklist]:
        row.application = application
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
    application = get_application_for_user(request.user, pk)  # type: ignore[arg-type]
    audit.record_read(request.user, application)
    context = _application_context(application) | {"can_manage": request.user.has_perm("relocation.manage_applications")}
    return render(request, "relocation/application.html", context)


@require_POST
def application_transition_view(request: HttpRequest, pk: Any) -> HttpResponse:
    application = get_application_for_user(request.user, pk)  # type: ignore[arg-type]
    require(request.user, "relocation.manage_applications")  # type: ignore[arg-type]
    form = TransitionForm(request.POST, current=application.status)
    if form.is_valid():
        data = form.cleaned_data
        try:
            domain.transition_application(
                request.user,  # type: ignore[arg-type]
                application,
                data["status"],
                reason=data["reason"],
                on=data["on"],
                refusal_reason=data["refusal_reason"],
                refusal_text=data["refusal_text"],
            )
        except ValidationError as error:
            application.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, _("Status changed."))
            return redirect("relocation:application", application.pk)
    context = _application_context(application, transition_form=form) | {"can_manage": True}
    return render(request, "relocation/application.html", context, status=400)


@require_POST
def application_checklist_view(request: HttpRequest, pk: Any) -> HttpResponse:
    application = get_application_for_user(request.user, pk)  # type: ignore[arg-type]
    require(request.user, "relocation.manage_applications")  # type: ignore[arg-type]
    form = ChecklistForm(request.POST)
    if form.is_valid():
        try:
            domain.set_checklist_item(request.user, application, form.cleaned_data["kind"], form.cleaned_data["status"], form.cleaned_data["note"])  # type: ignore[arg-type]
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Checklist updated."))
            return redirect("relocation:application", application.pk)
    context = _application_context(application, checklist_form=form) | {"can_manage": True}
    return render(request, "relocation/application.html", context, status=400)


# -- contacts and engagements -------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def contacts_view(request: HttpRequest) -> HttpResponse:
    require(request.user, "relocation.view_engagements")  # type: ignore[arg-type]
    form = ContactForm(request.POST or None)
    if request.method == "POST":
        require(request.user, "relocation.manage_engagements")  # type: ignore[arg-type]
        if form.is_valid():
            try:
                contact = domain.create_contact(request.user, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Contact added."))
                return redirect("relocation:contact", contact.pk)
    contacts = list(contacts_visible_to(request.user).select_related("data_key", "country"))  # type: ignore[arg-type]
    preload_keys(contacts)
    audit.record(actor=request.user, action="contact.list", obj=None)
    status = 400 if request.method == "POST" else 200
    return render(request, "relocation/contacts.html", {"contacts": contacts, "form": form}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def contact_view(request: HttpRequest, pk: Any) -> HttpResponse:
    contact = get_contact_for_user(request.user, pk)  # type: ignore[arg-type]
    form = EngagementForm(request.POST or None, country=contact.country)
    if request.method == "POST":
        require(request.user, "relocation.manage_engagements")  # type: ignore[arg-type]
        if form.is_valid():
            try:
                domain.log_engagement(request.user, contact, **form.cleaned_data)  # type: ignore[arg-type]
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Approach recorded."))
                return redirect("relocation:contact", contact.pk)
    engagements = list(contact.engagements.select_related("programme", "by"))
    for engagement in engagements:
        engagement.contact = contact
    audit.record_read(request.user, contact)
    status = 400 if request.method == "POST" else 200
    context = {"contact": contact, "engagements": engagements, "form": form, "today": timezone.localdate()}
    return render(request, "relocation/contact.html", context, status=status)


@require_POST
def engagement_close_view(request: HttpRequest, pk: Any) -> HttpResponse:
    engagement = get_engagement_for_user(request.user, pk)  # type: ignore[arg-type]
    require(request.user, "relocation.manage_engagements")  # type: ignore[arg-type]
    try:
        domain.close_commitment(request.user, engagement)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Next step marked as done."))
    return redirect("relocation:contact", engagement.contact_id)


@never_cache
def alerts_view(request: HttpRequest) -> HttpResponse:
    if not (request.user.has_perm("relocation.view_applications") or request.user.has_perm("relocation.view_engagements")):
        require(request.user, "relocation.view_applications")  # type: ignore[arg-type]
    return render(request, "relocation/alerts.html", {"alerts": alerts_module.alerts_for(request.user)})  # type: ignore[arg-type]


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
