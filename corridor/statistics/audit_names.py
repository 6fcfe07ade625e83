"""Audit names the statistics app writes (corridor/audit/names.py)."""

from django.utils.translation import gettext_lazy as _

from corridor.audit.names import AuditAction, label_names


class StatisticsAudit(AuditAction):
    REPORT_DRAFT = "statistics.report.draft"
    REPORT_CHANGE = "statistics.report.change"
    REPORT_SUBMIT = "statistics.report.submit"
    REPORT_APPROVE = "statistics.report.approve"
    REPORT_PUBLISH = "statistics.report.publish"
    SNAPSHOT_EXPORT = "statistics.snapshot.export"


label_names(
    StatisticsAudit,
    {
        StatisticsAudit.REPORT_DRAFT: _("Statistics report drafted"),
        StatisticsAudit.REPORT_CHANGE: _("Statistics report changed"),
        StatisticsAudit.REPORT_SUBMIT: _("Statistics report submitted for review"),
        StatisticsAudit.REPORT_APPROVE: _("Statistics report approved"),
        StatisticsAudit.REPORT_PUBLISH: _("Statistics report published"),
        StatisticsAudit.SNAPSHOT_EXPORT: _("Published statistics exported"),
    },
)
