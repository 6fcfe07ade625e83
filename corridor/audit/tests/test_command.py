"""Tests for `corridor audit verify|checkpoint` and their exit codes."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from corridor.audit import encoding, log
from corridor.audit.models import AuditEntry, Checkpoint
from corridor.audit.tests.names_for_tests import TestAudit

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_verify_ok_exits_zero_even_while_sealed(unsealed_keyring: Any, settings: Any) -> None:
    settings.AUDIT_KEY_FINGERPRINT = encoding.key_fingerprint(unsealed_keyring.signing_public_key())
    log.record(actor=None, action=TestAudit.TICK, obj=None)
    log.checkpoint()
    log.record(actor=None, action=TestAudit.TICK, obj=None)
    unsealed_keyring.seal()

    out, err = _run("verify")

    assert out == "audit log OK: 2 entries, 1 checkpoints\n"
    assert err == "1 entries after the last checkpoint are not yet covered by a signature\n"


def test_verify_failure_exits_one_and_prints_the_first_problem(sealed_keyring: Any, lift_triggers: Callable[[], Any]) -> None:
    for _ in range(3):
        log.record(actor=None, action=TestAudit.TICK, obj=None)
    with lift_triggers():
        AuditEntry.objects.filter(seq=1).delete()
    out = StringIO()

    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify", stdout=out, stderr=StringIO())

    assert exited.value.code == 1
    assert out.getvalue() == "audit log FAILED: entry 1 is missing (seq jumps from 0 to 2)\n"


def test_checkpoint_signs_now(unsealed_keyring: Any) -> None:
    log.record(actor=None, action=TestAudit.TICK, obj=None)

    out, _err = _run("checkpoint")

    assert out.startswith("checkpoint at size 1: root ")
    assert list(Checkpoint.objects.values_list("tree_size", flat=True)) == [1]


def test_checkpoint_while_sealed_exits_one(sealed_keyring: Any) -> None:
    with pytest.raises(CommandError, match="sealed") as failed:
        _run("checkpoint")

    assert failed.value.returncode == 1
    assert Checkpoint.objects.count() == 0


def test_a_subcommand_is_required() -> None:
    with pytest.raises(CommandError):
        _run()
