"""Audit names the intake app writes (corridor/audit/names.py)."""

from django.utils.translation import gettext_lazy as _

from corridor.audit.names import AuditAction, label_names


class IntakeAudit(AuditAction):
    MOVE = "intake.move"
    REPLY = "intake.reply"
    SPAM = "intake.spam"
    UNSPAM = "intake.unspam"
    OPEN_CASE = "intake.open_case"
    PURGE = "intake.purge"


# What the auditor's page says for each name, in the page's language.
label_names(
    IntakeAudit,
    {
        IntakeAudit.MOVE: _("A help request's new messages moved to the case notes"),
        IntakeAudit.REPLY: _("Reply sent to a help request"),
        IntakeAudit.SPAM: _("Help request marked as spam"),
        IntakeAudit.UNSPAM: _("Help request no longer spam"),
        IntakeAudit.OPEN_CASE: _("Case opened from a help request"),
        IntakeAudit.PURGE: _("Old help requests deleted"),
    },
)
