"""Synthetic requests for help for the demo: a few waiting in triage, one of them an emergency.

Each goes through the intake's own door (corridor.intake.domain.requests.submit): encrypted
to the intake key on arrival, found only by its passphrase, exactly as a real request. The
passphrases are thrown away; nobody can check back as these people. The words are made up.
"""

from __future__ import annotations

import datetime
import secrets

from django.utils import translation

from corridor.intake import conf, questionnaire
from corridor.intake.domain import requests
from corridor.intake.models import IntakeRequest, this_hour

__all__ = ["REQUESTS", "populate"]

# (answers by question key, hours ago it arrived). The default questions (intake.conf).
REQUESTS: list[tuple[dict[str, str], int]] = [
    (
        {
            "what_happened": "Брата забрали вчера вечером, теперь звонят мне и спрашивают, где я живу. Я у знакомых, но они боятся.",
            "where": "Грозный",
            "safe_now": "no",
            "contact": "Signal, номер пришлю здесь",
        },
        2,
    ),
    (
        {
            "what_happened": "Родственники узнали обо мне, отец сказал вернуться домой. Я в Москве, пока в общежитии.",
            "where": "Москва",
            "safe_now": "unsure",
            "contact": "",
        },
        7,
    ),
    (
        {
            "what_happened": "I left Chechnya last year and need help with a humanitarian visa; my passport is valid.",
            "where": "Yerevan",
            "safe_now": "yes",
            "contact": "e-mail only I read",
        },
        20,
    ),
    (
        {
            "what_happened": "Нужна консультация юриста: вызывают в полицию как свидетеля, боюсь идти.",
            "where": "Нальчик",
            "safe_now": "yes",
            "contact": "",
        },
        30,
    ),
]


def _answers(raw: dict[str, str]) -> list[requests.Answer]:
    """What the request form would store: each question's Russian label, a choice by its words."""
    found = []
    with translation.override("ru"):
        for question in conf.questions():
            value = raw.get(question["key"], "")
            if value:
                choices = {choice: str(label) for choice, label in question.get("choices", [])}
                found.append(requests.Answer(question["key"], str(question["label"]), choices.get(value, value)))
    return found


def populate() -> int:
    """Submit the demo requests (none when the intake already has some); returns how many.

    Each then gets an arrival hour earlier today or yesterday, so triage shows how long it has
    waited. The intake stamps the current hour and offers no other; only the demo writes an
    earlier one, to the synthetic rows it has just made.
    """
    if IntakeRequest.objects.exists():
        return 0
    now = this_hour()
    # The demo's questions are the shipped questionnaire's (same keys): triage shows them as asked.
    version = questionnaire.live()
    for raw, hours in REQUESTS:
        nonce = secrets.token_hex(16)
        requests.submit(
            _answers(raw), None, nonce=nonce, lang="ru", urgency=requests.urgency_for(raw), questionnaire=version
        )  # the passphrase is dropped
        hour = now - datetime.timedelta(hours=hours)
        IntakeRequest.objects.filter(form_nonce=nonce).update(created_hour=hour, activity_hour=hour)
    return len(REQUESTS)
