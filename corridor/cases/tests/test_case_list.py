"""The case list at any size (issue 15): the stored urgency columns follow every change, keyset
pages neither skip nor repeat a case (ties included), the list holds exactly the visible cases,
a bad page link is the first page (never a 500), and every page view is audited with its cases.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db.models.functions import Coalesce
from django.test import Client
from django.utils import timezone

from corridor.accounts.models import Role, User
from corridor.accounts.testing import World, make_world, sign_in
from corridor.audit import log as audit
from corridor.audit.models import AuditEntry
from corridor.cases import access, domain, queries
from corridor.cases.models import CLOSED_STATUSES, NO_REVIEW, Case, Priority, Status
from corridor.cases.views import cases as case_views

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return make_world()


def _worker(world: World) -> User:
    return world.users[Role.CASEWORKER]


def _open(actor: User, team: Any, name: str, priority: str = Priority.NORMAL) -> Case:
    return domain.create_person_with_case(actor, team=team, priority=priority, names=[{"name": name, "kind": "legal"}])[1]


def _stored_matches_computed() -> None:
    """Every case's stored columns equal what they are computed from, read back from the database."""
    rows = Case.objects.annotate(
        computed_urgency=queries.urgency_rank(), computed_review=Coalesce("priority_review", NO_REVIEW)
    ).values_list("urgency", "computed_urgency", "review_order", "computed_review", "closed", "status")
    assert rows.exists()
    for urgency, computed_urgency, review, computed_review, closed, status in rows:
        assert (urgency, review, closed) == (computed_urgency, computed_review, int(status in CLOSED_STATUSES))


def test_stored_urgency_follows_every_change(world: World) -> None:
    worker = _worker(world)
    cases = {priority: _open(worker, world.team_a, f"Person {priority}", priority) for priority in Priority.values}
    _stored_matches_computed()
    assert Case.objects.get(pk=cases[Priority.EMERGENCY].pk).urgency == 0
    case = cases[Priority.NORMAL]
    domain.set_priority(worker, case, Priority.URGENT, timezone.localdate() + datetime.timedelta(days=3))
    _stored_matches_computed()
    assert Case.objects.get(pk=case.pk).urgency == 1
    domain.assess_risk(worker, case, ["being_searched"], Priority.EMERGENCY)  # a risk assessment raises it
    _stored_matches_computed()
    assert Case.objects.get(pk=case.pk).urgency == 0
    domain.transition(worker, case, Status.CLOSED, "duplicate")
    _stored_matches_computed()
    assert Case.objects.get(pk=case.pk).closed == 1
    domain.transition(worker, case, Status.ACTIVE, "reopened")
    assert Case.objects.get(pk=case.pk).closed == 0
    # Writes that bypass save() (an update, a bulk load) are kept by the database as well.
    Case.objects.filter(pk=case.pk).update(priority=Priority.NORMAL, priority_review=None, status=Status.ARRIVED)
    _stored_matches_computed()
    assert Case.objects.filter(pk=case.pk).values_list("urgency", "review_order", "closed").get() == (2, NO_REVIEW, 1)


def test_the_list_order_is_the_computed_order(world: World) -> None:
    """The stored order is the one urgency_rank gave before: rank, review date (none last), newest, id."""
    worker = _worker(world)
    for index, priority in enumerate([Priority.NORMAL, Priority.EMERGENCY, Priority.URGENT, Priority.URGENT, Priority.NORMAL]):
        case = _open(worker, world.team_a, f"Person {index}", priority)
        if index == 4:
            Case.objects.filter(pk=case.pk).update(priority_review=None)
    from django.db import models

    computed = Case.objects.annotate(rank=queries.urgency_rank()).order_by(
        "rank", models.F("priority_review").asc(nulls_last=True), "-created", "pk"
    )
    assert list(queries.by_urgency(Case.objects.all()).values_list("pk", flat=True)) == list(
        computed.values_list("pk", flat=True)
    )


def _walk(parts: list[Any], size: int) -> list[list[Any]]:
    """Every page, following the "next" positions from the first."""
    pages = [queries.case_page(parts, size=size)]
    while pages[-1].next is not None:
        position = queries.ListPosition.parse(pages[-1].next.token())  # through the link's text, as a browser sends it
        pages.append(queries.case_page(parts, size=size, after=position))
        assert len(pages) < 100
    return [page.pks for page in pages]


def test_pages_neither_skip_nor_repeat_when_urgency_ties(world: World) -> None:
    worker = _worker(world)
    made = [_open(worker, world.team_a, f"Person {n}", Priority.URGENT if n % 3 else Priority.NORMAL) for n in range(23)]
    # Ties at every level: same rank and review date, and for most of them the same second.
    same = timezone.now().replace(microsecond=0)
    Case.objects.filter(pk__in=[c.pk for c in made[:15]]).update(created=same, priority_review=timezone.localdate())
    Case.objects.filter(pk__in=[c.pk for c in made[15:18]]).update(priority_review=None)
    parts = queries.list_parts(worker, access.cases_visible_to(worker), (True, False))
    expected = list(queries.by_urgency(access.cases_visible_to(worker)).values_list("pk", flat=True))
    assert len(expected) == 23
    for size in (1, 4, 7, 23, 50):
        pages = _walk(parts, size)
        assert [pk for page in pages for pk in page] == expected, size
        assert all(len(page) == size for page in pages[:-1])
    # Backwards from the last page gives the same pages.
    pages = _walk(parts, 4)
    page = queries.case_page(parts, size=4, after=queries.case_page(parts, size=4, after=None).next)
    walked = [page.pks]
    while page.previous is not None:
        page = queries.case_page(parts, size=4, before=page.previous)
        walked.insert(0, page.pks)
    assert walked == pages[:2]


def test_the_list_shows_exactly_the_visible_cases(world: World) -> None:
    worker = _worker(world)
    outsider = world.outsider
    mine = [_open(worker, world.team_a, f"Mine {n}") for n in range(3)]
    theirs = [_open(outsider, world.team_b, f"Theirs {n}") for n in range(4)]
    domain.transition(worker, mine[0], Status.CLOSED, "duplicate")
    domain.break_glass(worker, theirs[0], "The person called our hotline in danger tonight.")
    expired = domain.break_glass(worker, theirs[1], "The person called our hotline in danger tonight.")
    type(expired).objects.filter(pk=expired.pk).update(expires=timezone.now() - datetime.timedelta(minutes=1))
    client = sign_in(Client(), worker)

    def listed(**params: str) -> list[Any]:
        response = client.get("/cases/", params)
        assert response.status_code == 200
        found = [case.pk for case in response.context["rows"]]
        while response.context["page"].next is not None:
            response = client.get("/cases/", {**params, "after": response.context["page"].next.token()})
            found += [case.pk for case in response.context["rows"]]
        return found

    visible = access.cases_visible_to(worker)
    every = listed(status="all")
    assert sorted(every) == sorted(visible.values_list("pk", flat=True)) == sorted([c.pk for c in mine] + [theirs[0].pk])
    assert every == list(queries.by_urgency(visible).values_list("pk", flat=True))
    assert sorted(listed()) == sorted([mine[1].pk, mine[2].pk, theirs[0].pk])
    assert listed(status="closed") == [mine[0].pk]
    # The other team sees none of the first team's cases, grants or not.
    assert sorted(queries.case_page(queries.list_parts(outsider, access.cases_visible_to(outsider)), size=50).pks) == sorted(
        c.pk for c in theirs
    )


@pytest.mark.parametrize(
    "link",
    [
        {"after": "garbage"},
        {"before": "%%%"},
        {"after": "MX45OTk5LTEyLTMxfjIwMjYtMDEtMDFUMDA6MDA6MDB-bm90LWEtdXVpZA"},  # well formed, not a uuid
        {"after": "x" * 500},
        {"page": "2"},
    ],
)
def test_a_bad_page_link_is_the_first_page(world: World, link: dict[str, str]) -> None:
    worker = _worker(world)
    first = [_open(worker, world.team_a, f"Person {n}").pk for n in range(3)]
    response = sign_in(Client(), worker).get("/cases/", link)
    assert response.status_code == 200
    assert sorted(case.pk for case in response.context["rows"]) == sorted(first)
    assert response.context["stale_link"] is ("page" not in link)


def test_position_parse_refuses_what_it_did_not_write() -> None:
    good = queries.ListPosition(1, datetime.date(2026, 1, 2), timezone.now(), Case().pk)
    assert queries.ListPosition.parse(good.token()) == good
    for token in ("", "a", good.token()[:-3], good.token() + "~", "MX45OTk5"):
        with pytest.raises(queries.BadPosition):
            queries.ListPosition.parse(token)


def test_a_page_past_the_end_is_the_first_page(world: World) -> None:
    worker = _worker(world)
    cases = [_open(worker, world.team_a, f"Person {n}") for n in range(3)]
    last = queries.ListPosition(
        *Case.objects.filter(pk=cases[0].pk).values_list("urgency", "review_order", "created", "pk").get()
    )
    Case.objects.exclude(pk=cases[0].pk).update(status=Status.CLOSED)
    parts = queries.list_parts(worker, access.cases_visible_to(worker), (True,))
    assert queries.case_page(parts, size=50, after=last).pks == [cases[0].pk]


def test_every_page_view_is_audited_with_its_cases(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    worker = _worker(world)
    for n in range(4):
        _open(worker, world.team_a, f"Person {n}")
    monkeypatch.setattr(case_views, "PAGE_SIZE", 3)
    monkeypatch.setattr(case_views, "COUNT_LIMIT", 2)
    client = sign_in(Client(), worker)
    before = AuditEntry.objects.filter(action="case.list").count()
    first = client.get("/cases/")
    second = client.get("/cases/", {"after": first.context["page"].next.token()})
    entries = list(AuditEntry.objects.filter(action="case.list").order_by("seq"))[before:]
    assert len(entries) == 2
    for entry, response in zip(entries, (first, second), strict=True):
        assert entry.actor_id == worker.pk
        assert audit.open_details(entry) == {"cases": [str(case.pk) for case in response.context["rows"]]}
    assert (len(first.context["rows"]), len(second.context["rows"])) == (3, 1)
    assert "More than 2 cases" in first.content.decode()
    assert 'rel="next"' in first.content.decode() and 'rel="prev"' in second.content.decode()
