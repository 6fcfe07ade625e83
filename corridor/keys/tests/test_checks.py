"""`corridor check --deploy` refuses an instance without its key pins (errors, not hints)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core import checks
from django.core.checks.registry import registry

from corridor.keys import keystore, treehead
from corridor.keys.checks import pins


def _ids(found: list[checks.CheckMessage]) -> list[tuple[str | None, int]]:
    return [(message.id, message.level) for message in found]


def _pins_of(data_dir: Path) -> tuple[str, str]:
    store = keystore.load(data_dir)
    assert store is not None
    return treehead.fingerprint(store.signing_public_key), store.intake_recipient


def test_the_pin_check_runs_with_deploy_checks_only() -> None:
    assert pins in registry.get_checks(include_deployment_checks=True)
    assert pins not in registry.get_checks(include_deployment_checks=False)


def test_missing_pins_are_errors(settings: Any) -> None:
    settings.AUDIT_KEY_FINGERPRINT = None
    settings.INTAKE_RECIPIENT = ""

    assert _ids(pins()) == [("keys.E003", checks.ERROR), ("keys.E004", checks.ERROR)]


def test_malformed_pins_are_errors(settings: Any) -> None:
    fingerprint, recipient = _pins_of(Path(settings.DATA_DIR))
    settings.AUDIT_KEY_FINGERPRINT = fingerprint.upper()
    settings.INTAKE_RECIPIENT = recipient[:-1]

    assert _ids(pins()) == [("keys.E003", checks.ERROR), ("keys.E004", checks.ERROR)]


def test_pins_of_another_instance_are_errors(settings: Any, tmp_path: Path) -> None:
    from corridor.keys.service import initialize

    initialize(tmp_path / "other", 3, 2)
    settings.AUDIT_KEY_FINGERPRINT, settings.INTAKE_RECIPIENT = _pins_of(tmp_path / "other")

    assert _ids(pins()) == [("keys.E005", checks.ERROR), ("keys.E006", checks.ERROR)]


def test_this_instances_pins_pass(settings: Any) -> None:
    settings.AUDIT_KEY_FINGERPRINT, settings.INTAKE_RECIPIENT = _pins_of(Path(settings.DATA_DIR))

    assert pins() == []
