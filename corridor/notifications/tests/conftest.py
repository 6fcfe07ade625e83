"""Fixtures for the notification tests: a real SMTP server on loopback, shared by the session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from corridor.notifications.tests.smtp import ALL_RECEIVED, PLANTED, LoopbackSMTP, Mailbox, leaks

BASE_URL = "https://corridor.example"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[LoopbackSMTP]:
    server = LoopbackSMTP().start()
    yield server
    server.stop()
    # The scan of every message sent during the run (issue 14): no planted name, place or text.
    assert leaks(ALL_RECEIVED, PLANTED) == [], "a mail carried a planted name, place or request text"


@pytest.fixture
def smtp(smtp_server: LoopbackSMTP, settings: Any) -> Mailbox:
    """Mail goes to the loopback server for this test; its mailbox starts empty."""
    for name, value in smtp_server.settings().items():
        setattr(settings, name, value)
    settings.BASE_URL, settings.BASE_URL_CONFIGURED = BASE_URL, True
    smtp_server.mailbox.received = []
    smtp_server.mailbox.delay = 0.0
    return smtp_server.mailbox
