"""An epoch change keyd carried out keeps its audit entry even when the caller then fails.

Second review of issue 10: `epochs.rotate` raised inside the transaction that held its entry
when keyd numbered the new epoch otherwise than expected (another rotation ran meanwhile), so
the epoch keyd made was left with no entry; and a destroy whose reply was lost
(KeyServiceUnavailable after the request was sent) rolled its entry back although keyd may
have destroyed the epoch.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from corridor.audit import log
from corridor.audit.models import AuditEntry
from corridor.audit.names import InstanceAudit
from corridor.keys import epochs, instance
from corridor.keys.errors import KeyServiceUnavailable
from corridor.keys.tests.testapp.fixtures import own_shares  # noqa: F401 -- fixture

pytestmark = pytest.mark.django_db


def _entries(after: int) -> list[tuple[str, dict[str, Any] | None]]:
    return [(e.action, log.open_details(e)) for e in AuditEntry.objects.filter(seq__gte=after).order_by("seq")]


def test_a_rotation_keyd_numbered_otherwise_still_leaves_an_entry_for_the_epoch_it_made(
    own_shares: list[str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ring = instance.keyring()
    real_rotate = ring.rotate

    def concurrent_rotation() -> int:
        real_rotate()  # another process's rotation, between this one's read and its request
        return real_rotate()

    monkeypatch.setattr(ring, "rotate", concurrent_rotation)
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError, match="made epoch 3, not 2"):
        epochs.rotate()
    assert [e.version for e in ring.epochs()] == [1, 2, 3]
    made = [d for action, d in _entries(before) if action == InstanceAudit.EPOCH_ROTATE.value]
    assert made and made[-1] is not None and made[-1]["epoch"] == 3


def test_a_destroy_whose_reply_was_lost_keeps_its_entry(
    own_shares: list[str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ring = instance.keyring()
    ring.rotate()
    ring.retire_epoch(1)
    real_destroy = ring.destroy_epoch

    def destroyed_then_no_reply(version: int) -> Any:
        real_destroy(version)
        raise KeyServiceUnavailable("no reply from the key service: timed out")

    monkeypatch.setattr(ring, "destroy_epoch", destroyed_then_no_reply)
    before = AuditEntry.objects.count()
    with pytest.raises(KeyServiceUnavailable):
        epochs.purge(0)
    assert [e.version for e in ring.epochs()] == [2]
    assert [a for a, _ in _entries(before)] == [InstanceAudit.EPOCH_DESTROY.value]


def test_a_destroy_keyd_refuses_takes_its_entry_back(
    own_shares: list[str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ring = instance.keyring()
    call_command("rotate", stdout=io.StringIO())
    ring.retire_epoch(1)

    def refused(version: int) -> Any:
        raise RuntimeError("refused")

    monkeypatch.setattr(ring, "destroy_epoch", refused)
    before = AuditEntry.objects.count()
    with pytest.raises(RuntimeError):
        epochs.purge(0)
    assert AuditEntry.objects.count() == before
