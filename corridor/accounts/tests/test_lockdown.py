"""The admin's lockdown is an action: it checks the role itself, seals first, and is audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from corridor.accounts import domain
from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.keys import instance

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [role for role in Role if role != Role.ADMIN])
def test_only_an_admin_may_lock_down(role: str) -> None:
    user = make_staff(role)
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        domain.lockdown(user)
    assert (instance.is_sealed(), AuditEntry.objects.count()) == (False, before)


def test_an_admins_lockdown_seals_and_names_the_admin() -> None:
    admin = make_staff(Role.ADMIN)
    domain.lockdown(admin)
    assert instance.is_sealed()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.actor_id) == ("instance.lockdown.admin", admin.pk)
