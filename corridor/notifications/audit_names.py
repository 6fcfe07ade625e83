"""Audit names the notifications app writes (corridor/audit/names.py)."""

from corridor.audit.names import AuditAction


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
