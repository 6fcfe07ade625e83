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
    QUESTIONNAIRE_DRAFT = "intake.questionnaire.draft"
    QUESTIONNAIRE_EDIT = "intake.questionnaire.edit"
    QUESTIONNAIRE_SUBMIT = "intake.questionnaire.submit"
    QUESTIONNAIRE_APPROVE = "intake.questionnaire.approve"
    QUESTIONNAIRE_SEND_BACK = "intake.questionnaire.send_back"
    QUESTIONNAIRE_DISCARD = "intake.questionnaire.discard"
    LOOK_LANGUAGES = "intake.look.languages"
    LOOK_CHANGE = "intake.look.change"


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
        IntakeAudit.QUESTIONNAIRE_DRAFT: _("Intake questionnaire: new draft"),
        IntakeAudit.QUESTIONNAIRE_EDIT: _("Intake questionnaire: draft changed"),
        IntakeAudit.QUESTIONNAIRE_SUBMIT: _("Intake questionnaire: sent for approval"),
        IntakeAudit.QUESTIONNAIRE_APPROVE: _("Intake questionnaire: approved and live"),
        IntakeAudit.QUESTIONNAIRE_SEND_BACK: _("Intake questionnaire: sent back to draft"),
        IntakeAudit.QUESTIONNAIRE_DISCARD: _("Intake questionnaire: draft discarded"),
        IntakeAudit.LOOK_LANGUAGES: _("Intake languages changed"),
        IntakeAudit.LOOK_CHANGE: _("Intake page's name and look changed"),
    },
)
