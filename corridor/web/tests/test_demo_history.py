"""`corridor demo` shows the product on the first visit: two years of visa applications in
several countries (figures, charts and ranking have data), and requests waiting in triage
with an emergency first, encrypted as real ones are.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from corridor.accounts.models import User
from corridor.cases.models import Case, Status
from corridor.intake.domain import triage
from corridor.intake.models import IntakeMessage, IntakeRequest, Urgency
from corridor.relocation import demo as relocation_demo
from corridor.relocation import figures
from corridor.relocation.models import Application, ApplicationEvent, ApplicationStatus

pytestmark = pytest.mark.django_db
S = ApplicationStatus


@pytest.fixture
def demo_instance() -> str:
    out = io.StringIO()
    call_command("demo", "--people", "40", "--seed", "7", stdout=out)
    return out.getvalue()


def test_two_years_of_applications_in_several_countries(demo_instance: str) -> None:
    today = timezone.localdate()
    events = ApplicationEvent.objects.all()
    days = sorted(events.values_list("happened_on", flat=True))
    assert days[0] < today - datetime.timedelta(days=365)
    assert days[-1] <= today  # nothing that happened lies in the future
    countries = set(Application.objects.values_list("programme__country", flat=True))
    assert len(countries) >= 4
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {S.REFUSED, S.ARRIVED} <= statuses
    assert statuses & {S.SUBMITTED, S.INTERVIEW, S.DOCUMENTS_REQUESTED, S.DECISION, S.VISA_ISSUED}  # some still waiting
    assert not Application.objects.filter(status=S.REFUSED, refusal_reason="").exists()
    # Every application's events are in order, each after the one before.
    for application in Application.objects.all():
        dated = list(application.events.order_by("recorded").values_list("happened_on", flat=True))
        assert dated == sorted(dated)
    # Arrived cases got there by a granted application; relocating ones have one under way.
    for case in Case.objects.filter(status=Status.ARRIVED):
        assert case.relocation_applications.filter(status=S.ARRIVED).count() == 1
    assert "visa applications" in demo_instance


def test_the_coordinator_sees_figures_with_times(demo_instance: str) -> None:
    coordinator = User.objects.get(username=relocation_demo.COORDINATOR)
    computed = figures.compute(viewer=coordinator)
    totals = [f for (country, programme), f in computed.items() if programme == figures.COUNTRY_TOTAL]
    assert sum(f.decisions for f in totals) >= 15
    assert sum(f.grants for f in totals) >= 3
    assert any(f.decision_median is not None and f.decision_median > 0 for f in totals)


def test_requests_wait_in_triage_with_the_emergency_first(demo_instance: str) -> None:
    hotline = User.objects.get(username="hotline")
    waiting = triage.queue(hotline)
    assert len(waiting) == 4
    assert waiting[0].urgency == Urgency.EMERGENCY
    assert [r.urgency for r in waiting].count(Urgency.EMERGENCY) == 1
    assert waiting[0].created_hour < timezone.now() - datetime.timedelta(minutes=59)
    # Encrypted on arrival: the words are nowhere in the stored message.
    for message in IntakeMessage.objects.all():
        assert "Грозный".encode() not in bytes(message.ciphertext)
        assert "Брата".encode() not in bytes(message.ciphertext)


def test_running_again_adds_no_second_history(demo_instance: str) -> None:
    applications, requests = Application.objects.count(), IntakeRequest.objects.count()
    call_command("demo", "--people", "40", stdout=io.StringIO())
    assert (Application.objects.count(), IntakeRequest.objects.count()) == (applications, requests)


def test_a_benchmark_sized_demo_gives_a_history_only_to_the_cases_made_one_by_one() -> None:
    from corridor.audit.models import AuditEntry

    call_command("demo", "--people", "45", "--seed", "3", stdout=io.StringIO())
    opened = set(AuditEntry.objects.filter(action="case.open").values_list("object_id", flat=True))
    with_history = {str(pk) for pk in Application.objects.values_list("case_id", flat=True)}
    assert with_history and with_history <= opened
    assert Case.objects.count() > len(opened)  # the bulk-loaded cases exist, without applications
