"""State changes of staff accounts, one action each, grouped by area: users, teams, tokens,
factors, sessions. Views, the API and commands parse, call one of these, and render.
"""

from corridor.accounts.domain.factors import (
    add_webauthn_credential,
    confirm_totp,
    regenerate_recovery_codes,
    remove_factor,
    start_totp,
    totp_uri,
)
from corridor.accounts.domain.sessions import lockdown, signed_in, signed_in_with_key, signed_out
from corridor.accounts.domain.teams import create_team, team_named
from corridor.accounts.domain.tokens import (
    activate_api_token,
    active_tokens_with_prefix,
    create_api_token,
    revoke_api_token,
    revoke_tokens_with_prefix,
)
from corridor.accounts.domain.users import (
    create_user,
    end_sessions,
    enrol_set_password,
    reissue_enrolment,
    set_active,
    set_role_and_teams,
)

__all__ = [
    "activate_api_token",
    "active_tokens_with_prefix",
    "add_webauthn_credential",
    "confirm_totp",
    "create_api_token",
    "create_team",
    "create_user",
    "end_sessions",
    "enrol_set_password",
    "lockdown",
    "regenerate_recovery_codes",
    "reissue_enrolment",
    "remove_factor",
    "revoke_api_token",
    "revoke_tokens_with_prefix",
    "set_active",
    "set_role_and_teams",
    "signed_in",
    "signed_in_with_key",
    "signed_out",
    "start_totp",
    "team_named",
    "totp_uri",
]
