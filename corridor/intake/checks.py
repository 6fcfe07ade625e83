"""Deployment check: the fast, insecure codename KDF must never reach production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def insecure_kdf(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "INTAKE_INSECURE_FAST_KDF", False):
        return [
            checks.Error(
                "INTAKE_INSECURE_FAST_KDF is on: codename hashes would be cheap to compute.",
                hint="It belongs in corridor/settings_test.py only.",
                id="intake.E001",
            )
        ]
    return []
