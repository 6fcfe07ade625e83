"""Deployment check: the fast, insecure passphrase KDF must never reach production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def insecure_kdf(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "INTAKE_INSECURE_FAST_KDF", False):
        return [
            checks.Error(
                "INTAKE_INSECURE_FAST_KDF is on: passphrase hashes would be cheap to compute.",
                hint="It belongs in corridor/settings_test.py only.",
                id="intake.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def proxies_listed(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Per-source limits need the real client address: a proxy that is not listed makes
    every visitor one source, and 20 junk requests would hold everybody's."""
    found: list[checks.CheckMessage] = []
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None) and not getattr(settings, "TRUSTED_PROXIES", []):
        found.append(
            checks.Warning(
                "CORRIDOR_BEHIND_PROXY is on but CORRIDOR_TRUSTED_PROXIES lists no proxy: every visitor is counted as the proxy.",
                hint="Set CORRIDOR_TRUSTED_PROXIES to the proxy's address, e.g. 127.0.0.1 (see docs/operators/deploy.md).",
                id="intake.W001",
            )
        )
    from django.db import DatabaseError

    from corridor.intake import ratelimit

    try:
        seen = ratelimit.unlisted_proxy_seen()
    except DatabaseError:  # not migrated yet: nothing can have been seen
        seen = False
    if seen:
        found.append(
            checks.Warning(
                "Requests arrived with X-Forwarded-For from a local address that is not in CORRIDOR_TRUSTED_PROXIES "
                "(in the last 7 days): a reverse proxy is not listed.",
                hint="Add the proxy's address to CORRIDOR_TRUSTED_PROXIES; the warning ends 7 days after the last such request.",
                id="intake.W002",
            )
        )
    return found
