"""Report actions: draft and change a definition, approve it (a second person, never the
author), publish it as an immutable snapshot, and export a published snapshot."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.statistics import disclosure, queries
from corridor.statistics.audit_names import StatisticsAudit
from corridor.statistics.models import DURATION_MEASURES, Dimension, Granularity, Measure, Report, ReportState, Snapshot
from corridor.statistics.rules import APPROVE_REPORTS, DRAFT_REPORTS, RELAX_DISCLOSURE, VIEW_REPORTS


def min_threshold() -> int:
    """The floor below which only an administrator may set a report's threshold."""
    return int(getattr(settings, "CORRIDOR_STATISTICS_MIN_THRESHOLD", disclosure.DEFAULT_THRESHOLD))


def _validate(
    actor: User,
    measure: str,
    dimensions: Sequence[str],
    filters: Mapping[str, Any],
    threshold: int,
    rounding_base: int | None,
    granularity: str,
) -> None:
    if measure not in Measure.values:
        raise ValidationError({"measure": _("Choose what to count.")})
    allowed = queries.dimensions_for(measure)
    if not 1 <= len(dimensions) <= disclosure.MAX_DIMENSIONS or len(set(dimensions)) != len(dimensions):
        raise ValidationError({"dimensions": _("Choose one to three different dimensions.")})
    if any(dimension not in allowed for dimension in dimensions):
        raise ValidationError({"dimensions": _("This measure cannot be broken down that way.")})
    _validate_filters(measure, filters)
    if granularity not in Granularity.values:
        raise ValidationError({"granularity": _("Choose months or quarters.")})
    if threshold < 1:
        raise ValidationError({"threshold": _("The smallest cell shown is at least 1.")})
    if threshold < min_threshold() and not actor.has_perm(RELAX_DISCLOSURE):
        raise ValidationError(
            {"threshold": _("Only an administrator may show cells smaller than %(floor)s.") % {"floor": min_threshold()}}
        )
    if rounding_base is not None and rounding_base < 1:
        raise ValidationError({"rounding_base": _("Round to a multiple of at least 1, or leave it empty.")})


def _validate_filters(measure: str, filters: Mapping[str, Any]) -> None:
    """Each filter one the measure takes, months as YYYY-MM in order, values among the known ones."""
    for key, values in filters.items():
        if key not in queries.filters_for(measure):
            label = str(dict(Dimension.choices).get(key, key))
            raise ValidationError({key: _("“%(filter)s” does not apply to what this report counts.") % {"filter": label}})
        if key in (queries.PERIOD_FROM, queries.PERIOD_TO):
            try:
                queries.month_start(str(values))
            except ValueError:
                raise ValidationError({key: _("Give a month as YYYY-MM, for example 2025-03.")}) from None
            continue
        if not isinstance(values, list | tuple) or not values or not all(isinstance(v, str) for v in values):
            raise ValidationError({key: _("Choose at least one value, or remove this filter.")})
        known = {value for value, _label in queries.filter_values(key)}
        unknown = sorted(set(values) - known) if known else []
        if unknown:
            raise ValidationError({key: _("Unknown values: %(values)s.") % {"values": ", ".join(unknown)}})
    start, end = filters.get(queries.PERIOD_FROM), filters.get(queries.PERIOD_TO)
    if start and end and queries.month_start(str(start)) > queries.month_start(str(end)):
        raise ValidationError({queries.PERIOD_TO: _("The last month comes before the first.")})


def draft_report(
    actor: User,
    *,
    title: str,
    measure: str,
    dimensions: Sequence[str],
    filters: Mapping[str, Any] | None = None,
    threshold: int = disclosure.DEFAULT_THRESHOLD,
    rounding_base: int | None = None,
    granularity: str = Granularity.MONTH,
    lag_days: int = 30,
) -> Report:
    with act(actor, DRAFT_REPORTS) as action:
        title = title.strip()
        if not title:
            raise ValidationError({"title": _("Give the report a title.")})
        filters = dict(filters or {})
        _validate(actor, measure, dimensions, filters, threshold, rounding_base, granularity)
        report = Report.objects.create(
            title=title,
            measure=measure,
            dimensions=list(dimensions),
            filters={key: values if isinstance(values, str) else list(values) for key, values in filters.items()},
            threshold=threshold,
            rounding_base=rounding_base,
            granularity=granularity,
            lag_days=lag_days,
            author=actor,
        )
        action.record(StatisticsAudit.REPORT_DRAFT, report, {"measure": measure, "dimensions": list(dimensions)})
    return report


def change_report(actor: User, report: Report, **changes: Any) -> Report:
    """A changed definition is a new draft: any approval it had no longer holds."""
    with act(actor, DRAFT_REPORTS, report) as action:
        report = lock(report)
        fields = ("title", "measure", "dimensions", "filters", "threshold", "rounding_base", "granularity", "lag_days")
        unknown = set(changes) - set(fields)
        if unknown:
            raise ValueError(f"not report fields: {sorted(unknown)}")
        for field, value in changes.items():
            setattr(report, field, value)
        _validate(
            actor,
            report.measure,
            report.dimensions,
            report.filters,
            report.threshold,
            report.rounding_base,
            report.granularity,
        )
        report.state = ReportState.DRAFT
        report.approved_by = None
        report.approved_at = None
        report.save(update_fields=[*changes, "state", "approved_by", "approved_at", "updated"])
        action.record(StatisticsAudit.REPORT_CHANGE, report, {"fields": sorted(changes)})
    return report


def submit_report(actor: User, report: Report) -> Report:
    """The author (or another drafter) asks for review: the report waits for a second person."""
    with act(actor, DRAFT_REPORTS, report) as action:
        report = lock(report)
        if report.state != ReportState.DRAFT:
            raise ValidationError(_("Only a draft is submitted for review."))
        report.state = ReportState.REVIEW
        report.save(update_fields=["state", "updated"])
        action.record(StatisticsAudit.REPORT_SUBMIT, report)
    return report


def approve_report(actor: User, report: Report) -> Report:
    """A second person approves a draft, or one submitted for review; never its author. The
    page and the API ask for a recent step-up before calling this."""
    with act(actor, APPROVE_REPORTS, report) as action:
        report = lock(report)
        if report.author_id == actor.pk:
            raise PermissionDenied(_("A second person approves a report, not its author."))
        if report.state not in (ReportState.DRAFT, ReportState.REVIEW):
            raise ValidationError(_("Only a draft is approved."))
        report.state = ReportState.APPROVED
        report.approved_by = actor
        report.approved_at = timezone.now()
        report.save(update_fields=["state", "approved_by", "approved_at", "updated"])
        action.record(StatisticsAudit.REPORT_APPROVE, report)
    return report


def build(report: Report, today: datetime.date) -> tuple[queries.Counted, disclosure.Release]:
    """The counts and the protected table for a definition (for the preview and publication)."""
    counted = queries.count(
        report.measure,
        report.dimensions,
        report.filters,
        granularity=report.granularity,
        lag_days=report.lag_days,
        today=today,
    )
    rule = disclosure.Rule(threshold=report.threshold, rounding_base=report.rounding_base)
    return counted, disclosure.suppress(counted.table, rule)


def medians(report: Report, counted: queries.Counted, release: disclosure.Release) -> dict[disclosure.Key, float | None] | None:
    """For a duration measure, each cell's median days (None where withheld); None for a count."""
    if report.measure not in DURATION_MEASURES:
        return None
    return disclosure.cell_medians(release, counted.durations, report.threshold)


def publish_report(actor: User, report: Report, today: datetime.date | None = None) -> Snapshot:
    """Counts, suppresses and freezes the table. Publishing is approval's consequence, so the
    approver or the author may do it, once approved."""
    with act(actor, APPROVE_REPORTS, report) as action:
        report = lock(report)
        if report.state != ReportState.APPROVED or report.approved_by is None or report.approved_at is None:
            raise ValidationError(_("A report is published only after a second person approves it."))
        counted, release = build(report, today or timezone.localdate())
        durations = medians(report, counted, release) or {}
        snapshot = Snapshot.objects.create(
            report=report,
            title=report.title,
            definition=report.definition(),
            rule=report.rule_settings(),
            cells=[[*key, value] for key, value in release.cells.items()],
            categories=[list(axis) for axis in release.dimensions],
            medians=[[*key, value] for key, value in durations.items()],
            counted=counted.counted,
            left_out=counted.left_out,
            cutoff=counted.cutoff,
            approved_by=report.approved_by,
            approved_at=report.approved_at,
            published_by=actor,
        )
        report.state = ReportState.PUBLISHED
        report.save(update_fields=["state", "updated"])
        action.record(StatisticsAudit.REPORT_PUBLISH, snapshot, {"report": str(report.pk), "withheld": len(release.withheld)})
    return snapshot


def record_export(actor: User, snapshot: Snapshot, fmt: str) -> None:
    """Exports leave the instance: each is audited. Only snapshots exist to export."""
    with act(actor, VIEW_REPORTS, snapshot) as action:
        action.record(StatisticsAudit.SNAPSHOT_EXPORT, snapshot, {"format": fmt})


def release_of(snapshot: Snapshot) -> disclosure.Release:
    width = len(snapshot.categories)
    cells: dict[disclosure.Key, int | None] = {tuple(row[:width]): row[width] for row in snapshot.cells}
    return disclosure.Release(tuple(tuple(axis) for axis in snapshot.categories), cells)


def published_totals(snapshot: Snapshot) -> tuple[int | None, int | None]:
    """The records counted and those consent left out, as a snapshot may tell them: the first is
    the table's grand total as released (withheld with it), the second shown only from the
    threshold on and rounded like a cell. Exact, they told a small total whose every cell was
    withheld, and how many people refused consent among the few a filter narrowed to."""
    rule = snapshot.rule
    threshold = int(rule.get("threshold") or disclosure.DEFAULT_THRESHOLD)
    base = rule.get("rounding_base")
    grand: disclosure.Key = (disclosure.TOTAL,) * len(snapshot.categories)
    release = release_of(snapshot)
    counted = release.cells[grand] if grand in release.cells else None
    left_out: int | None = snapshot.left_out
    if left_out is not None and 0 < left_out < threshold:
        left_out = None
    elif left_out and base:
        left_out = disclosure.round_to_base(left_out, int(base))
    return counted, left_out


def medians_of(snapshot: Snapshot) -> dict[disclosure.Key, float | None] | None:
    """A duration snapshot's medians by cell; None for a count."""
    if not snapshot.medians:
        return None
    width = len(snapshot.categories)
    return {tuple(row[:width]): row[width] for row in snapshot.medians}


def differencing_warnings(report: Report, release: disclosure.Release) -> list[disclosure.DifferencingRisk]:
    """What subtracting the last published snapshot of the same definition from this release
    would reveal (small groups, or a cell one of them hid)."""
    earlier = Snapshot.objects.filter(definition=report.definition()).order_by("-published_at").first()
    if earlier is None:
        return []
    before = release_of(earlier)
    if len(before.dimensions) != len(release.dimensions):
        return []
    union = [sorted(set(a) | set(b)) for a, b in zip(before.dimensions, release.dimensions, strict=True)]
    return disclosure.differencing_risks(disclosure.align(before, union), disclosure.align(release, union), report.threshold)
