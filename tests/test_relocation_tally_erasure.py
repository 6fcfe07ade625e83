"""An erased person leaves nothing in the relocation figures' tally (corridor/relocation/tally.py):
their applications' rows go with the applications, their counts leave the summary per programme
as if the applications had never been, and the figures still equal those computed from the raw
status history. Here, not in relocation's tests: erasure lives in transfer, which
imports documentation, and relocation may not import documentation even in its tests."""

from __future__ import annotations

from typing import Any

import pytest

from corridor.cases.models import CaseMember
from corridor.relocation import figures
from corridor.relocation.models import ApplicationTally
from corridor.relocation.tests.factories import S, caseworker_for, make_case, walk
from corridor.relocation.tests.test_tally import TODAY, D, _assert_same, assert_summary_in_step
from corridor.relocation.tests.test_tally import history as history  # noqa: F401, F811 -- the fixture, by its name
from corridor.transfer.domain.erasure import approve_erasure, request_erasure

pytestmark = pytest.mark.django_db


def test_an_erased_person_leaves_nothing_in_the_tally(history: dict[str, Any]) -> None:  # noqa: F811 -- the fixture
    team = history["teams"][0]
    asker, approver = caseworker_for(team), caseworker_for(team)
    case = make_case(asker, team)
    programme = history["programmes"][0]
    mine = [
        walk(asker, case, programme, [(S.SUBMITTED, D(2024, 1, 2)), (S.REFUSED, D(2024, 2, 1))]),
        walk(asker, case, programme, [(S.SUBMITTED, D(2024, 3, 2)), (S.DECISION, D(2024, 3, 9))]),
    ]
    before = figures.compute(today=TODAY)[("IS", programme.pk)]
    person = CaseMember.objects.get(case=case).person
    approve_erasure(approver, request_erasure(asker, person))
    assert ApplicationTally.objects.filter(application_id__in=[a.pk for a in mine]).count() == 0
    assert ApplicationTally.objects.filter(case_id=case.pk).count() == 0
    after = figures.compute(today=TODAY)[("IS", programme.pk)]
    assert (before.applications - after.applications, before.grants - after.grants, before.refusals - after.refusals) == (2, 1, 1)
    assert_summary_in_step()
    _assert_same()
