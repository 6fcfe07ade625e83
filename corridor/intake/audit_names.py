"""Audit names the intake app writes (corridor/audit/names.py)."""

from corridor.audit.names import AuditAction


class IntakeAudit(AuditAction):
    MOVE = "intake.move"
    REPLY = "intake.reply"
    SPAM = "intake.spam"
    UNSPAM = "intake.unspam"
    OPEN_CASE = "intake.open_case"
    PURGE = "intake.purge"
