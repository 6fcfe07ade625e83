"""A real SMTP server on loopback (aiosmtpd) for the notification tests and the bench.

Every message it receives is kept, for the test that sent it and for the session-wide scan
(conftest.py) that no message sent during the run holds a planted name, place or request text.
"""

from __future__ import annotations

import email
import email.policy
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content()).replace("\r\n", "\n")


# Every message received in this test process, and the strings no message may contain; the
# session fixture in conftest.py checks them against each other when the run ends.
ALL_RECEIVED: list[Received] = []
PLANTED: set[str] = set()


def leaks(items: list[Received], planted: set[str] | None = None) -> list[str]:
    """Planted strings found in any message: raw bytes, and the decoded subject and body."""
    found = []
    for item in items:
        texts = [item.raw.decode("utf-8", "replace"), item.subject, item.body]
        haystack = "\n".join(texts).lower()
        found += [secret for secret in sorted(planted if planted is not None else PLANTED) if secret.lower() in haystack]
    return found


@dataclass
class Mailbox:
    """What the server received, in order; `delay` holds each DATA answer back (kill -9 tests)."""

    received: list[Received] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address.startswith("refused"):
            return f"550 5.1.1 <{address}>: no such mailbox"  # echoes the address, as real servers do
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            item = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
            self.received.append(item)
            ALL_RECEIVED.append(item)
        if self.delay:
            time.sleep(self.delay)  # blocks the server's loop on purpose: the client waits for 250
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [item for item in self.received if address in item.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self.lock:
            return list(self.received)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoopbackSMTP:
    """The server and its mailbox; `start()` listens on 127.0.0.1 at a free port."""

    def __init__(self) -> None:
        # aiosmtpd logs every command with its addresses at INFO: noise here, and a cost in the bench.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> LoopbackSMTP:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def settings(self) -> dict[str, Any]:
        """Django settings that send here (plain SMTP on loopback, no TLS, no login)."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
        }

    def environment(self) -> dict[str, str]:
        """The same for a `corridor` subprocess."""
        return {"CORRIDOR_SMTP_HOST": "127.0.0.1", "CORRIDOR_SMTP_PORT": str(self.port), "CORRIDOR_SMTP_TLS": "off"}
