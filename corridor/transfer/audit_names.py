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
    },
)

# -- end referrals (K) --
