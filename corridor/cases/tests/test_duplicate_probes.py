"""The duplicate check asks about the whole organisation, so it leaves a trace, is limited
per user, and never tells the prober about someone in a case they cannot see."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from corridor.accounts import domain as accounts
from corridor.accounts.models import Role
from corridor.accounts.testing import World, make_world, sign_in
from corridor.audit.models import AuditEntry
from corridor.cases import domain
from corridor.cases.domain import duplicates
from corridor.cases.models import DuplicateCheckCounter, DuplicateReview, Person

pytestmark = pytest.mark.django_db

API = "/api/v1"
HIDDEN_NAME = "Ахмед Planted-Probe"
HIDDEN_PHONE = "+7 928 555 66 77"


@pytest.fixture
def world() -> World:
    world = make_world()
    person, case = domain.create_person_with_case(
        world.outsider,
        team=world.team_b,
        names=[{"name": HIDDEN_NAME, "kind": "legal"}],
        birth_date=datetime.date(1990, 3, 1),
        contacts=[{"kind": "phone", "value": HIDDEN_PHONE}],
    )
    world.extra["hidden"], world.extra["case_b"] = person, case
    return world


def _form(world: World, **overrides: Any) -> dict[str, Any]:
    data = {
        "name_0": "Someone New",
        "name_kind_0": "legal",
        "birth_precision": "exact",
        "birth_date": "",
        "birth_year": "",
        "documents_held": "none",
        "passport_expiry": "",
        "location": "",
        "languages": "",
        "priority": "normal",
        "team": str(world.team_a.pk),
    }
    return data | overrides


def _probes(actor: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(actor_id=actor.pk, action__startswith="person.duplicate_check").order_by("seq"))


def test_every_check_is_audited_with_who_and_nothing_of_what(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    domain.find_duplicates(worker, names=[HIDDEN_NAME], birth_year=1990, phones=[HIDDEN_PHONE])
    domain.find_duplicates(worker, names=["Nobody"], birth_year=None, phones=[])
    entries = _probes(worker)
    assert [(e.action, e.object_type, e.object_id) for e in entries] == [
        ("person.duplicate_check", "", ""),
        ("person.duplicate_check", "", ""),
    ]
    stored = json.dumps([[e.action, e.object_type, e.object_id, str(e.details)] for e in entries])
    for typed in ("Planted", "Ахмед", "928", "1990", "Nobody"):
        assert typed not in stored


def test_a_hidden_match_goes_to_the_admins_not_to_the_prober(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    hidden = world.extra["hidden"]
    found = domain.find_duplicates(worker, names=[HIDDEN_NAME], birth_year=1990, phones=[])
    assert found == []
    # Asking again does not pile up reviews; each check is still audited.
    domain.find_duplicates(worker, names=[], birth_year=None, phones=[HIDDEN_PHONE])
    assert list(DuplicateReview.objects.values_list("user", "person", "reviewed")) == [(worker.pk, hidden.pk, None)]
    assert len(_probes(worker)) == 2
    admin = sign_in(Client(), world.users[Role.ADMIN])
    dashboard = admin.get(reverse("web:dashboard")).content.decode()
    assert dashboard.count('id="duplicate-alert"') == 1
    assert "Planted" not in dashboard
    page = admin.get(reverse("cases:break_glass_review")).content.decode()
    assert page.count(world.extra["case_b"].reference) == 1
    assert worker.username in page
    assert "Planted" not in page and hidden.codename not in page
    review = DuplicateReview.objects.get()
    assert admin.post(reverse("cases:duplicate_reviewed", args=[review.pk])).status_code == 302
    assert DuplicateReview.objects.get().reviewed is not None
    # Only admins review.
    assert sign_in(Client(), worker).post(reverse("cases:duplicate_reviewed", args=[review.pk])).status_code == 404


@override_settings(DUPLICATE_CHECKS_PER_HOUR=2)
def test_checks_are_limited_per_user_with_a_clear_message(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    client = sign_in(Client(), worker)
    for n in range(2):
        assert client.post("/people/new/", _form(world, name_0=f"Person {n}")).status_code == 302
    before = Person.objects.count()
    refused = client.post("/people/new/", _form(world, name_0="Person 3"))
    assert refused.status_code == 429
    assert refused.context["form"].non_field_errors() == [
        "You have checked for possible duplicates too often. Try again in 60 minutes."
    ]
    assert Person.objects.count() == before
    # In Russian too.
    russian = sign_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), worker).post("/people/new/", _form(world, name_0="Person 4"))
    assert russian.status_code == 429
    assert "Повторите через 60 минут." in russian.content.decode()
    # The API shares the same counter (it lives in the database, for every worker process).
    token = accounts.create_api_token(worker, worker)
    api = Client().post(
        f"{API}/people/",
        json.dumps({"names": [{"name": "Person 5"}], "team": world.team_a.pk}),
        content_type="application/json",
        headers={"authorization": f"Bearer {token}"},
    )
    assert (api.status_code, api["Retry-After"]) == (429, "3600")
    assert api.json()["error"]["message"] == "You have checked for possible duplicates too often. Try again in 60 minutes."
    assert Person.objects.count() == before
    assert [e.action for e in _probes(worker)][-3:] == ["person.duplicate_check.limited"] * 3
    # Another user is not affected; the window passes.
    other = sign_in(Client(), world.users[Role.HOTLINE])
    assert other.post("/people/new/", _form(world, name_0="Person 6")).status_code == 302
    DuplicateCheckCounter.objects.filter(user=worker).update(window_started=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    assert client.post("/people/new/", _form(world, name_0="Person 7")).status_code == 302


def test_a_hidden_match_takes_as_long_as_no_match(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hidden match costs a few more queries (about 3 ms measured: visibility, the review), which
    a prober could time; every check answers no sooner than the floor, whatever it found."""
    worker = world.users[Role.CASEWORKER]
    clock = {"now": 1000.0}
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        clock["now"] += seconds

    monkeypatch.setattr(duplicates.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(duplicates.time, "sleep", sleep)
    real_lookup = duplicates.keys.lookup

    def slow_lookup(*args: Any, **kwargs: Any) -> Any:
        clock["now"] += 0.01  # each index lookup "takes" 10 ms
        return real_lookup(*args, **kwargs)

    monkeypatch.setattr(duplicates.keys, "lookup", slow_lookup)
    with override_settings(DUPLICATE_CHECK_FLOOR_SECONDS=0.25):
        start = clock["now"]
        assert domain.find_duplicates(worker, names=[HIDDEN_NAME], birth_year=1990, phones=[HIDDEN_PHONE]) == []
        hidden_took = clock["now"] - start
        start = clock["now"]
        assert domain.find_duplicates(worker, names=["Nobody Atall"], birth_year=1990, phones=["+7 900 111 22 33"]) == []
        none_took = clock["now"] - start
    assert (round(hidden_took, 6), round(none_took, 6)) == (0.25, 0.25)
    assert slept == [0.23, 0.23]


def test_people_search_runs_the_same_queries_for_a_hidden_match_as_for_none(world: World) -> None:
    """People search is the other door to the same question, and is not limited: when the index
    found someone the user cannot see, it asked the database once more (about 1.5 ms measured),
    which a prober could time. The same statements run whether a hidden person matched or not."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    worker = world.users[Role.CASEWORKER]
    statements: dict[str, list[str]] = {}
    for label, query in (
        ("hidden", HIDDEN_PHONE),
        ("none", "+7 928 555 00 11"),
        ("hidden name", HIDDEN_NAME),
        ("no name", "Никто Нигде"),
    ):
        with CaptureQueriesContext(connection) as captured:
            assert domain.search_people(worker, query) == []
        # What each statement does and to which tables, without the values.
        statements[label] = [
            " ".join([q["sql"].split()[0], *re.findall(r'(?:FROM|INTO|JOIN) "(\w+)"', q["sql"])])
            for q in captured.captured_queries
        ]
    assert statements["hidden"] == statements["none"]
    assert statements["hidden name"] == statements["no name"]
    assert any("cases_person" in statement for statement in statements["none"])
