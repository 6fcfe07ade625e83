"""Statistics pages: the reports, drafting one, its preview with the protected table, the
second person's approval, publication, and the published snapshots with their HTML table,
SVG chart, CSV and PDF. Views parse, call one domain action, render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from corridor.accounts.models import User
from corridor.accounts.sessions import require_recent_auth
from corridor.cases.access import user_with_perm
from corridor.core.forms import press, submit_then
from corridor.statistics import pdf, presentation, queries
from corridor.statistics.access import get_report_for_user, get_snapshot_for_user
from corridor.statistics.domain import reports
from corridor.statistics.models import Dimension, Granularity, Measure, Report, ReportState, Snapshot
from corridor.statistics.rules import APPROVE_REPORTS, DRAFT_REPORTS, VIEW_REPORTS

NO_DIMENSION: list[tuple[str, Any]] = [("", "—")]


class ReportForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=160,
        help_text=gettext_lazy("Name the topic, never a person: the title is published with the figures and kept in clear."),
    )
    measure = forms.ChoiceField(label=gettext_lazy("What to count"), choices=Measure.choices)
    first = forms.ChoiceField(label=gettext_lazy("Broken down by"), choices=Dimension.choices)
    second = forms.ChoiceField(label=gettext_lazy("then by"), choices=NO_DIMENSION + Dimension.choices, required=False)
    third = forms.ChoiceField(label=gettext_lazy("then by"), choices=NO_DIMENSION + Dimension.choices, required=False)
    granularity = forms.ChoiceField(label=gettext_lazy("Periods"), choices=Granularity.choices, initial=Granularity.MONTH)
    threshold = forms.IntegerField(label=gettext_lazy("Smallest number shown"), min_value=1, max_value=100, initial=5)
    rounding_base = forms.IntegerField(
        label=gettext_lazy("Round to a multiple of (empty: no rounding)"), min_value=1, max_value=100, required=False
    )
    lag_days = forms.IntegerField(label=gettext_lazy("Publication lag in days"), min_value=0, max_value=3650, initial=30)
    # Filters: saved in the definition, named in the published method note.
    period_from = forms.CharField(
        label=gettext_lazy("First month counted (YYYY-MM, optional)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2025-01"}),
    )
    period_to = forms.CharField(
        label=gettext_lazy("Last month counted (YYYY-MM, optional)"),
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2025-12"}),
    )
    country = forms.MultipleChoiceField(
        label=gettext_lazy("Only these countries (applications, decisions, arrivals)"), required=False
    )
    act_type = forms.MultipleChoiceField(label=gettext_lazy("Only these types of act (acts)"), required=False)
    status = forms.MultipleChoiceField(label=gettext_lazy("Only cases in these statuses (people, cases)"), required=False)

    FILTERS = ("country", "act_type", "status")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.FILTERS:
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101 -- declared just above
            field.choices = queries.filter_values(name)
            field.widget.attrs["size"] = 6

    def filters(self) -> dict[str, Any]:
        """The chosen filters as a definition stores them (only those given)."""
        data = self.cleaned_data
        months = {name: data[name].strip() for name in ("period_from", "period_to") if data[name].strip()}
        return {**months, **{name: list(data[name]) for name in self.FILTERS if data[name]}}


# The built-in reports: common needs, offered as filled-in drafts (still reviewed and approved).
PRESETS: dict[str, dict[str, Any]] = {
    "people-by-status-and-month": {
        "title": gettext_lazy("People helped by status and month"),
        "measure": Measure.PEOPLE,
        "first": Dimension.STATUS,
        "second": Dimension.PERIOD,
        "granularity": Granularity.MONTH,
    },
    "decisions-by-country": {
        "title": gettext_lazy("Decisions on applications by country: granted and refused"),
        "measure": Measure.DECISIONS,
        "first": Dimension.COUNTRY,
        "second": Dimension.OUTCOME,
        "granularity": Granularity.QUARTER,
    },
    "applications-by-country": {
        "title": gettext_lazy("Applications by country and status"),
        "measure": Measure.APPLICATIONS,
        "first": Dimension.COUNTRY,
        "second": Dimension.OUTCOME,
        "granularity": Granularity.QUARTER,
    },
    "arrival-time-by-month": {
        "title": gettext_lazy("Time from first contact to arrival, by month of arrival"),
        "measure": Measure.ARRIVAL_TIME,
        "first": Dimension.PERIOD,
        "granularity": Granularity.MONTH,
    },
    "arrival-time-by-country": {
        "title": gettext_lazy("Time from first contact to arrival, by country"),
        "measure": Measure.ARRIVAL_TIME,
        "first": Dimension.COUNTRY,
        "granularity": Granularity.QUARTER,
    },
    "acts-by-type-and-period": {
        "title": gettext_lazy("Documented acts by type and quarter"),
        "measure": Measure.ACTS,
        "first": Dimension.ACT_TYPE,
        "second": Dimension.PERIOD,
        "granularity": Granularity.QUARTER,
    },
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 -- guaranteed by the staff middleware, not by input
    return user


@never_cache
def reports_view(request: HttpRequest) -> HttpResponse:
    user = user_with_perm(request.user, VIEW_REPORTS)
    return render(
        request,
        "statistics/reports.html",
        {
            "reports": Report.objects.exclude(state=ReportState.PUBLISHED).select_related("author")[:100],
            "snapshots": Snapshot.objects.select_related("approved_by")[:100],
            "can_draft": user.has_perm(DRAFT_REPORTS),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def new_view(request: HttpRequest) -> HttpResponse:
    user = user_with_perm(request.user, DRAFT_REPORTS)
    preset = PRESETS.get(request.GET.get("preset", ""), {})
    form = ReportForm(request.POST or None, initial=preset)
    if request.method == "POST":

        def draft(data: dict[str, Any]) -> Report:
            dimensions = [d for d in (data["first"], data["second"], data["third"]) if d]
            return reports.draft_report(
                user,
                title=data["title"],
                measure=data["measure"],
                dimensions=dimensions,
                threshold=data["threshold"],
                rounding_base=data["rounding_base"],
                granularity=data["granularity"],
                lag_days=data["lag_days"],
                filters=form.filters(),
            )

        done = submit_then(form, draft, lambda report: redirect("statistics:report", report.pk), "first")
        if done is not None:
            return done
    presets = [(key, value["title"]) for key, value in PRESETS.items()]
    return render(request, "statistics/new.html", {"form": form, "presets": presets})


@never_cache
def report_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    report = get_report_for_user(user, pk)
    counted, release = reports.build(report, timezone.localdate())
    medians = reports.medians(report, counted, release)
    return render(
        request,
        "statistics/report.html",
        {
            "report": report,
            "counted": counted,
            "blocks": presentation.blocks(release, report.dimensions, medians),
            "chart": presentation.bar_chart(release, report.dimensions, report.title),
            "note": presentation.method_note(report.rule_settings(), counted.left_out, report.definition()),
            "dimension_labels": [presentation.label_for(d) for d in report.dimensions],
            "risks": [
                (", ".join(presentation.label(d, part) for d, part in zip(report.dimensions, risk.key, strict=True)), risk)
                for risk in reports.differencing_warnings(report, release)
            ],
            "can_approve": report.state == ReportState.DRAFT and report.author_id != user.pk and user.has_perm(APPROVE_REPORTS),
            "can_publish": report.state == ReportState.APPROVED and user.has_perm(APPROVE_REPORTS),
        },
    )


@require_POST
@require_recent_auth
def approve_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    report = get_report_for_user(user, pk, APPROVE_REPORTS)
    try:
        press(request, lambda: reports.approve_report(user, report), _("Report approved. It can now be published."))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You cannot do this."))
    return redirect("statistics:report", report.pk)


@require_POST
def publish_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    report = get_report_for_user(user, pk, APPROVE_REPORTS)
    published: list[Snapshot] = []
    if press(request, lambda: published.append(reports.publish_report(user, report)), _("Report published.")):
        return redirect("statistics:snapshot", published[0].pk)
    return redirect("statistics:report", report.pk)


def _snapshot_context(snapshot: Snapshot) -> dict[str, Any]:
    release = reports.release_of(snapshot)
    dimensions = snapshot.definition["dimensions"]
    return {
        "snapshot": snapshot,
        "blocks": presentation.blocks(release, dimensions, reports.medians_of(snapshot)),
        "chart": presentation.bar_chart(release, dimensions, snapshot.title),
        "note": presentation.snapshot_note(snapshot),
        "measure": dict(Measure.choices).get(snapshot.definition["measure"], ""),
        "dimension_labels": [presentation.label_for(d) for d in dimensions],
    }


@never_cache
def snapshot_view(request: HttpRequest, pk: Any) -> HttpResponse:
    snapshot = get_snapshot_for_user(_user(request), pk)
    return render(request, "statistics/snapshot.html", _snapshot_context(snapshot))


@never_cache
def snapshot_csv_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    snapshot = get_snapshot_for_user(user, pk)
    reports.record_export(user, snapshot, "csv")
    release = reports.release_of(snapshot)
    response = HttpResponse(
        presentation.to_csv(release, snapshot.definition["dimensions"], reports.medians_of(snapshot)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="statistics-{snapshot.published_at:%Y%m%d}.csv"'
    return response


@never_cache
def snapshot_pdf_view(request: HttpRequest, pk: Any) -> HttpResponse:
    user = _user(request)
    snapshot = get_snapshot_for_user(user, pk)
    reports.record_export(user, snapshot, "pdf")
    response = HttpResponse(pdf.render(snapshot), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="statistics-{snapshot.published_at:%Y%m%d}.pdf"'
    return response
