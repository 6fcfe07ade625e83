"""Shared helpers for the intake tests: a filled-in help form and the way a person posts it."""

from __future__ import annotations

import re
import time
from typing import Any

from django.test import Client

from corridor.intake import formtoken

HELP = "/help/"
RETURN = "/help/return/"
SEND = "/help/return/send/"
# Strings planted in submissions; none may appear anywhere at rest.
SECRET_STORY = "Меня держали в подвале на улице Садовой 17"
SECRET_PLACE = "Грозный, у тёти Мадины"
SECRET_CONTACT = "signal +7 928 555 01 23"


def answers(**overrides: str) -> dict[str, Any]:
    data = {
        "token": formtoken.issue(now=time.time() - 30),
        "q_what_happened": SECRET_STORY,
        "q_where": SECRET_PLACE,
        "q_safe_now": "no",
        "q_contact": SECRET_CONTACT,
    }
    data.update(overrides)
    return data


def submit(client: Client | None = None, **overrides: Any) -> tuple[Any, str | None]:
    """Post the help form; return the response and the codename shown (None if refused)."""
    client = client or Client(REMOTE_ADDR="198.51.100.9")
    response = client.post(HELP, answers(**overrides))
    return response, passphrase_in(response)


def passphrase_in(response: Any) -> str | None:
    html = response.content.decode()
    block = re.search(r'<ol class="codename"[^>]*>(.*?)</ol>', html, re.S)
    if block is None:
        return None
    return " ".join(re.findall(r"<strong>(.*?)</strong>", block.group(1)))
