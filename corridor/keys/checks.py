"""Deployment checks: the pins of the audit signing key and the intake key must be set.

Without them a keystore swapped on disk would sign checkpoints and receive requests for
help unnoticed (Invariants 3 and 14), so `check --deploy` reports each as an error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from corridor.keys import keystore, treehead
from corridor.keys.errors import KeyringError

_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_RECIPIENT = re.compile(r"age1[02-9ac-hj-np-z]{58}")


@checks.register(checks.Tags.security, deploy=True)
def pins(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    fingerprint = getattr(settings, "AUDIT_KEY_FINGERPRINT", None) or ""
    recipient = getattr(settings, "INTAKE_RECIPIENT", None) or ""
    found: list[checks.CheckMessage] = []
    if not _FINGERPRINT.fullmatch(fingerprint):
        found.append(
            checks.Error(
                "CORRIDOR_AUDIT_KEY_FINGERPRINT is not set (or is not 64 lower-case hex digits): "
                "a swapped audit signing key would go unnoticed.",
                hint="Set it to the value `corridor init` printed (see docs/operators/deploy.md).",
                id="keys.E003",
            )
        )
    if not _RECIPIENT.fullmatch(recipient):
        found.append(
            checks.Error(
                "CORRIDOR_INTAKE_RECIPIENT is not set (or is not an age public key): "
                "a swapped intake key would receive every request for help.",
                hint="Set it to the value `corridor init` printed (see docs/operators/deploy.md).",
                id="keys.E004",
            )
        )
    if found:
        return found
    # Compare with this instance's keystore when this user can read it (under a separate
    # keyd user it cannot, and the running services compare instead).
    try:
        store = keystore.load(Path(settings.DATA_DIR))
    except (OSError, KeyringError):
        store = None
    if store is not None and treehead.fingerprint(store.signing_public_key) != fingerprint:
        found.append(checks.Error("CORRIDOR_AUDIT_KEY_FINGERPRINT is not this instance's audit signing key.", id="keys.E005"))
    if store is not None and store.intake_recipient != recipient:
        found.append(checks.Error("CORRIDOR_INTAKE_RECIPIENT is not this instance's intake key.", id="keys.E006"))
    return found
