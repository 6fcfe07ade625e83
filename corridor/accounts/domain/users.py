"""Staff accounts: create, change role and teams, re-enrol, end sessions, (de)activate, enrol.

Administrators act under accounts.manage_users; commands and the demo act as the system.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.audit_names import AccountAudit
from corridor.accounts.domain.acting import acting, lock_user
from corridor.accounts.domain.factors import delete_factors
from corridor.accounts.domain.tokens import revoke_all_tokens
from corridor.accounts.models import EnrolmentLink, Role, Team, User
from corridor.audit.actions import act

MANAGE = "accounts.manage_users"
OWN = "accounts.manage_own_account"


def create_user(
    actor: User | None, *, username: str, role: str, teams: Iterable[Team] = (), email: str = ""
) -> tuple[User, str]:
    """Create a staff account with no usable password; return it and its enrolment token."""
    with acting(actor, MANAGE) as action:
        if role not in Role.values:
            raise ValidationError({"role": _("Unknown role.")})
        username = username.strip()
        if not username:
            raise ValidationError({"username": _("A username is required.")})
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError({"username": _("This username is taken.")})
        user = User(username=username, role=role, email=email)
        user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        user.teams.set(list(teams))
        token = EnrolmentLink.issue(user)
        action.record(AccountAudit.USER_CREATE, user)
    return user, token


def set_role_and_teams(actor: User | None, user: User, *, role: str, teams: Iterable[Team]) -> None:
    """A new role and teams; the user's sessions end and tokens suspend, so it applies at once."""
    with acting(actor, MANAGE, user) as action:
        if role not in Role.values:
            raise ValidationError({"role": _("Unknown role.")})
        locked = lock_user(user)
        locked.role = role
        locked.save(update_fields=["role"])
        locked.teams.set(list(teams))
        locked.end_all_sessions()
        action.record(AccountAudit.USER_UPDATE, locked)
    user.refresh_from_db()


def reissue_enrolment(actor: User | None, user: User) -> str:
    """Reset a user who lost everything: no password, no factors, a fresh link."""
    with acting(actor, MANAGE, user) as action:
        locked = lock_user(user)
        locked.set_unusable_password()
        locked.save(update_fields=["password"])
        delete_factors(locked)
        revoke_all_tokens(locked)
        locked.end_all_sessions()
        token = EnrolmentLink.issue(locked)
        action.record(AccountAudit.USER_REENROL, locked)
    user.refresh_from_db()
    return token


def end_sessions(actor: User | None, user: User) -> None:
    with acting(actor, MANAGE, user) as action:
        locked = lock_user(user)
        locked.end_all_sessions()
        action.record(AccountAudit.USER_END_SESSIONS, locked)
    user.refresh_from_db()


def set_active(actor: User | None, user: User, active: bool) -> None:
    """(De)activate an account; deactivating revokes its tokens. Asking for the state it has records nothing."""
    with acting(actor, MANAGE, user) as action:
        if actor is not None and actor.pk == user.pk and not active:
            raise ValidationError(_("You cannot deactivate your own account."))
        locked = lock_user(user)
        if locked.is_active == active:
            action.unchanged()
            return
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        if not active:
            revoke_all_tokens(locked)
        locked.end_all_sessions()
        action.record(AccountAudit.USER_ACTIVATE if active else AccountAudit.USER_DEACTIVATE, locked)
    user.refresh_from_db()


def enrol_set_password(link: EnrolmentLink, password: str, duress_password: str = "") -> User:
    """First step of enrolment: the user chooses their own password (admins never can)."""
    user = link.user
    password_validation.validate_password(password, user)
    if duress_password:
        if duress_password == password:
            raise ValidationError({"duress_password": _("The duress password must differ from your password.")})
        password_validation.validate_password(duress_password, user)
    with act(user, OWN, user) as action:
        # Claim the link first: of two simultaneous submissions only one may use it.
        if not EnrolmentLink.objects.filter(pk=link.pk, used__isnull=True).update(used=timezone.now()):
            raise ValidationError(_("This enrolment link has been used already."))
        user.set_password(password)
        fields = ["password"]
        if duress_password:
            user.duress_password = make_password(duress_password)
            fields.append("duress_password")
        user.save(update_fields=fields)
        action.record(AccountAudit.USER_ENROL_PASSWORD, user)
    return user
