"""accounts.holders finds exactly the active users `has_perm` is true for: compared with asking
every user, for every registered permission, across every role, inactive users, team members,
team coordinators, superusers and Django's own permission and group grants."""

from __future__ import annotations

from typing import Any

import pytest
import rules
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from rules.permissions import permissions as registered_rules

from corridor.accounts import holders as holders_module
from corridor.accounts.holders import holders, roles_holding
from corridor.accounts.models import Role, Team, User
from corridor.accounts.rules import is_admin, is_hotline, is_team_member
from corridor.accounts.testing import make_staff
from corridor.intake.models import IntakeRequest
from corridor.notifications.domain import events
from corridor.notifications.models import TeamAlerting
from corridor.notifications.rules import HEAR_INSTANCE_EVENTS

pytestmark = pytest.mark.django_db

# The permissions notifications asks holders() about (events._holding).
USED = [events.TRIAGE, events.REVIEW_BREAK_GLASS, HEAR_INSTANCE_EVENTS]


def _everyone_asked(perm: str) -> list[User]:
    """The slow path, as events._holding was before: every active user asked."""
    return [user for user in User.objects.filter(is_active=True).order_by("pk") if user.has_perm(perm)]


def _grant(codename: str) -> Permission:
    """A Django permission whose name is `intake.<codename>` (ModelBackend's spelling)."""
    kind = ContentType.objects.get_for_model(IntakeRequest)
    permission, _made = Permission.objects.get_or_create(content_type=kind, codename=codename, defaults={"name": codename})
    return permission


@pytest.fixture(params=["configured", "model-backend"])
def staff(request: pytest.FixtureRequest, settings: Any) -> dict[str, User]:
    """Everyone, under the configured backends and under Django's ModelBackend (which honours
    Django's own grants): the answer must be exact whichever backends decide."""
    if request.param == "model-backend":
        settings.AUTHENTICATION_BACKENDS = [
            "rules.permissions.ObjectPermissionBackend",
            "django.contrib.auth.backends.ModelBackend",
        ]
    team = Team.objects.create(name="Hotline team")
    other = Team.objects.create(name="Other team")
    people: dict[str, User] = {}
    for role in Role.values:
        people[f"{role}-active"] = make_staff(role, teams=[team], username=f"h-{role}", factor=False)
        gone = make_staff(role, teams=[other], username=f"h-{role}-gone", factor=False)
        gone.is_active = False
        gone.save(update_fields=["is_active"])
        people[f"{role}-inactive"] = gone
        people[f"{role}-teamless"] = make_staff(role, username=f"h-{role}-teamless", factor=False)
    alerting = TeamAlerting.objects.create(team=team)
    alerting.coordinators.add(people["caseworker-active"])
    people["superuser"] = User.objects.create(username="h-super", role=Role.CASEWORKER, is_superuser=True)
    people["superuser-inactive"] = User.objects.create(
        username="h-super-gone", role=Role.DOCUMENTATION, is_superuser=True, is_active=False
    )
    # Django's own grants (ModelBackend): a permission named like the rule, directly and by group.
    direct = User.objects.create(username="h-direct", role=Role.CASEWORKER)
    direct.user_permissions.add(_grant("triage"))
    people["direct-grant"] = direct
    group = Group.objects.create(name="h-group")
    group.permissions.add(_grant("triage"))
    member = User.objects.create(username="h-group-member", role=Role.RELOCATION)
    member.groups.add(group)
    people["group-grant"] = member
    empty_group = Group.objects.create(name="h-empty")
    lonely = User.objects.create(username="h-empty-member", role=Role.AUDITOR)
    lonely.groups.add(empty_group)
    people["empty-group"] = lonely
    return people


def test_every_registered_permission_gives_exactly_the_slow_answer(staff: dict[str, User]) -> None:
    checked = 0
    for perm in sorted(registered_rules):
        assert [u.username for u in holders(perm)] == [u.username for u in _everyone_asked(perm)], perm
        checked += 1
    assert checked >= len(USED)


def test_the_permissions_notifications_use_take_the_fast_path_and_find_the_right_people(staff: dict[str, User]) -> None:
    assert roles_holding(events.TRIAGE) == {Role.HOTLINE}
    assert roles_holding(events.REVIEW_BREAK_GLASS) == {Role.ADMIN}
    assert roles_holding(HEAR_INSTANCE_EVENTS) == {Role.ADMIN, Role.TRUSTEE}
    # Every hotline operator, wherever they are; no one inactive; the superuser and Django's own
    # grants exactly when has_perm says yes to them (Corridor's User.has_perm and PasswordBackend
    # say no; Django's defaults and ModelBackend said yes).
    others = [name for name in ("superuser", "direct-grant", "group-grant") if staff[name].has_perm(events.TRIAGE)]
    assert [u.username for u in events._holding(events.TRIAGE)] == [
        "h-hotline",
        "h-hotline-teamless",
        *(staff[name].username for name in others),
    ]
    for perm in USED:
        assert events._holding(perm) == _everyone_asked(perm), perm


def test_a_rule_with_anything_but_roles_in_it_asks_every_user(staff: dict[str, User]) -> None:
    name = "accounts.test_holders_team_rule"
    rules.add_perm(name, is_hotline | is_team_member)
    try:
        assert roles_holding(name) is None
        assert holders(name) == _everyone_asked(name)
        # Replaced by a role-only rule: looked at again, not answered from what was found before.
        rules.set_perm(name, is_admin | is_hotline)
        assert roles_holding(name) == {Role.ADMIN, Role.HOTLINE}
        assert holders(name) == _everyone_asked(name)
        superuser = {"h-super"} if staff["superuser"].has_perm(name) else set()
        assert {u.username for u in holders(name)} == {
            "h-admin",
            "h-admin-teamless",
            "h-hotline",
            "h-hotline-teamless",
            *superuser,
        }
    finally:
        rules.remove_perm(name)
        holders_module._roles.pop(name, None)


def test_a_rule_named_like_a_role_predicate_but_not_made_by_accounts_is_not_trusted() -> None:
    impostor = rules.predicate(lambda user: True, name="has_role(nobody)")
    assert holders_module._role_only(str((impostor | is_admin).name)) is False
    assert holders_module._role_only(str((~is_admin & is_hotline).name)) is True
    assert holders_module._role_only(str((is_admin | is_team_member).name)) is False
