"""Audit names the transfer app writes (corridor/audit/names.py), each part in its own block."""

from django.utils.translation import gettext_lazy as _

from corridor.audit.names import AuditAction, label_names

# -- referrals (K) --


class ReferralAudit(AuditAction):
    PARTNER_REGISTER = "partner.register"
    PARTNER_VERIFY = "partner.verify"
    PARTNER_DEACTIVATE = "partner.deactivate"
    REFERRAL_PREPARE = "referral.prepare"
    REFERRAL_APPROVE = "referral.approve"
    REFERRAL_CANCEL = "referral.cancel"
    REFERRAL_EXPORT = "referral.export"
    REFERRAL_PREVIEW = "referral.preview"
    REFERRAL_IMPORT = "referral.import"
    REFERRAL_REFUSED = "referral.refused"
    REFERRAL_STAGE = "referral.stage"
    REFERRAL_UNSTAGE = "referral.unstage"


label_names(
    ReferralAudit,
    {
        ReferralAudit.PARTNER_REGISTER: _("Partner organisation registered"),
        ReferralAudit.PARTNER_VERIFY: _("Partner keys verified"),
        ReferralAudit.PARTNER_DEACTIVATE: _("Partner organisation deactivated"),
        ReferralAudit.REFERRAL_PREPARE: _("Referral prepared"),
        ReferralAudit.REFERRAL_APPROVE: _("Referral approved"),
        ReferralAudit.REFERRAL_CANCEL: _("Referral cancelled"),
        ReferralAudit.REFERRAL_EXPORT: _("Referral bundle exported"),
        ReferralAudit.REFERRAL_PREVIEW: _("Referral bundle opened for preview"),
        ReferralAudit.REFERRAL_IMPORT: _("Referral bundle imported"),
        ReferralAudit.REFERRAL_REFUSED: _("Referral bundle refused"),
        ReferralAudit.REFERRAL_STAGE: _("Referral bundle kept for its import"),
        ReferralAudit.REFERRAL_UNSTAGE: _("Kept referral bundle destroyed"),
    },
)

# -- end referrals (K) --

# -- backups (L) --


class BackupAudit(AuditAction):
    RECIPIENT_ADD = "backup.recipient_add"
    RECIPIENT_REMOVE = "backup.recipient_remove"
    TAKE = "backup.take"
    FINISH = "backup.finish"
    RESTORE = "backup.restore"


label_names(
    BackupAudit,
    {
        BackupAudit.RECIPIENT_ADD: _("Backup key added"),
        BackupAudit.RECIPIENT_REMOVE: _("Backup key removed"),
        BackupAudit.TAKE: _("Backup started"),
        BackupAudit.FINISH: _("Backup written"),
        BackupAudit.RESTORE: _("Instance restored from a backup"),
    },
)

# -- end backups (L) --

# -- legacy import (M) --


class LegacyImportAudit(AuditAction):
    IMPORT = "legacy.import"
    IMPORT_BATCH = "legacy.import.batch"
    QUEUE = "legacy.import.queue"


label_names(
    LegacyImportAudit,
    {
        LegacyImportAudit.IMPORT: _("People and cases imported from a spreadsheet"),
        LegacyImportAudit.IMPORT_BATCH: _("A part of a spreadsheet imported"),
        LegacyImportAudit.QUEUE: _("A spreadsheet queued for import"),
    },
)

# -- end legacy import (M) --
