"""keys reports what it did through a hook the audit app registers; without one it refuses.

Also: rotating, re-wrapping, retiring and destroying key epochs each leave an audit entry
(`corridor rotate`, `purge_epochs`), with the system as the actor and the epochs in the details.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command

from corridor.audit import key_events, log
from corridor.audit.models import AuditEntry, Checkpoint
from corridor.audit.names import InstanceAudit
from corridor.keys import epochs, events, instance
from corridor.keys.events import KeyEvent, NoReceiver
from corridor.keys.models import DataKey
from corridor.keys.tests.testapp.fixtures import own_shares  # noqa: F401 -- fixture
from corridor.keys.tests.testapp.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_receiver(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the audit app had never registered its receiver."""
    monkeypatch.setattr(events, "_receiver", None)


def _entries(after: int = 0) -> list[tuple[str, int | None, dict[str, Any] | None]]:
    return [(e.action, e.actor_id, log.open_details(e)) for e in AuditEntry.objects.filter(seq__gte=after).order_by("seq")]


def test_the_audit_app_registers_its_receiver_when_it_loads() -> None:
    assert events._receiver is key_events.receive


def test_every_key_event_has_an_audit_name() -> None:
    assert set(key_events.NAMES) == set(KeyEvent)
    assert len(set(key_events.NAMES.values())) == len(KeyEvent)


def test_a_second_receiver_is_refused() -> None:
    def other(event: KeyEvent, *, actor: Any, subject: Any, details: Mapping[str, Any]) -> None:
        raise AssertionError("never called")

    with pytest.raises(RuntimeError):
        events.register(other)
    events.register(key_events.receive)  # the same one again is harmless
    assert events._receiver is key_events.receive


def test_a_report_with_no_receiver_raises(no_receiver: None) -> None:
    with pytest.raises(NoReceiver):
        events.report(KeyEvent.EPOCH_DESTROY, actor=None, epoch=1)


def test_a_shred_with_no_receiver_raises_and_destroys_nothing(no_receiver: None) -> None:
    key = DataKey.create("person")
    with pytest.raises(NoReceiver):
        key.shred(actor=None)
    stored = DataKey.objects.get(pk=key.pk)
    assert (stored.shredded, bytes(stored.wrapped) != b"") == (None, True)
    assert AuditEntry.objects.count() == 0


def test_a_lockdown_with_no_receiver_seals_and_still_raises(no_receiver: None, own_shares: list[str]) -> None:  # noqa: F811
    with pytest.raises(NoReceiver):
        instance.lockdown(actor=None, reason="cli")
    assert instance.is_sealed() is True


def test_an_unseal_is_recorded_and_signed_at_once(own_shares: list[str]) -> None:  # noqa: F811
    instance.lockdown(actor=None, reason="admin")
    outcomes = [instance.submit_share(share) for share in own_shares[:3]]

    assert [o.error for o in outcomes] == ["", "", ""]
    assert instance.is_sealed() is False
    assert list(AuditEntry.objects.values_list("action", "actor_id")) == [
        ("instance.lockdown.admin", None),
        ("instance.unseal", None),
    ]
    # What was logged while sealed is under a signature straight after the unseal.
    assert Checkpoint.objects.filter(tree_size=2).count() == 1


def test_a_lockdown_records_who_asked(own_shares: list[str]) -> None:  # noqa: F811
    call_command("seal", stdout=io.StringIO())
    assert instance.is_sealed() is True
    assert list(AuditEntry.objects.values_list("action", "actor_id")) == [("instance.lockdown.cli", None)]


def test_a_lockdown_for_an_unknown_reason_changes_nothing(own_shares: list[str]) -> None:  # noqa: F811
    with pytest.raises(KeyError):
        instance.lockdown(actor=None, reason="duress")
    assert instance.is_sealed() is False


def test_rotate_audits_the_new_epoch_and_each_rewrap_batch(own_shares: list[str]) -> None:  # noqa: F811
    for i in range(3):
        Person.objects.create(name=f"p{i}")
    before = AuditEntry.objects.count()

    call_command("rotate", batch=2, stdout=io.StringIO())

    assert _entries(before) == [
        (InstanceAudit.EPOCH_ROTATE.value, None, {"epoch": 2, "previous": 1}),
        (InstanceAudit.EPOCH_REWRAP.value, None, {"epoch": 2, "keys": 2}),
        (InstanceAudit.EPOCH_REWRAP.value, None, {"epoch": 2, "keys": 2}),
    ]
    # Three people's keys and the month's audit key (made for the rotation entry's details).
    assert DataKey.objects.filter(epoch=2).count() == 4


def test_rotate_with_no_receiver_makes_no_epoch(no_receiver: None, own_shares: list[str]) -> None:  # noqa: F811
    with pytest.raises(NoReceiver):
        call_command("rotate", stdout=io.StringIO())
    assert [e.version for e in instance.keyring().epochs()] == [1]


def test_purge_audits_each_retired_and_each_destroyed_epoch(own_shares: list[str]) -> None:  # noqa: F811
    call_command("rotate", stdout=io.StringIO())
    before = AuditEntry.objects.count()

    call_command("purge_epochs", older_than_days=35, stdout=io.StringIO())
    assert _entries(before) == [(InstanceAudit.EPOCH_RETIRE.value, None, {"epoch": 1})]
    retired = next(e.retired for e in instance.keyring().epochs() if e.version == 1)

    out = io.StringIO()
    call_command("purge_epochs", older_than_days=0, stdout=out)
    assert "destroyed: [1]" in out.getvalue()
    assert _entries(before + 1) == [(InstanceAudit.EPOCH_DESTROY.value, None, {"epoch": 1, "retired": retired})]
    assert [e.version for e in instance.keyring().epochs()] == [2]


def test_a_dry_run_purge_audits_nothing(own_shares: list[str]) -> None:  # noqa: F811
    call_command("rotate", stdout=io.StringIO())
    before = AuditEntry.objects.count()
    later = datetime.now(UTC) + timedelta(days=365)
    assert epochs.purge(0, dry_run=True, now=later) == {"retired": [1], "destroyed": []}
    assert AuditEntry.objects.count() == before


def test_a_destroy_whose_entry_cannot_be_written_destroys_nothing(no_receiver: None, own_shares: list[str]) -> None:  # noqa: F811
    ring = instance.keyring()
    ring.rotate()
    ring.retire_epoch(1)
    with pytest.raises(NoReceiver):
        epochs.purge(0)
    assert [e.version for e in ring.epochs()] == [1, 2]
