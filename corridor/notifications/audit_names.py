"""Audit names the notifications app writes (corridor/audit/names.py)."""

from django.utils.translation import gettext_lazy as _

from corridor.audit.names import AuditAction, label_names


class NotificationAudit(AuditAction):
    READ = "notification.read"
    READ_ALL = "notification.read_all"
    PREFERENCES = "notification.preferences"
    SHIFT_ADD = "roster.shift.add"
    SHIFT_REMOVE = "roster.shift.remove"
    SWAP_ADD = "roster.swap.add"
    SWAP_REMOVE = "roster.swap.remove"
    ALERTING_SET = "roster.alerting.set"
    ESCALATE_FALLBACK = "alert.escalate.fallback"
    ESCALATE_COORDINATORS = "alert.escalate.coordinators"


# What the auditor's page says for each name, in the page's language.
label_names(
    NotificationAudit,
    {
        NotificationAudit.READ: _("Notification read"),
        NotificationAudit.READ_ALL: _("All notifications read"),
        NotificationAudit.PREFERENCES: _("Notification settings changed"),
        NotificationAudit.SHIFT_ADD: _("Duty shift added"),
        NotificationAudit.SHIFT_REMOVE: _("Duty shift removed"),
        NotificationAudit.SWAP_ADD: _("Duty swap added"),
        NotificationAudit.SWAP_REMOVE: _("Duty swap removed"),
        NotificationAudit.ALERTING_SET: _("Alerting settings changed"),
        NotificationAudit.ESCALATE_FALLBACK: _("Alert escalated to the fallback contact"),
        NotificationAudit.ESCALATE_COORDINATORS: _("Alert escalated to the coordinators"),
    },
)
