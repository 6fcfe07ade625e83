# ruff: noqa: S105 -- "token.revoke" is an audit name, not a password
"""Audit names the accounts app writes (corridor/audit/names.py)."""

from corridor.audit.names import AuditAction


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
