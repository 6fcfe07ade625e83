"""Intake throughput with a 20-question questionnaire against the form asked before issue 18
(four questions) and the shipped default questionnaire, as ratios measured in one run.

In process (Django's test client on the bench's fresh, unsealed instance, production settings and
KDF): one person's whole visit is timed: open the form, the first step (the server picks the
follow-ups), send. The variants are approved versions, made live in turn round by round so that
drift on a shared machine falls on all of them alike. Goal: 20 questions <= 1.2x the four.
"""

from __future__ import annotations

import re
import statistics
import time
from typing import Any
from urllib.parse import urlencode

from bench.common import percentile

ROUNDS = 4
VISITS_PER_ROUND = 12
STORY = "Бенчмарк: что случилось, где я, как со мной связаться. " * 8
_CODENAME = re.compile(r'<ol class="codename"')


def _words(en: str, ru: str) -> dict[str, dict[str, str]]:
    return {"en": {"label": en}, "ru": {"label": ru}}


def _choices(*values: str) -> list[dict[str, Any]]:
    return [{"value": v, "labels": {"en": v.title(), "ru": v.title()}} for v in values]


# The form before issue 18 (corridor/intake/conf.py DEFAULT_QUESTIONS): four questions, one step.
FOUR: list[dict[str, Any]] = [
    {"key": "what_happened", "kind": "long", "required": True, "wording": _words("What happened?", "Что случилось?")},
    {"key": "where", "kind": "short", "wording": _words("Where are you?", "Где вы?")},
    {
        "key": "safe_now",
        "kind": "yesno",
        "required": True,
        "emergency_values": ["no"],
        "wording": _words("Are you safe now?", "Вы в безопасности?"),
    },
    {"key": "contact", "kind": "short", "wording": _words("How to reach you?", "Как с вами связаться?")},
]

# Twenty questions of every kind but file (a file is the documents' sanitiser, measured elsewhere),
# two sections, one follow-up asked on the second step, emergency answers on two questions.
TWENTY: list[dict[str, Any]] = [
    {"key": "s_now", "kind": "section", "wording": _words("Right now", "Сейчас")},
    {
        "key": "safe_now",
        "kind": "yesno",
        "required": True,
        "summary": True,
        "emergency_values": ["no"],
        "wording": _words("Safe now?", "Сейчас в безопасности?"),
    },
    {"key": "held_now", "kind": "yesno", "emergency_values": ["yes"], "wording": _words("Held now?", "Вас удерживают?")},
    {
        "key": "held_by",
        "kind": "choice",
        "condition_key": "held_now",
        "condition_values": ["yes", "unsure"],
        "wording": _words("By whom?", "Кто?"),
        "choices": _choices("police", "family", "other"),
    },
    {"key": "where", "kind": "short", "maps_to": "person.location", "wording": _words("Where are you?", "Где вы?")},
    {"key": "region", "kind": "choice", "wording": _words("Region", "Регион"), "choices": _choices("north", "south", "abroad")},
    {"key": "since", "kind": "date", "wording": _words("Since when?", "С какого дня?")},
    {"key": "s_you", "kind": "section", "wording": _words("About you", "О вас")},
    {
        "key": "what_happened",
        "kind": "long",
        "required": True,
        "summary": True,
        "wording": _words("What happened?", "Что случилось?"),
    },
    {
        "key": "needs",
        "kind": "multiple",
        "wording": _words("What do you need?", "Что нужно?"),
        "choices": _choices("shelter", "lawyer", "doctor", "money"),
    },
    {
        "key": "documents",
        "kind": "multiple",
        "wording": _words("Documents", "Документы"),
        "choices": _choices("internal", "international", "none"),
    },
    {"key": "can_travel", "kind": "yesno", "wording": _words("Can you travel?", "Можете ехать?")},
    {"key": "travel_date", "kind": "date", "wording": _words("From when?", "С какого дня можете?")},
    {"key": "dependants", "kind": "short", "wording": _words("Who is with you?", "Кто с вами?")},
    {"key": "health", "kind": "long", "wording": _words("Health", "Здоровье")},
    {"key": "languages", "kind": "short", "wording": _words("Languages", "Языки")},
    {
        "key": "referred_by",
        "kind": "choice",
        "wording": _words("Who referred you?", "Кто направил?"),
        "choices": _choices("friend", "organisation", "internet"),
    },
    {"key": "threats", "kind": "yesno", "wording": _words("Threats?", "Угрозы?")},
    {"key": "threat_detail", "kind": "long", "wording": _words("Tell us about the threats", "Расскажите об угрозах")},
    {
        "key": "contact",
        "kind": "short",
        "maps_to": "person.contact",
        "wording": _words("How to reach you?", "Как с вами связаться?"),
    },
    {
        "key": "contact_time",
        "kind": "choice",
        "wording": _words("When to write?", "Когда писать?"),
        "choices": _choices("morning", "evening", "any"),
    },
    {"key": "anything_else", "kind": "long", "wording": _words("Anything else?", "Что-то ещё?")},
]

ANSWERS: dict[str, Any] = {
    "safe_now": "no", "held_now": "yes", "held_by": "police", "where": "Москва", "region": "south",
    "since": "2026-11-20", "what_happened": STORY, "needs": ["shelter", "lawyer"], "documents": ["internal"],
    "can_travel": "unsure", "travel_date": "2026-12-10", "dependants": "брат", "health": STORY[:200],
    "languages": "русский, чеченский", "referred_by": "friend", "threats": "yes", "threat_detail": STORY[:300],
    "contact": "signal", "contact_time": "evening", "anything_else": STORY[:100],
}  # fmt: skip


def _version(author: Any, approver: Any, specs: list[dict[str, Any]]) -> Any:
    """An approved version with exactly these questions, through the admins' actions."""
    from corridor.intake.domain import questionnaires

    draft = questionnaires.new_draft(author)
    # Follow-ups first: a question others depend on cannot go before them.
    for question in sorted(draft.questions.all(), key=lambda q: not q.condition_key):
        questionnaires.delete_question(author, question)
    for index, spec in enumerate(specs):
        questionnaires.save_question(author, draft, {**spec, "position": index * 10})
    questionnaires.submit_for_approval(author, draft)
    questionnaires.approve(approver, draft)
    draft.refresh_from_db()
    return draft


def _make_live(version: Any) -> None:
    # Bench only: flips which approved version is live between rounds, so the variants alternate.
    # The public page reads whichever is live; how it became live does not change the cost.
    from corridor.intake.models import QuestionnaireVersion, VersionState

    QuestionnaireVersion.objects.filter(state=VersionState.LIVE).update(state=VersionState.RETIRED)
    QuestionnaireVersion.objects.filter(pk=version.pk).update(state=VersionState.LIVE)


def _fields(version: Any) -> dict[str, Any]:
    from corridor.intake import questionnaire

    keys = {q.key for q in questionnaire.questions_of(version)}
    # The page carries the version it showed, as a browser sends it back.
    return {"questionnaire": questionnaire.version_marker(version)} | {
        f"q_{key}": value for key, value in ANSWERS.items() if key in keys
    }


Sample = tuple[float, float, float, float, float, float]  # wall: form, first step, send; then CPU: the same


def _visit(client: Any, fields: dict[str, Any], two_steps: bool) -> Sample:
    """One person: the form, the first step when the version has follow-ups, the request sent.

    Wall time and this process's CPU time: on a shared machine other runs stretch the wall
    time of whichever variant they overlap; the CPU time is the work this visit cost.
    """
    from corridor.intake import formtoken

    started, started_cpu = time.perf_counter(), time.process_time()
    page = client.get("/help/")
    opened, opened_cpu = time.perf_counter(), time.process_time()
    assert page.status_code == 200, page.status_code
    data = {"token": formtoken.issue(now=time.time() - 30), **fields}
    if two_steps:
        # As a browser sends it: the first step's form has no file, so no multipart encoding.
        step = client.post("/help/?step=1", urlencode(data, doseq=True), content_type="application/x-www-form-urlencoded")
        assert step.status_code == 200, step.status_code
    stepped, stepped_cpu = time.perf_counter(), time.process_time()
    sent = client.post("/help/", data)
    done, done_cpu = time.perf_counter(), time.process_time()
    assert sent.status_code == 200 and _CODENAME.search(sent.content.decode()), sent.status_code
    return (
        opened - started,
        stepped - opened,
        done - stepped,
        opened_cpu - started_cpu,
        stepped_cpu - opened_cpu,
        done_cpu - stepped_cpu,
    )


def _summary(samples: list[Sample], questions: int) -> dict[str, Any]:
    visits = [sum(s[:3]) for s in samples]
    return {
        "questions": questions,
        "visits": len(samples),
        "visits_per_second": round(len(visits) / sum(visits), 2),
        "median_visit_ms": round(statistics.median(visits) * 1e3, 1),
        "p95_visit_ms": round(percentile(visits, 95) * 1e3, 1),
        "median_form_ms": round(statistics.median(s[0] for s in samples) * 1e3, 1),
        "median_first_step_ms": round(statistics.median(s[1] for s in samples) * 1e3, 1),
        "median_send_ms": round(statistics.median(s[2] for s in samples) * 1e3, 1),
        "median_visit_cpu_ms": round(statistics.median(sum(s[3:]) for s in samples) * 1e3, 1),
        "median_form_cpu_ms": round(statistics.median(s[3] for s in samples) * 1e3, 1),
        "median_first_step_cpu_ms": round(statistics.median(s[4] for s in samples) * 1e3, 1),
        "median_send_cpu_ms": round(statistics.median(s[5] for s in samples) * 1e3, 1),
    }


def run(rounds: int = ROUNDS, visits: int = VISITS_PER_ROUND) -> dict[str, Any]:
    from django.test import Client, override_settings

    from corridor.accounts.domain import create_user
    from corridor.accounts.models import Role
    from corridor.intake import questionnaire
    from corridor.intake.models import QuestionKind

    author, _t = create_user(None, username="bench-intake-author", role=Role.ADMIN)
    approver, _t = create_user(None, username="bench-intake-approver", role=Role.ADMIN)
    shipped = questionnaire.live()
    variants: dict[str, Any] = {
        "four_questions": _version(author, approver, FOUR),
        "twenty_questions": _version(author, approver, TWENTY),
    }
    if shipped is not None:
        variants["shipped_default"] = shipped
    shape: dict[str, tuple[dict[str, Any], bool, int]] = {}
    for name, version in variants.items():
        asked = questionnaire.questions_of(version)
        count = sum(1 for q in asked if q.kind != QuestionKind.SECTION)
        shape[name] = (_fields(version), questionnaire.has_conditions(asked), count)
    samples: dict[str, list[Sample]] = {name: [] for name in variants}
    # The limits are what this measures around, not what it measures: switched off.
    limits = dict.fromkeys(("submit_global", "submit_address", "login_global", "login_address", "message_codename"), 0)
    # The test client asks for "testserver"; production settings allow only the configured hosts.
    with override_settings(INTAKE_RATE_LIMITS=limits, ALLOWED_HOSTS=["testserver"]):
        for number in range(rounds + 1):
            for name, version in variants.items():
                _make_live(version)
                fields, two_steps, _count = shape[name]
                client = Client(REMOTE_ADDR="198.51.100.7")
                measured = [_visit(client, fields, two_steps) for _ in range(visits if number else 2)]
                if number:  # round 0 warms every code path up and is not counted
                    samples[name].extend(measured)
    if shipped is not None:
        _make_live(shipped)
    figures: dict[str, Any] = {name: _summary(samples[name], shape[name][2]) for name in variants}

    def ratio(of: str, to: str, key: str = "median_visit_ms") -> float:
        return round(float(figures[of][key]) / float(figures[to][key]), 3)

    figures["ratio_twenty_to_four"] = ratio("twenty_questions", "four_questions")
    figures["ratio_twenty_to_four_without_sending"] = round(
        (figures["twenty_questions"]["median_form_ms"] + figures["twenty_questions"]["median_first_step_ms"])
        / max(0.001, figures["four_questions"]["median_form_ms"] + figures["four_questions"]["median_first_step_ms"]),
        3,
    )
    figures["ratio_twenty_to_four_cpu"] = ratio("twenty_questions", "four_questions", "median_visit_cpu_ms")
    figures["ratio_twenty_to_four_without_sending_cpu"] = round(
        (figures["twenty_questions"]["median_form_cpu_ms"] + figures["twenty_questions"]["median_first_step_cpu_ms"])
        / max(0.001, figures["four_questions"]["median_form_cpu_ms"] + figures["four_questions"]["median_first_step_cpu_ms"]),
        3,
    )
    if shipped is not None:
        figures["ratio_twenty_to_shipped_default"] = ratio("twenty_questions", "shipped_default")
    figures["goal"] = "ratio_twenty_to_four <= 1.2 (a visit: open the form, its first step, send; production KDF)"
    return figures
