"""The statistics API under /api/v1/statistics/: report definitions (list, draft, read, submit
for review, approve, publish) and published snapshots (list, read, export as CSV or JSON).

The same permissions and domain actions as the pages. Approval is by a second person, never
the author, and like the page it needs a password and second factor confirmed in the last few
minutes (step-up): only a signed-in session carries that, so an API token alone is refused
with 403 `step_up_required`. Only published snapshots are exported; a report has no export.
A role without the permission answers 403; a report or snapshot that does not exist, 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from corridor.accounts import api_auth
from corridor.cases.access import NotPermitted, user_with_perm
from corridor.cases.serializers import Text
from corridor.statistics import presentation
from corridor.statistics.access import get_report_for_user, get_snapshot_for_user
from corridor.statistics.domain import reports
from corridor.statistics.models import Dimension, Granularity, Measure, Report, ReportState, Snapshot
from corridor.statistics.rules import APPROVE_REPORTS, DRAFT_REPORTS, VIEW_REPORTS

F = TypeVar("F", bound=Callable[..., Any])
EXPORT_FORMATS = ("csv", "json")


def documented(**schema: Any) -> Callable[[F], F]:
    """drf-spectacular's extend_schema with its type said (the library is not type-checked)."""
    decorator: Callable[[F], F] = extend_schema(**schema)
    return decorator



class StatisticsView(APIView):
    # A role without the permission (NotPermitted, a 404 on pages) is the declared 403 here.

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, NotPermitted):
            exc = exceptions.PermissionDenied()
        return super().handle_exception(exc)


# The period first: every measure can be broken down by it.
DIMENSION_CHOICES = sorted(Dimension.choices, key=lambda choice: choice[0] != Dimension.PERIOD)


class ReportSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    title = Text(max_length=160, help_text="name the topic, never a person: published in clear")
    measure = serializers.ChoiceField(choices=Measure.choices)
    dimensions = serializers.ListField(child=serializers.ChoiceField(choices=DIMENSION_CHOICES), min_length=1, max_length=3)
    filters = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="period_from and period_to as YYYY-MM; country, act_type, status, outcome, programme, region as "
        "lists of values; each checked against the measure (a 400 names the filter and the reason)",
    )
    threshold = serializers.IntegerField(min_value=1, max_value=100, default=5)
    rounding_base = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True, default=None)
    granularity = serializers.ChoiceField(choices=Granularity.choices, default=Granularity.MONTH)
    lag_days = serializers.IntegerField(min_value=0, max_value=3650, default=30)
    state = serializers.ChoiceField(choices=ReportState.choices, read_only=True)
    author = serializers.CharField(source="author.username", read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True, default=None)
    approved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated = serializers.DateTimeField(read_only=True)

    def to_internal_value(self, data: Any) -> Any:
        # A misspelt key ("filter" for "filters") would otherwise be dropped without a word, and
        # the report counted without the filter its author meant: refuse it by name.
        if isinstance(data, dict):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: [_("Unknown field.")] for key in unknown})
        return super().to_internal_value(data)


class SnapshotSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    report = serializers.UUIDField(source="report_id")
    title = serializers.CharField()
    definition = serializers.DictField(help_text="measure, dimensions and filters as approved")
    rule = serializers.DictField(help_text="threshold, rounding, periods and lag")
    categories = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    cells = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="[category per dimension (null: total)..., count or null when withheld]",
    )
    counted = serializers.IntegerField(allow_null=True, help_text="records counted; null when withheld like a cell")
    left_out = serializers.IntegerField(
        allow_null=True, help_text="records left out for lack of consent; null below the threshold, rounded like a cell"
    )
    cutoff = serializers.DateField()
    approved_by = serializers.CharField(source="approved_by.username")
    approved_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField()
    method_note = serializers.ListField(child=serializers.CharField())


class EmptySerializer(serializers.Serializer):
    pass


def _snapshot_data(snapshot: Snapshot) -> dict[str, Any]:
    fields: tuple[str, ...] = ("id", "report_id", "title", "definition", "rule", "categories", "cells", "counted")
    fields += ("left_out", "cutoff", "approved_by", "approved_at", "published_at")
    data = {field: getattr(snapshot, field) for field in fields}
    data["counted"], data["left_out"] = reports.published_totals(snapshot)  # never a small exact total
    return dict(SnapshotSerializer({**data, "method_note": presentation.snapshot_note(snapshot)}).data)


class ReportList(StatisticsView):
    @documented(responses=ReportSerializer(many=True), summary="Report definitions not yet published")
    def get(self, request: Request) -> Response:
        user_with_perm(request.user, VIEW_REPORTS)
        found = Report.objects.exclude(state=ReportState.PUBLISHED).select_related("author", "approved_by")[:100]
        return Response(ReportSerializer(found, many=True).data)

    @documented(request=ReportSerializer, responses={201: ReportSerializer}, summary="Draft a report definition")
    def post(self, request: Request) -> Response:
        user = user_with_perm(request.user, DRAFT_REPORTS)
        serializer = ReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        report = reports.draft_report(user, **data)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class ReportDetail(StatisticsView):
    @documented(responses=ReportSerializer, summary="One report definition")
    def get(self, request: Request, pk: str) -> Response:
        report = get_report_for_user(user_with_perm(request.user, VIEW_REPORTS), pk)
        return Response(ReportSerializer(report).data)


class ReportSubmit(StatisticsView):
    @documented(request=EmptySerializer, responses=ReportSerializer, summary="Submit a draft for review by a second person")
    def post(self, request: Request, pk: str) -> Response:
        user = user_with_perm(request.user, DRAFT_REPORTS)
        report = reports.submit_report(user, get_report_for_user(user, pk, DRAFT_REPORTS))
        return Response(ReportSerializer(report).data)


class ReportApprove(StatisticsView):
    @documented(
        request=EmptySerializer,
        responses=ReportSerializer,
        summary="Approve a report (a second person, never its author; needs a recent step-up in a signed-in session)",
    )
    def post(self, request: Request, pk: str) -> Response:
        user = user_with_perm(request.user, APPROVE_REPORTS)
        report = get_report_for_user(user, pk, APPROVE_REPORTS)
        api_auth.require_step_up(request)
        return Response(ReportSerializer(reports.approve_report(user, report)).data)


class ReportPublish(StatisticsView):
    @documented(
        request=EmptySerializer,
        responses={201: SnapshotSerializer},
        summary="Publish an approved report as an immutable snapshot",
    )
    def post(self, request: Request, pk: str) -> Response:
        user = user_with_perm(request.user, APPROVE_REPORTS)
        snapshot = reports.publish_report(user, get_report_for_user(user, pk, APPROVE_REPORTS))
        return Response(_snapshot_data(snapshot), status=status.HTTP_201_CREATED)


class SnapshotList(StatisticsView):
    @documented(responses=SnapshotSerializer(many=True), summary="Published snapshots, newest first")
    def get(self, request: Request) -> Response:
        user_with_perm(request.user, VIEW_REPORTS)
        found = Snapshot.objects.select_related("approved_by")[:100]
        return Response([_snapshot_data(snapshot) for snapshot in found])


class SnapshotDetail(StatisticsView):
    @documented(responses=SnapshotSerializer, summary="One published snapshot")
    def get(self, request: Request, pk: str) -> Response:
        snapshot = get_snapshot_for_user(user_with_perm(request.user, VIEW_REPORTS), pk)
        return Response(_snapshot_data(snapshot))


class SnapshotExport(StatisticsView):
    @documented(
        parameters=[OpenApiParameter("output", str, enum=list(EXPORT_FORMATS), description="csv (default) or json")],
        responses={
            (200, "application/json"): SnapshotSerializer,
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="one line per cell, margins included, withheld cells empty"),
        },
        summary="Export a published snapshot (audited); only published snapshots exist to export",
    )
    def get(self, request: Request, pk: str) -> Response | HttpResponse:
        user = user_with_perm(request.user, VIEW_REPORTS)
        snapshot = get_snapshot_for_user(user, pk)
        # Not "format": DRF reads that parameter itself, to choose a renderer.
        fmt = request.query_params.get("output", "csv")
        if fmt not in EXPORT_FORMATS:
            raise exceptions.ValidationError({"output": [_("Choose csv or json.")]})
        reports.record_export(user, snapshot, fmt)
        if fmt == "json":
            return Response(_snapshot_data(snapshot))
        response = HttpResponse(
            presentation.to_csv(reports.release_of(snapshot), snapshot.definition["dimensions"], reports.medians_of(snapshot)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="statistics-{snapshot.published_at:%Y%m%d}.csv"'
        return response
