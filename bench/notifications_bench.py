"""Alerts for 10,000 events: queued through notify() (each an emergency to its own staff member,
so each is one message), then sent by the outbox through a real SMTP server on loopback
(aiosmtpd, as in the tests). Reports events queued per second and messages sent per second.

Bounded: a fixed number of events and a deadline for sending; loopback only.
"""

from __future__ import annotations

import time
from typing import Any

EVENTS = 10_000
SEND_DEADLINE_SECONDS = 600


def run() -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.auth.hashers import make_password

    from corridor.accounts.models import User
    from corridor.notifications import delivery
    from corridor.notifications.api import Kind, notify
    from corridor.notifications.delivery_models import Delivery, DeliveryState
    from corridor.notifications.models import Preference
    from corridor.notifications.tests.smtp import LoopbackSMTP

    server = LoopbackSMTP().start()
    for name, value in server.settings().items():
        setattr(settings, name, value)
    settings.BASE_URL, settings.BASE_URL_CONFIGURED = "https://corridor.example", True
    try:
        unusable = make_password(None)
        User.objects.bulk_create([User(username=f"bench-duty-{i}", password=unusable) for i in range(EVENTS)], batch_size=1000)
        users = list(User.objects.filter(username__startswith="bench-duty-").order_by("pk"))
        preferences = []
        for user in users:
            preference = Preference(user=user)
            preference.set_email(f"{user.username}@example.org")
            preferences.append(preference)
        Preference.objects.bulk_create(preferences, batch_size=1000)

        started = time.perf_counter()
        for user in users:
            notify([user], Kind.INTAKE_EMERGENCY, link="/triage/bench/")
        queue_seconds = time.perf_counter() - started
        queued = Delivery.objects.filter(state=DeliveryState.QUEUED).count()

        started = time.perf_counter()
        sent = 0
        deadline = started + SEND_DEADLINE_SECONDS
        while time.perf_counter() < deadline:
            done = delivery.send_due()
            sent += done
            if done == 0:
                break
        send_seconds = time.perf_counter() - started
        received = len(server.mailbox.received)
        unsent = Delivery.objects.exclude(state=DeliveryState.SENT).count()
    finally:
        server.stop()
    return {
        "events": EVENTS,
        "deliveries_queued": queued,
        "queue_events_per_second": round(EVENTS / queue_seconds, 1),
        "messages_sent": sent,
        "messages_received_by_server": received,
        "deliveries_not_sent": unsent,
        "send_messages_per_second": round(sent / send_seconds, 1) if send_seconds else None,
        "send_seconds": round(send_seconds, 1),
        "note": "one SMTP connection per claim of up to 200 messages; aiosmtpd on 127.0.0.1 in the same process",
    }
