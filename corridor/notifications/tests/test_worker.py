"""`corridor worker` as a real process, killed with SIGKILL mid-send: no alert is lost, and the
only repeat is the message the server had already taken, sent again with its Message-ID.

The instance lives in a temporary directory of its own (SQLite), so the subprocesses and this
test share its database; the SMTP server is the session's loopback one.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from corridor.notifications.tests.smtp import LoopbackSMTP
from tests.serving import ROOT, corridor

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("notifications-worker")]

PEOPLE = 12

SEED = f"""
from corridor.accounts.models import User
from corridor.notifications.api import Kind, notify
from corridor.notifications.models import Preference
users = []
for i in range({PEOPLE}):
    user = User.objects.create(username=f"duty{{i}}")
    preference = Preference(user=user)
    preference.set_email(f"duty{{i}}@example.org")
    preference.save()
    users.append(user)
notify(users, Kind.INTAKE_EMERGENCY)
"""


@pytest.fixture
def instance(smtp_server: LoopbackSMTP) -> dict[str, str]:
    data_dir = tempfile.mkdtemp(prefix="corridor-worker-")
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("CORRIDOR_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        {
            "CORRIDOR_DATA_DIR": data_dir,
            "CORRIDOR_INSECURE_HTTP": "1",
            "DJANGO_SETTINGS_MODULE": "corridor.settings",
            "CORRIDOR_BASE_URL": "https://corridor.example",
            # These tests count the one alert's e-mails; from 07:00 UTC the worker's scheduler
            # would also send each person their daily summary (the tests failed after 07:00).
            "CORRIDOR_NOTIFY_SUMMARY_HOUR": "off",
            **smtp_server.environment(),
        }
    )
    migrate = corridor(env, "migrate", "--noinput", "-v", "0")
    assert migrate.returncode == 0, migrate.stderr
    seed = corridor(env, "shell", "-c", SEED)
    assert seed.returncode == 0, seed.stderr
    smtp_server.mailbox.received = []
    return env


def _states(env: dict[str, str]) -> dict[str, int]:
    with sqlite3.connect(Path(env["CORRIDOR_DATA_DIR"]) / "db.sqlite3") as db:
        return dict(db.execute("select state, count(*) from notifications_delivery group by state").fetchall())


def _worker(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "corridor.cli", "worker", "--tick", "0.2", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_worker_killed_mid_send_loses_nothing_and_repeats_only_with_the_same_message_id(
    instance: dict[str, str], smtp_server: LoopbackSMTP
) -> None:
    mailbox = smtp_server.mailbox
    assert _states(instance) == {"queued": PEOPLE}
    mailbox.delay = 0.3  # each message is held before the server answers 250
    first = _worker(instance, "--lease", "3")
    try:
        received = mailbox.wait_for(4, timeout=60)
        assert len(received) >= 4
        # The fourth message is in the server (or on its way) and unanswered: kill now.
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    mailbox.delay = 0.0
    at_kill = len(mailbox.received)
    states = _states(instance)
    assert states.get("sending", 0) > 0 and states.get("sent", 0) < PEOPLE  # the dead worker held rows
    assert sum(states.values()) == PEOPLE

    second = _worker(instance, "--lease", "3")
    try:
        deadline = time.monotonic() + 60
        while _states(instance).get("sent", 0) < PEOPLE and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=20)
    assert second.returncode == 0
    assert _states(instance) == {"sent": PEOPLE}

    by_person = Counter(address for item in mailbox.received for address in item.rcpt_tos)
    assert sorted(by_person) == sorted(f"duty{i}@example.org" for i in range(PEOPLE))  # nobody missed
    ids = Counter(item.message_id for item in mailbox.received)
    assert len(ids) == PEOPLE  # one message each: a repeat carries the same Message-ID
    repeats = {message_id: n for message_id, n in ids.items() if n > 1}
    # Only what the server had taken before the kill can come again, and at most once.
    assert all(n == 2 for n in repeats.values())
    assert len(repeats) <= 1
    assert len(mailbox.received) in (PEOPLE, PEOPLE + 1)
    assert at_kill <= PEOPLE


def test_a_worker_stops_cleanly_on_sigterm_and_sends_everything_first(
    instance: dict[str, str], smtp_server: LoopbackSMTP
) -> None:
    worker = _worker(instance)
    try:
        received = smtp_server.mailbox.wait_for(PEOPLE, timeout=60)
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0, output
    assert len(received) == PEOPLE
    assert _states(instance) == {"sent": PEOPLE}
    assert "example.org" not in output  # the worker's log names no address
