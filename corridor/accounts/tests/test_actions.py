"""The accounts' actions: each change writes its registered entry (commands and the demo too),
refuses what the actor may not do, and keeps its rules under the lock."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import translation

from corridor.accounts import access, domain
from corridor.accounts.models import ApiToken, Role, Team, TOTPDevice, WebAuthnCredential
from corridor.accounts.testing import PASSWORD, make_staff, sign_in, totp_now
from corridor.audit.models import AuditEntry
from corridor.core.errors import Conflict

pytestmark = pytest.mark.django_db


def _entries(action: str) -> list[tuple[int | None, str]]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq").values_list("actor_id", "object_id"))


def test_token_revoke_command_is_an_audited_action() -> None:
    user = make_staff(Role.CASEWORKER)
    domain.create_api_token(None, user, "laptop")
    record = ApiToken.objects.get(user=user)
    out = io.StringIO()
    call_command("token", "revoke", record.prefix, stdout=out)
    assert out.getvalue().strip() == "revoked 1 token(s)"
    record.refresh_from_db()
    assert record.revoked is not None
    assert _entries("token.revoke") == [(None, str(record.pk))]
    with pytest.raises(CommandError, match="no active token"):
        call_command("token", "revoke", record.prefix, stdout=io.StringIO())
    assert len(_entries("token.revoke")) == 1


def test_token_activate_command_is_an_audited_action() -> None:
    user = make_staff(Role.CASEWORKER)
    domain.create_api_token(None, user, "laptop")
    record = ApiToken.objects.get(user=user)
    call_command("token", "activate", record.prefix, stdout=io.StringIO())
    assert _entries("token.activate") == [(None, str(record.pk))]


def test_createuser_creates_its_team_once_with_an_entry() -> None:
    call_command("createuser", "--username", "ana", "--role", "caseworker", "--team", "Север", stdout=io.StringIO())
    call_command("createuser", "--username", "ivan", "--role", "hotline", "--team", "Север", stdout=io.StringIO())
    team = Team.objects.get()
    assert (team.name, sorted(team.members.values_list("username", flat=True))) == ("Север", ["ana", "ivan"])
    assert _entries("team.create") == [(None, str(team.pk))]


def test_only_an_administrator_creates_a_team_and_names_are_unique() -> None:
    admin = make_staff(Role.ADMIN)
    caseworker = make_staff(Role.CASEWORKER)
    with pytest.raises(PermissionDenied):
        domain.create_team(caseworker, "Юг")
    team = domain.create_team(admin, "Юг")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        domain.create_team(admin, " Юг ")
    assert refused.value.message_dict == {"name": ["A team with this name exists already."]}
    assert _entries("team.create") == [(admin.pk, str(team.pk))]


def test_deactivating_records_its_own_name_and_revokes_tokens() -> None:
    admin = make_staff(Role.ADMIN)
    user = make_staff(Role.CASEWORKER)
    domain.create_api_token(None, user, "laptop")
    domain.set_active(admin, user, False)
    domain.set_active(admin, user, False)  # already inactive: nothing recorded
    assert _entries("user.deactivate") == [(admin.pk, str(user.pk))]
    assert ApiToken.objects.get(user=user).revoked is not None
    assert user.is_active is False


def test_a_token_revoked_meanwhile_is_a_conflict() -> None:
    user = make_staff(Role.CASEWORKER)
    domain.create_api_token(user, user, "laptop")
    first, second = ApiToken.objects.get(user=user), ApiToken.objects.get(user=user)
    domain.revoke_api_token(user, first)
    with pytest.raises(Conflict):
        domain.revoke_api_token(user, second)
    assert len(_entries("token.revoke")) == 1


def test_someone_elses_token_is_refused_by_the_action_and_missing_to_the_page() -> None:
    owner = make_staff(Role.CASEWORKER)
    other = make_staff(Role.CASEWORKER)
    domain.create_api_token(owner, owner, "laptop")
    record = ApiToken.objects.get(user=owner)
    with pytest.raises(PermissionDenied):
        domain.revoke_api_token(other, record)
    with pytest.raises(Http404):
        access.get_token_for_user(other, record.pk)
    assert _entries("access.deny") == [(other.pk, str(record.pk))]
    client = sign_in(Client(), other)
    assert client.post(reverse("accounts:revoke_token", args=[record.pk])).status_code == 404
    assert ApiToken.objects.get(pk=record.pk).revoked is None


def test_someone_elses_factor_cannot_be_removed() -> None:
    owner = make_staff(Role.CASEWORKER)
    other = make_staff(Role.CASEWORKER)
    device = TOTPDevice.objects.get(user=owner, confirmed=True)
    with pytest.raises(PermissionDenied):
        domain.remove_factor(other, device)
    with pytest.raises(Http404):
        access.get_factor_for_user(other, "totp", device.pk)
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_sign_in_and_out_are_recorded_as_the_user() -> None:
    user = make_staff(Role.CASEWORKER)
    client = Client()
    client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert _entries("session.login") == []  # the password alone is no sign-in
    assert client.post(reverse("accounts:verify"), {"code": totp_now(user)}).status_code == 302
    client.post(reverse("accounts:logout"))
    assert _entries("session.login") == [(user.pk, str(user.pk))]
    assert _entries("session.logout") == [(user.pk, str(user.pk))]


def test_a_team_of_the_demo_is_created_with_an_entry() -> None:
    from corridor.cases.demo import DEMO_TEAMS, demo_staff

    staff = demo_staff()
    assert sorted(team.name for team in staff) == sorted(DEMO_TEAMS)
    assert len(_entries("team.create")) == len(DEMO_TEAMS)
    demo_staff()  # the teams exist now: no second entry
    assert len(_entries("team.create")) == len(DEMO_TEAMS)


def test_a_security_key_sign_in_moves_the_counter_once_and_a_stale_one_is_a_conflict() -> None:
    user = make_staff(Role.CASEWORKER)
    domain.add_webauthn_credential(user, credential_id=b"key-1", public_key=b"not-checked-here", sign_count=5, transports=[], name="key")
    first, stale = WebAuthnCredential.objects.get(user=user), WebAuthnCredential.objects.get(user=user)
    domain.signed_in_with_key(user, first, 6)
    with pytest.raises(Conflict):
        domain.signed_in_with_key(user, stale, 6)  # checked against 5, but the counter moved on
    assert WebAuthnCredential.objects.get(user=user).sign_count == 6
    assert _entries("session.login") == [(user.pk, str(user.pk))]
    assert _entries("factor.add.webauthn") == [(user.pk, str(user.pk))]
