# ruff: noqa: S105 -- "token.revoke" is an audit name, not a password
"""Audit names the accounts app writes (corridor/audit/names.py)."""

from django.utils.translation import gettext_lazy as _

from corridor.audit.names import AuditAction, label_names, object_page


class AccountAudit(AuditAction):
    LOGIN = "session.login"
    LOGOUT = "session.logout"
    USER_CREATE = "user.create"
    USER_UPDATE = "user.update"
    USER_ACTIVATE = "user.activate"
    USER_DEACTIVATE = "user.deactivate"
    USER_REENROL = "user.reenrol"
    USER_ENROL_PASSWORD = "user.enrol_password"
    USER_END_SESSIONS = "user.end_sessions"
    TEAM_CREATE = "team.create"
    TOKEN_CREATE = "token.create"
    TOKEN_ACTIVATE = "token.activate"
    TOKEN_REVOKE = "token.revoke"
    FACTOR_START_TOTP = "factor.start.totp"
    FACTOR_ADD_TOTP = "factor.add.totp"
    FACTOR_ADD_WEBAUTHN = "factor.add.webauthn"
    FACTOR_REMOVE_TOTP = "factor.remove.totp"
    FACTOR_REMOVE_WEBAUTHN = "factor.remove.webauthn"
    FACTOR_RECOVERY_CODES = "factor.recovery_codes"


# What the auditor's page says for each name, in the page's language.
label_names(
    AccountAudit,
    {
        AccountAudit.LOGIN: _("Signed in"),
        AccountAudit.LOGOUT: _("Signed out"),
        AccountAudit.USER_CREATE: _("Staff account created"),
        AccountAudit.USER_UPDATE: _("Staff account changed"),
        AccountAudit.USER_ACTIVATE: _("Staff account reactivated"),
        AccountAudit.USER_DEACTIVATE: _("Staff account deactivated"),
        AccountAudit.USER_REENROL: _("New enrolment link issued"),
        AccountAudit.USER_ENROL_PASSWORD: _("Password set at enrolment"),
        AccountAudit.USER_END_SESSIONS: _("Every session of an account ended"),
        AccountAudit.TEAM_CREATE: _("Team created"),
        AccountAudit.TOKEN_CREATE: _("API token created"),
        AccountAudit.TOKEN_ACTIVATE: _("API token activated"),
        AccountAudit.TOKEN_REVOKE: _("API token revoked"),
        AccountAudit.FACTOR_START_TOTP: _("Authenticator set-up started"),
        AccountAudit.FACTOR_ADD_TOTP: _("Authenticator app added"),
        AccountAudit.FACTOR_ADD_WEBAUTHN: _("Security key added"),
        AccountAudit.FACTOR_REMOVE_TOTP: _("Authenticator app removed"),
        AccountAudit.FACTOR_REMOVE_WEBAUTHN: _("Security key removed"),
        AccountAudit.FACTOR_RECOVERY_CODES: _("Recovery codes issued"),
    },
)


# Where the auditor's page links an entry's object (for a viewer with the permission on it).
object_page("accounts.user", "accounts:user", "accounts.manage_users")
object_page("accounts.team", "accounts:team", "accounts.view_team")
