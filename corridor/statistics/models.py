"""Report definitions and their published snapshots. A snapshot is never changed after it is
written: what was published, under which settings, approved by whom and when."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Measure(models.TextChoices):
    PEOPLE = "people", _("people helped")
    CASES = "cases", _("cases")
    ACTS = "acts", _("documented acts")
    APPLICATIONS = "applications", _("relocation applications")
    DECISIONS = "decisions", _("decisions on applications")
    # A duration, not a count: each cell shows the median days with the count it rests on.
    ARRIVAL_TIME = "arrival_time", _("time from first contact to arrival")


# Measures whose cells carry a median duration next to their count.
DURATION_MEASURES = (Measure.ARRIVAL_TIME,)


class Dimension(models.TextChoices):
    ACT_TYPE = "act_type", _("type of act")
    PERIOD = "period", _("period")
    REGION = "region", _("region")
    COUNTRY = "country", _("country")
    PROGRAMME = "programme", _("programme")
    OUTCOME = "outcome", _("outcome")
    STATUS = "status", _("status")
    AGE_BAND = "age_band", _("age band")


class Granularity(models.TextChoices):
    MONTH = "month", _("month")
    QUARTER = "quarter", _("quarter")


class ReportState(models.TextChoices):
    DRAFT = "draft", _("draft")
    REVIEW = "review", _("submitted for review")
    APPROVED = "approved", _("approved")
    PUBLISHED = "published", _("published")


class Report(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=160)
    measure = models.CharField(_("measure"), max_length=16, choices=Measure.choices)
    # Up to three Dimension values, in the order the table shows them.
    dimensions = models.JSONField(_("dimensions"), default=list)
    # {dimension: [allowed values]}; an empty mapping counts everything with consent.
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    threshold = models.PositiveSmallIntegerField(_("smallest cell shown"), default=5)
    rounding_base = models.PositiveSmallIntegerField(_("round to a multiple of"), null=True, blank=True)
    granularity = models.CharField(_("periods"), max_length=8, choices=Granularity.choices, default=Granularity.MONTH)
    lag_days = models.PositiveSmallIntegerField(_("publication lag in days"), default=30)
    state = models.CharField(_("state"), max_length=10, choices=ReportState.choices, default=ReportState.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated"]

    def __str__(self) -> str:
        return self.title

    def definition(self) -> dict[str, Any]:
        """The query, as a snapshot records it."""
        return {"measure": self.measure, "dimensions": list(self.dimensions), "filters": dict(self.filters)}

    def rule_settings(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "rounding_base": self.rounding_base,
            "granularity": self.granularity,
            "lag_days": self.lag_days,
        }


class ImmutableSnapshot(RuntimeError):
    pass


class Snapshot(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="snapshots")
    title = models.CharField(max_length=160)
    definition = models.JSONField()
    rule = models.JSONField()
    # [[key parts (null for a total)..., value or null when withheld], ...]
    cells = models.JSONField()
    categories = models.JSONField()
    # For a duration measure: [[key parts..., median days or null when withheld], ...]; else [].
    medians = models.JSONField(default=list)
    counted = models.PositiveIntegerField()
    left_out = models.PositiveIntegerField()
    cutoff = models.DateField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at"]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableSnapshot("a published snapshot is never changed")
        super().save(*args, **kwargs)
