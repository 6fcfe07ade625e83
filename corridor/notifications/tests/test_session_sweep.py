"""The scheduler drops expired session rows (clearsessions, which nothing ran before)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from corridor.accounts.session_store import HashedSession, SessionStore, stored_key
from corridor.notifications import jobs

pytestmark = pytest.mark.django_db


def test_the_job_drops_expired_sessions_and_keeps_live_ones() -> None:
    job = {job.name: job for job in jobs.registered()}["accounts.expired_sessions"]
    assert job.every_seconds <= 3600
    live, old = SessionStore(), SessionStore()
    live["x"], old["x"] = 1, 2
    live.create()
    old.create()
    assert old.session_key is not None
    HashedSession.objects.filter(session_key=stored_key(old.session_key)).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert HashedSession.objects.count() == 2
    job.fn()
    assert HashedSession.objects.count() == 1
    assert SessionStore(live.session_key).load() == {"x": 1}
