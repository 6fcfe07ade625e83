"""The seizure test through every door of the API (Invariant 1): the operations are discovered
from the OpenAPI schema, a unique marker is planted in every writable string field of every
request body, and every byte at rest is scanned for the markers.

A new operation or a new free-text field is planted without anyone writing a line here; a
field that is kept in clear on purpose must be named in CLEAR_BY_DESIGN with its reason.
Found by this test: the person's `region` was stored in clear through the API whatever the
organisation had chosen (the person form withheld it).
"""

from __future__ import annotations

import datetime
import importlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.test import Client
from django.utils import timezone

from corridor.accounts.models import ApiToken, Role, Team
from corridor.accounts.testing import make_staff
from corridor.relocation.models import Programme
from tests.seizure import captured_logs, scan_at_rest, token

pytestmark = [pytest.mark.django_db(transaction=True)]

WRITES = ("post", "put", "patch")
# Fields stored in clear on purpose, by "METHOD path field" prefix, each with its reason.
CLEAR_BY_DESIGN = {
    "POST /api/v1/relocation/programmes/ ": "public facts about a visa programme, nothing about a person",
    "PATCH /api/v1/relocation/programmes/{id}/ ": "public facts about a visa programme, nothing about a person",
    "POST /api/v1/safe-houses/ .label": "the neutral name staff call a house by, shown in lists; never its address",
    "POST /api/v1/documentation/vocabulary/ ": "the words of a controlled vocabulary (types of act, methods), nobody's data",
    "PATCH /api/v1/documentation/vocabulary/{id}/ ": "the words of a controlled vocabulary (types of act, methods), nobody's data",
    "POST /api/v1/statistics/reports/ ": "a statistics report's definition: its title is published with its figures "
    "(a topic, never a person); the rest are choices, months and counts",
}
# Values that must be real to be accepted; everything else is a marker.
COUNTRY = "LT"
FAMILY_COUNTRY = "DE"
# Writes are tried as these roles, in order, until one is permitted (2xx).
ROLES = (Role.CASEWORKER, Role.RELOCATION, Role.DOCUMENTATION)
# Documentation fields that must hold a real value to be accepted: codes of the vocabulary, and
# ids the walk made or that stay empty (a chain, a derivation, a parent: none needed).
DOCUMENTATION_VALUES = {"act_type": "torture", "methods": ["beating"], "parent": None, "seen": None}
DOCUMENTATION_IDS = {"victim": "people", "person": "people", "perpetrator": "perpetrators", "event": "events"}
# Operations that act on a state (end, withdraw, close, move) run after the records exist.
ACTIONS = ("/complete/", "/withdraw/", "/end/", "/close/", "/compromised/", "/transition/", "/transitions/")


def _reference_data() -> None:
    """Countries, programmes and the documentation vocabulary come from data migrations, which a
    transactional test's flush empties."""
    from corridor.documentation.models import Term

    if not Term.objects.exists():  # the vocabulary acts are recorded in
        importlib.import_module("corridor.documentation.migrations.0003_starter_vocabulary").load(django_apps, None)
    if Programme.objects.exists():
        return
    for name in ("0002_countries", "0003_starter_programmes"):
        importlib.import_module(f"corridor.relocation.migrations.{name}").load(django_apps, None)


@dataclass
class Plant:
    """The walk's state: markers planted (label -> marker), ids made, and what each write answered."""

    tag: str
    schema: dict[str, Any]
    team: Team
    ids: dict[str, Any]
    markers: dict[str, str] = field(default_factory=dict)
    clear: dict[str, str] = field(default_factory=dict)
    answers: dict[str, list[int]] = field(default_factory=dict)
    counter: Iterator[int] = field(default_factory=itertools.count)

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.schema["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        if "allOf" in schema:
            return self.resolve(schema["allOf"][0])
        return schema

    def marker(self, label: str, max_length: int | None) -> str:
        number = next(self.counter)
        value = f"Plant{number:03d}x{self.tag}"
        assert max_length is None or len(value) <= max_length, (label, max_length)
        if any(label.startswith(prefix) for prefix in CLEAR_BY_DESIGN):
            self.clear[f"{label} #{number}"] = value
        else:
            self.markers[f"{label} #{number}"] = value
        return value

    def value(self, schema: dict[str, Any], name: str, label: str, status: str | None) -> Any:
        schema = self.resolve(schema)
        if "/documentation/" in label:
            if name in DOCUMENTATION_VALUES:
                return DOCUMENTATION_VALUES[name]
            if name == "region":  # kept in clear only when the organisation chooses (off here)
                return ""
            if name == "url":
                return f"https://example.org/{self.marker(label, None)}"
            if schema.get("format") == "uuid":
                return self.ids.get(DOCUMENTATION_IDS.get(name, ""))
        if name.startswith("refusal_") and status != "refused":  # only a refusal carries its reasons
            return ""
        if "oneOf" in schema:  # a nullable enum: the first choice that is not null
            choices = [self.resolve(option) for option in schema["oneOf"]]
            schema = next(c for c in choices if c.get("enum") != [None] and c.get("type") != "null")
        today = timezone.localdate()
        if "enum" in schema:
            values = [v for v in schema["enum"] if v not in (None, "")]
            if name == "status" and status is not None:
                return status
            return values[0]
        kind, fmt = schema.get("type"), schema.get("format")
        if kind == "object" or "properties" in schema:
            return {
                key: self.value(sub, key, f"{label}.{key}", status)
                for key, sub in schema.get("properties", {}).items()
                if not self.resolve(sub).get("readOnly")
            }
        if kind == "array":
            if fmt == "uuid" or self.resolve(schema["items"]).get("format") == "uuid":
                return [self.ids["people"]] if name == "members" else []
            if name == "family_ties":
                return [FAMILY_COUNTRY]
            return [self.value(schema["items"], name, f"{label}[]", status)]
        if kind == "boolean":
            return True
        if kind == "integer":
            known = {"team": self.team.pk, "programme": self.ids["programmes"], "capacity": 3, "assignee": None, "threshold": 5}
            return known.get(name, schema.get("minimum", 1))
        if fmt == "uuid":
            if name == "case":  # a new person comes with a team (a new case) or a case: the walk sends the team
                return None
            return {"principal": self.ids["people"], "person": self.ids["people"], "safe_house": self.ids.get("safe-houses")}[
                name
            ]
        if fmt == "date":
            if name == "passport_expiry":
                return None
            if name == "birth_date":
                return "1991-05-17"
            return (today + datetime.timedelta(days=7 if name == "next_due" else 0)).isoformat()
        if name == "country":
            return COUNTRY
        if name == "source_url":
            return f"https://example.org/{self.marker(label, None)}"
        if name == "language":
            return "ru"
        return self.marker(label, schema.get("maxLength"))


def _path(plant: Plant, path: str) -> str | None:
    """The path with real ids: {case_id} is the case, {id} the record named by the segment before it."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        segment = "cases" if name == "case_id" else path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        value = plant.ids.get(segment)
        if value is None:
            raise LookupError(segment)
        return str(value)

    try:
        return re.sub(r"\{([^}]+)\}", one, path)
    except LookupError:
        return None


# Writes that take no text at all (an empty body), so there is nothing to plant through them.
NO_TEXT = {
    "/api/v1/transfer/erasures/{id}/cancel/": "cancelling an erasure request: an empty body",
    "/api/v1/transfer/referrals/{id}/cancel/": "cancelling a referral: an empty body",
    "/api/v1/statistics/reports/{id}/submit/": "submitting a report for review: an empty body",
    "/api/v1/statistics/reports/{id}/approve/": "approving a report: an empty body (and a step-up only a session has)",
    "/api/v1/statistics/reports/{id}/publish/": "publishing a report: an empty body",
    "/api/v1/transfer/referrals/{id}/approve/": "approving a referral: an empty body (and a step-up only a session has)",
    "/api/v1/transfer/referral-imports/": "a partner's bundle file (multipart), nothing typed; what a bundle carries is "
    "planted and looked for at rest by tests/test_seizure_referral.py",
    "/api/v1/transfer/referral-imports/{staged}/confirm/": "confirming a staged import: a team id",
    "/api/v1/transfer/cases/{case_id}/referrals/": "preparing a referral: a partner id, field names and document ids, "
    "no text (tests/test_seizure_referral.py plants through the referral pages on both instances)",
}


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in WRITES and path not in NO_TEXT
    ]
    assert set(NO_TEXT) <= set(schema["paths"]), "a NO_TEXT entry names no operation any more"

    def order(entry: tuple[str, str, dict[str, Any]]) -> tuple[bool, int, bool, int, str]:
        path, method, _op = entry
        # People first: a case needs its principal.
        return (any(a in path for a in ACTIONS), path.count("{"), path != "/api/v1/people/", WRITES.index(method), path)

    return sorted(found, key=order)


def _evidence(team: Team) -> Any:
    """A file kept for an event: evidence has no JSON door (files arrive through the pages), so the
    operations on it (its custody) need one made through the domain."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from corridor.documentation import domain

    officer = team.members.get(role=Role.DOCUMENTATION)
    event = domain.create_event(officer, team=team, title="seed event", start=timezone.localdate())
    return domain.add_evidence(officer, event, SimpleUploadedFile("seed.txt", b"seed\n", "text/plain")).pk


def plant_through_every_operation(clients: dict[str, Client], team: Team, schema: dict[str, Any]) -> Plant:
    programme = Programme.objects.filter(country=COUNTRY, is_open=True).order_by("pk").first()
    assert programme is not None
    plant = Plant(tag=token(), schema=schema, team=team, ids={"programmes": programme.pk, "evidence": _evidence(team)})
    pending = _operations(schema)
    while pending:
        ready = [(path, method, op, _path(plant, path)) for path, method, op in pending]
        runnable = [entry for entry in ready if entry[3] is not None]
        assert runnable, f"no record to address for {[f'{m.upper()} {p}' for p, m, _o in pending]}"
        # One at a time, in order: a write may make the record a later one addresses.
        path, method, operation, url = runnable[0]
        pending = [entry for entry in pending if entry[:2] != (path, method)]
        assert url is not None
        label = f"{method.upper()} {path}"
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        statuses = [None]
        if content is not None:
            body_schema = plant.resolve(content["schema"])
            status_field = plant.resolve(body_schema.get("properties", {}).get("status", {}))
            if "enum" in status_field:
                statuses = [v for v in status_field["enum"] if v]
        answers = plant.answers.setdefault(label, [])
        # A status field is tried with each of its values (a workflow moves on); anything else until one role may.
        for role, status in itertools.product(ROLES, statuses):
            if status is None and any(code < 300 for code in answers):
                break
            body = plant.value(content["schema"], "", f"{label} ", status) if content else {}
            if isinstance(body, dict):
                body = {key.strip(): value for key, value in body.items()}
            if path == "/api/v1/people/" and method == "post":
                body["confirm_not_duplicate"] = True
            response = getattr(clients[role], method)(url, body, content_type="application/json")
            answers.append(response.status_code)
            if response.status_code < 300:
                data = response.json()
                if method == "post" and isinstance(data, dict) and "id" in data:
                    plant.ids.setdefault(path.rstrip("/").rsplit("/", 1)[-1], data["id"])
                continue
            assert response.status_code in (400, 403, 404, 409), (label, response.status_code, response.content[:500])
    return plant


@pytest.fixture
def clients() -> tuple[dict[str, Client], Team]:
    _reference_data()
    team = Team.objects.create(name="North Caucasus")
    made = {}
    for role in ROLES:
        _record, value = ApiToken.issue(make_staff(role, teams=[team]))
        made[role] = Client(headers={"authorization": f"Bearer {value}"})
    return made, team


def test_every_writable_text_field_of_every_api_operation_leaves_nothing_at_rest(clients: tuple[dict[str, Client], Team]) -> None:
    api, team = clients
    schema = Client().get("/api/schema/", headers={"accept": "application/json"}).json()
    with captured_logs() as logs:
        plant = plant_through_every_operation(api, team, schema)

    # Every write was performed by a role permitted to: the plant was real.
    refused = {label: answers for label, answers in plant.answers.items() if not any(code < 300 for code in answers)}
    assert refused == {}
    fields = {label.rsplit(" #", 1)[0] for label in plant.markers}
    assert len(fields) >= 30 and len({label.rsplit(" ", 1)[0] for label in fields}) >= 15, sorted(fields)
    assert "django.db.backends DEBUG" in logs.getvalue()

    findings = scan_at_rest(plant.markers, extra={"captured logs": logs.getvalue().encode()})

    assert findings == []


def test_the_api_plant_finds_a_field_kept_in_clear(clients: tuple[dict[str, Client], Team]) -> None:
    """Negative control: the fields kept in clear on purpose are found by the same scan."""
    api, team = clients
    schema = Client().get("/api/schema/", headers={"accept": "application/json"}).json()
    plant = plant_through_every_operation(api, team, schema)
    label, value = next(
        (label, value) for label, value in plant.clear.items() if label.startswith("POST /api/v1/safe-houses/ .label")
    )
    findings = scan_at_rest({label: value})
    assert any(finding.startswith(f"{label} (utf-8, as typed) in ") for finding in findings), findings
