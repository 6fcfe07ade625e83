"""The questionnaire a new instance starts with (issue 18, item 5), in Russian and English.

Migration 0004 makes it the approved version 1; the public page also falls back to it when no
version is live (a database emptied by hand, a test that flushed it), so the door never opens
without questions. Plain data: changing it here changes new instances only.
"""

from __future__ import annotations

from typing import Any

QUESTIONS: list[dict[str, Any]] = [
    {"key": "now", "kind": "section", "wording": {"en": {"label": "Right now"}, "ru": {"label": "Сейчас"}}},
    {
        "key": "safe_now",
        "kind": "yesno",
        "required": True,
        "summary": True,
        "emergency_values": ["no"],
        "unsure_values": ["unsure"],
        "wording": {"en": {"label": "Are you safe right now?"}, "ru": {"label": "Вы сейчас в безопасности?"}},
    },
    {
        "key": "held_now",
        "kind": "yesno",
        "summary": True,
        "emergency_values": ["yes"],
        "unsure_values": ["unsure"],
        "wording": {
            "en": {
                "label": "Are you being held right now?",
                "help": "Detained, locked up, or not allowed to leave by anyone, including your family.",
            },
            "ru": {
                "label": "Вас сейчас где-то удерживают?",
                "help": "Задержали, заперли или не дают уйти — кто угодно, в том числе родственники.",
            },
        },
    },
    {
        "key": "held_by",
        "kind": "short",
        "summary": True,
        "condition_key": "held_now",
        "condition_values": ["yes", "unsure"],
        "wording": {
            "en": {"label": "Who is holding you, if you know?", "help": "Police, another agency, relatives, someone else."},
            "ru": {
                "label": "Кто вас удерживает, если вы знаете?",
                "help": "Полиция, другое ведомство, родственники, кто-то ещё.",
            },
        },
    },
    {
        "key": "where",
        "kind": "short",
        "summary": True,
        "maps_to": "person.location",
        "wording": {
            "en": {"label": "Where are you now?", "help": "A city or a region is enough. Do not give an exact address here."},
            "ru": {"label": "Где вы сейчас?", "help": "Достаточно города или региона. Не пишите здесь точный адрес."},
        },
    },
    {"key": "story", "kind": "section", "wording": {"en": {"label": "What happened"}, "ru": {"label": "Что случилось"}}},
    {
        "key": "what_happened",
        "kind": "long",
        "required": True,
        "maps_to": "case.summary",
        "wording": {"en": {"label": "What happened? How can we help?"}, "ru": {"label": "Что случилось? Чем мы можем помочь?"}},
    },
    {
        "key": "documents",
        "kind": "multiple",
        "wording": {"en": {"label": "Which documents do you have with you?"}, "ru": {"label": "Какие документы у вас с собой?"}},
        "choices": [
            {"value": "internal", "labels": {"en": "Internal passport", "ru": "Внутренний паспорт"}},
            {"value": "international", "labels": {"en": "International passport", "ru": "Загранпаспорт"}},
            {"value": "other", "labels": {"en": "Another document", "ru": "Другой документ"}},
            {"value": "none", "labels": {"en": "None", "ru": "Никаких"}},
        ],
    },
    {
        "key": "can_travel",
        "kind": "yesno",
        "wording": {
            "en": {"label": "Could you travel to another city or country if needed?"},
            "ru": {"label": "Сможете ли вы при необходимости поехать в другой город или страну?"},
        },
    },
    {"key": "reach", "kind": "section", "wording": {"en": {"label": "Staying in touch"}, "ru": {"label": "Связь"}}},
    {
        "key": "referred_by",
        "kind": "short",
        "wording": {
            "en": {"label": "Who told you about us?", "help": "A first name, an organisation or a channel is enough."},
            "ru": {"label": "Кто рассказал вам о нас?", "help": "Достаточно имени, организации или канала."},
        },
    },
    {
        "key": "contact",
        "kind": "short",
        "maps_to": "person.contact",
        "wording": {
            "en": {
                "label": "How can we reach you safely?",
                "help": "For example a Signal number or an e-mail address that only you read. "
                "Leave it empty to talk only through this page.",
            },
            "ru": {
                "label": "Как с вами безопасно связаться?",
                "help": "Например, номер в Signal или адрес почты, который читаете только вы. "
                "Оставьте пустым, чтобы общаться только через эту страницу.",
            },
        },
    },
]
