"""Case workflow pages: verification, consent, risk assessment, placements, break glass and
the admins' review of break-glass grants. Views parse, call a domain function, and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.cases import access, domain, queries
from corridor.cases.forms_workflow import (
    BreakGlassForm,
    ConsentForm,
    PlacementForm,
    RiskConfirmForm,
    RiskFactorsForm,
    VerificationForm,
)
from corridor.cases.models import BreakGlass, Case, Consent, ConsentScope, Person, Placement, Priority, RiskFactor, SafeHouse
from corridor.cases.views import staff
from corridor.core import dates
from corridor.core.forms import press, submit_then, succeeded


def case_url(case: Case) -> str:
    """The case page (views/cases.py), where `_workflow.html` is included."""
    return reverse("cases:case", args=[case.pk])


def workflow_context(case: Case) -> dict[str, Any]:
    """What `cases/case/_workflow.html` shows beyond the case itself; the case page may add it."""
    return {"workflow": {"lacking_store": queries.members_lacking_consent(case, ConsentScope.STORE)}}


def _case(request: HttpRequest, pk: Any) -> Case:
    """The case of a workflow page: to read it (GET), or to change it (POST); 404 otherwise."""
    perm = "cases.change_case" if request.method == "POST" else access.VIEW
    return access.get_case_for_user(staff(request), pk, perm)


def _back(request: HttpRequest, case: Case) -> HttpResponseRedirect:
    """Back to the page the form was on (the case page or a workflow page), never off-site."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(case_url(case))


def _members(case: Case) -> QuerySet[Person]:
    return Person.objects.filter(memberships__case=case, erased__isnull=True).order_by("codename")


def _page(request: HttpRequest, case: Case, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    base = {"case": case, "case_url": case_url(case), "can_change": request.user.has_perm("cases.change_case")}
    return render(request, template, base | context, status=status)


# -- the workflow page: everything of _workflow.html, with the warnings computed ------------


@never_cache
def workflow_view(request: HttpRequest, pk: Any) -> HttpResponse:
    case = _case(request, pk)
    audit.record_read(staff(request), case)
    return _page(request, case, "cases/workflow/case.html", workflow_context(case))


# -- verification ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def verification_view(request: HttpRequest, pk: Any) -> HttpResponse:
    case = _case(request, pk)
    form = VerificationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        recorded = submit_then(
            form,
            lambda data: domain.record_verification(staff(request), case, data["method"], data["details"]),
            lambda _verification: succeeded(request, _("Verification recorded."), _back(request, case)),
        )
        if recorded is not None:
            return recorded
        status = 400
    else:
        audit.record_read(staff(request), case)
    verifications = case.verifications.select_related("by").order_by("-at")
    return _page(request, case, "cases/workflow/verification.html", {"form": form, "verifications": verifications}, status)


# -- consent -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def consent_view(request: HttpRequest, pk: Any) -> HttpResponse:
    case = _case(request, pk)
    members = _members(case)
    form = ConsentForm(request.POST or None, members=members)
    status = 200
    if request.method == "POST":
        recorded = submit_then(
            form,
            lambda data: domain.record_consent(
                staff(request), case, data["person"], data["scope"], data["given"], data["partner"]
            ),
            lambda _consent: succeeded(request, _("Consent recorded."), _back(request, case)),
        )
        if recorded is not None:
            return recorded
        status = 400
    else:
        audit.record_read(staff(request), case)
    consents = list(case.consents.select_related("person").order_by("person__codename", "-given"))
    rows = [{"person": person, "consents": [c for c in consents if c.person_id == person.pk]} for person in members]
    context = {"form": form, "rows": rows} | workflow_context(case)
    return _page(request, case, "cases/workflow/consent.html", context, status)


@require_POST
def consent_withdraw_view(request: HttpRequest, pk: Any, consent_pk: Any) -> HttpResponse:
    user = staff(request)
    consent = access.get_case_child(user, Consent, pk, consent_pk, "cases.change_case")
    done = _("Consent withdrawn for %(codename)s.") % {"codename": consent.person.codename}
    # Withdrawn already (a second tap): the action says so, as news rather than an error.
    press(request, lambda: domain.withdraw_consent(user, consent), done, refused=messages.INFO)
    return _back(request, consent.case)


# -- risk ----------------------------------------------------------------------------------


def _factor_labels(factors: list[str]) -> list[str]:
    return [str(RiskFactor(value).label) for value in factors if value in RiskFactor.values]


@never_cache
@require_http_methods(["GET", "POST"])
def risk_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """Two steps without JavaScript: tick factors (GET), see the suggestion, confirm or override (POST)."""
    case = _case(request, pk)
    factors_form = RiskFactorsForm(request.GET if "check" in request.GET else None)
    confirm_form: RiskConfirmForm | None = None
    suggested: str | None = None
    status = 200
    if request.method == "POST":
        confirm_form = RiskConfirmForm(request.POST)
        well_formed = confirm_form.is_valid()
        saved = submit_then(
            confirm_form,
            lambda data: domain.assess_risk(staff(request), case, data["factors"], data["priority"], data["override_reason"]),
            lambda assessment: succeeded(
                request,
                _("Risk assessment saved. Priority: %(priority)s.") % {"priority": Priority(assessment.priority).label},
                _back(request, case),
            ),
        )
        if saved is not None:
            return saved
        if well_formed:  # the form was fine, the domain refused it
            messages.error(request, _("Nothing was saved: see the message below."))
        # The factors as ticked (a valid form's are exactly these): the suggestion stays in view.
        suggested = domain.suggest_priority([f for f in request.POST.getlist("factors") if f in RiskFactor.values])
        status = 400
    else:
        audit.record_read(staff(request), case)
        if factors_form.is_bound and factors_form.is_valid() and request.user.has_perm("cases.change_case"):
            factors = factors_form.cleaned_data["factors"]
            suggested = domain.suggest_priority(factors)
            confirm_form = RiskConfirmForm(initial={"factors": factors, "priority": suggested})
    chosen = confirm_form["factors"].value() if confirm_form is not None else []
    assessments = [
        {"assessment": a, "factors": _factor_labels(list(a.factors or []))} for a in case.risk_assessments.select_related("by")
    ]
    context = {
        "factors_form": factors_form,
        "confirm_form": confirm_form,
        "suggested": Priority(suggested).label if suggested else None,
        "chosen_factors": _factor_labels(list(chosen or [])),
        "change_query": "&".join(f"factors={value}" for value in (chosen or []) if value in RiskFactor.values),
        "assessments": assessments,
    }
    return _page(request, case, "cases/workflow/risk.html", context, status)


# -- placements ----------------------------------------------------------------------------


def available_houses(user: User, case: Case) -> tuple[QuerySet[SafeHouse], dict[Any, int]]:
    """Safe houses of the case's team that the user may see, not compromised and with room today,
    with today's occupancy of each (shown in the choice labels)."""
    houses = access.safe_houses_visible_to(user).filter(team=case.team, compromised__isnull=True)
    occupied = {house.pk: queries.occupancy(house) for house in houses}
    free = [house.pk for house in houses if occupied[house.pk] < house.capacity]
    return houses.filter(pk__in=free).order_by("label"), occupied


@never_cache
@require_http_methods(["GET", "POST"])
def placements_view(request: HttpRequest, pk: Any) -> HttpResponse:
    case = _case(request, pk)
    user = staff(request)
    houses, occupied = available_houses(user, case)
    form = PlacementForm(request.POST or None, members=_members(case), houses=houses, occupied=occupied)
    status = 200
    if request.method == "POST":
        placed = submit_then(
            form,
            lambda data: domain.place(user, case, data["person"], data["safe_house"], data["start"]),
            lambda placement: succeeded(
                request,
                _("%(codename)s placed in “%(label)s”.")
                % {"codename": placement.person.codename, "label": placement.safe_house.label},
                _back(request, case),
            ),
        )
        if placed is not None:
            return placed
        status = 400
    else:
        audit.record_read(user, case)
    placements = list(case.placements.select_related("safe_house", "person"))
    today = timezone.localdate()
    context = {
        "form": form,
        "current": [p for p in placements if p.end is None or p.end > today],
        "past": [p for p in placements if p.end is not None and p.end <= today],
        "has_houses": houses.exists(),
    }
    return _page(request, case, "cases/workflow/placements.html", context, status)


@require_POST
def placement_end_view(request: HttpRequest, pk: Any, placement_pk: Any) -> HttpResponse:
    user = staff(request)
    placement = access.get_case_child(user, Placement, pk, placement_pk, "cases.change_case")
    done = _("Placement of %(codename)s ended.") % {"codename": placement.person.codename}
    press(request, lambda: domain.end_placement(user, placement), done)
    return _back(request, placement.case)


# -- break glass ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def break_glass_view(request: HttpRequest) -> HttpResponse:
    user = access.user_with_perm(request.user, "cases.break_glass")
    form = BreakGlassForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            case = queries.find_case_for_break_glass(form.cleaned_data["reference"])
            if case is None:
                form.add_error("reference", _("There is no case with this reference."))
            elif access.cases_visible_to(user).filter(pk=case.pk).exists():
                messages.info(request, _("You can already see this case; no emergency access was needed."))
                return HttpResponseRedirect(case_url(case))
            else:
                granted = submit_then(
                    form, lambda data: domain.break_glass(user, case, data["reason"]), lambda grant: _granted(request, grant)
                )
                if granted is not None:
                    return granted
        status = 400
    return render(request, "cases/workflow/break_glass.html", {"form": form, "hours": domain.BREAK_GLASS_HOURS}, status=status)


def _granted(request: HttpRequest, grant: BreakGlass) -> HttpResponse:
    messages.warning(
        request,
        _("Emergency access to %(reference)s until %(expires)s. Administrators have been alerted.")
        % {"reference": grant.case.reference, "expires": dates.moment(grant.expires)},
    )
    return HttpResponseRedirect(case_url(grant.case))


@never_cache
def break_glass_review_view(request: HttpRequest) -> HttpResponse:
    user = access.user_with_perm(request.user, "cases.review_break_glass")
    grants = list(queries.pending_break_glass())
    for grant in grants:
        # Reading the reason decrypts case data: audited like any other read.
        audit.record_read(user, grant)
    context = {
        "grants": grants,
        "now": timezone.now(),
        "ownerless": list(queries.ownerless_cases()[:100]),
        "duplicates": queries.pending_duplicate_reviews(),
    }
    return render(request, "cases/workflow/break_glass_review.html", context)


@require_POST
def break_glass_reviewed_view(request: HttpRequest, grant_pk: Any) -> HttpResponse:
    user = staff(request)
    grant = access.get_grant_for_review(user, grant_pk)
    done = _("Marked as reviewed: %(reference)s.") % {"reference": grant.case.reference}
    press(request, lambda: domain.review_break_glass(user, grant), done, refused=messages.INFO)
    return HttpResponseRedirect(reverse("cases:break_glass_review"))


@require_POST
def duplicate_reviewed_view(request: HttpRequest, review_pk: Any) -> HttpResponse:
    user = staff(request)
    review = access.get_duplicate_review(user, review_pk)
    press(request, lambda: domain.review_duplicate(user, review), _("Marked as reviewed."), refused=messages.INFO)
    return HttpResponseRedirect(reverse("cases:break_glass_review") + "#duplicates")


urlpatterns: list[URLPattern] = [
    path("break-glass/review/duplicates/<uuid:review_pk>/", duplicate_reviewed_view, name="duplicate_reviewed"),
    path("cases/break-glass/", break_glass_view, name="break_glass"),
    path("break-glass/review/", break_glass_review_view, name="break_glass_review"),
    path("break-glass/review/<uuid:grant_pk>/", break_glass_reviewed_view, name="break_glass_reviewed"),
    path("cases/<uuid:pk>/workflow/", workflow_view, name="workflow"),
    path("cases/<uuid:pk>/verification/", verification_view, name="verification"),
    path("cases/<uuid:pk>/consent/", consent_view, name="consent"),
    path("cases/<uuid:pk>/consent/<uuid:consent_pk>/withdraw/", consent_withdraw_view, name="consent_withdraw"),
    path("cases/<uuid:pk>/risk/", risk_view, name="risk"),
    path("cases/<uuid:pk>/placements/", placements_view, name="placements"),
    path("cases/<uuid:pk>/placements/<uuid:placement_pk>/end/", placement_end_view, name="placement_end"),
]
