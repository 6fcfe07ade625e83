"""Two operators act on one request at the same moment, with real threads on PostgreSQL.

The first action holds its locks until the second is seen waiting for them (the order is forced,
not hoped for; see corridor/cases/tests/test_concurrency.py); then the second decides on what
the first left.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff, make_world
from corridor.cases.models import Case
from corridor.cases.tests.test_concurrency import _first_then_second
from corridor.core.errors import Conflict
from corridor.intake import domain
from corridor.intake.models import IntakeMessage, IntakeRequest, RequestState
from corridor.intake.tests.helpers import submit

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite has no row locks (SELECT … FOR UPDATE is ignored): these run on PostgreSQL, as CI does",
    ),
]


def _request() -> IntakeRequest:
    cache.clear()
    response, passphrase = submit()
    assert response.status_code == 200 and passphrase is not None
    return IntakeRequest.objects.get()


def test_two_operators_opening_a_case_at_once_make_one_case_and_the_second_hears_why() -> None:
    world = make_world()
    hotline_a = world.users[Role.HOTLINE]
    hotline_b = make_staff(Role.HOTLINE, teams=[world.team_b], username="hotline-b")
    request = _request()
    seen_by_a, seen_by_b = IntakeRequest.objects.get(pk=request.pk), IntakeRequest.objects.get(pk=request.pk)

    with translation.override("en"):
        first, second, waited = _first_then_second(
            lambda: domain.open_case(hotline_b, seen_by_b, name="Ахмед", team=world.team_b),
            lambda: domain.open_case(hotline_a, seen_by_a, name="Ахмед", team=world.team_a),
        )

    assert first.error is None and isinstance(first.result, Case)
    assert isinstance(second.error, Conflict)
    assert second.error.messages == ["A case was already opened from this request."]
    assert waited is True
    assert list(Case.objects.values_list("team_id", flat=True)) == [world.team_b.pk]
    assert IntakeRequest.objects.get().case_id == first.result.pk


def test_a_reply_sent_while_the_request_is_marked_as_spam_waits_and_is_refused() -> None:
    hotline = make_staff(Role.HOTLINE)
    request = _request()
    seen_for_reply = IntakeRequest.objects.get(pk=request.pk)

    with translation.override("en"):
        first, second, waited = _first_then_second(
            lambda: domain.mark_spam(hotline, IntakeRequest.objects.get(pk=request.pk)),
            lambda: domain.reply(hotline, seen_for_reply, "Здравствуйте"),
        )

    assert first.error is None
    assert isinstance(second.error, ValidationError)
    assert second.error.message_dict == {"text": ["This request is marked as spam. Restore it before replying."]}
    assert waited is True
    assert IntakeRequest.objects.get().state == RequestState.SPAM
    assert IntakeMessage.objects.filter(direction="out").count() == 0
