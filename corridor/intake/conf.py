"""The intake's settings, each with its default: one place that reads them.

Organisations set these in corridor/settings.py (from the environment); nothing else in
the app reads `settings.INTAKE_*` directly.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from corridor.keys import api as keys_api

# The questions the demo's requests answer (the keys of the shipped questionnaire). The public
# page no longer reads these: it asks the live questionnaire version that admins edit and a
# second admin approves (questionnaire.py, domain/questionnaires.py; issue 18).
# INTAKE_QUESTIONS: a list of dicts with "key", "label" (a string, or {"ru": ..., "en": ...}),
# "kind" (text, line or choice), "required", optional "help", "choices" [(value, label)] and
# "urgency" {choice value: "emergency" | "unsure"}.
DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    {"key": "what_happened", "label": _("What happened? How can we help?"), "kind": "text", "required": True},
    {
        "key": "where",
        "label": _("Where are you now?"),
        "help": _("A city or a region is enough. Do not give an exact address here."),
        "kind": "line",
        "required": False,
    },
    {
        "key": "safe_now",
        "label": _("Are you safe right now?"),
        "kind": "choice",
        "required": True,
        "choices": [("yes", _("Yes")), ("no", _("No")), ("unsure", _("I am not sure"))],
        "urgency": {"no": "emergency", "unsure": "unsure"},
    },
    {
        "key": "contact",
        "label": _("How can we reach you safely?"),
        "help": _(
            "For example a Signal number or an e-mail address that only you read. Leave it empty to talk only through this page."
        ),
        "kind": "line",
        "required": False,
    },
]


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def path() -> str:
    value = str(_get("INTAKE_PATH", "help/")).strip("/")
    return f"{value}/" if value else ""


def organisation_name() -> str:
    return str(_get("INTAKE_ORGANISATION_NAME", "") or _get("ORGANISATION_NAME", "Corridor"))


def questions() -> list[dict[str, Any]]:
    return list(_get("INTAKE_QUESTIONS", None) or DEFAULT_QUESTIONS)


def default_language() -> str:
    return str(_get("INTAKE_DEFAULT_LANGUAGE", "ru"))


def kdf_params() -> keys_api.Argon2Params:
    if _get("INTAKE_INSECURE_FAST_KDF", False):
        return keys_api.INSECURE_FAST
    return keys_api.OWASP_MINIMUM


def passphrase_pool_size() -> int:
    """Passphrases each web worker derives ahead of time while idle (corridor/intake/pool.py); 0: none."""
    return max(0, int(_get("INTAKE_PASSPHRASE_POOL", 8)))


def passphrase_pool_max_age() -> float:
    """Seconds a pooled passphrase is kept before it is thrown away and another derived."""
    return float(_get("INTAKE_PASSPHRASE_POOL_MAX_AGE", 600))


def passphrase_words() -> int:
    """Words in a person's passphrase (the setting keeps the name the pages use: codename)."""
    return int(_get("INTAKE_CODENAME_WORDS", 8))


def min_fill_seconds() -> float:
    return float(_get("INTAKE_MIN_FILL_SECONDS", 3))


def form_max_age_seconds() -> int:
    return int(_get("INTAKE_FORM_MAX_AGE_SECONDS", 6 * 3600))


def lookup_floor_seconds() -> float:
    return float(_get("INTAKE_LOOKUP_FLOOR_SECONDS", 0.25))


def max_file_bytes() -> int:
    return int(_get("INTAKE_MAX_FILE_BYTES", 10 * 1024 * 1024))


def max_text_chars() -> int:
    return int(_get("INTAKE_MAX_TEXT_CHARS", 20_000))


def rate(name: str) -> int:
    """Per-hour limits; 0 switches one off (e.g. per-address limits behind an onion service)."""
    defaults = {
        "submit_global": 600,
        "submit_address": 20,
        "login_global": 3000,
        "login_address": 60,
        "message_codename": 30,
    }
    overrides = _get("INTAKE_RATE_LIMITS", {}) or {}
    return int(overrides.get(name, defaults[name]))


def held_max() -> int:
    """How many held requests (accepted past a rate limit) may wait at once; 0 holds none."""
    return int(_get("INTAKE_HELD_MAX", 2000))


def purge_days() -> tuple[int, int]:
    """(spam, unanswered): days after the last activity before a request is deleted."""
    return int(_get("INTAKE_PURGE_SPAM_DAYS", 7)), int(_get("INTAKE_PURGE_UNANSWERED_DAYS", 60))
