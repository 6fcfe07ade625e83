"""Applications, eligibility, ranking, alerts and engagements through the domain functions;
encrypted columns hold no plaintext."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from corridor.accounts.models import Role, Team
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.relocation import alerts, domain, ranking
from corridor.relocation.models import Application, ApplicationEvent, Contact, Country, Engagement, Programme
from corridor.relocation.tests.factories import S, caseworker_for, make_case, members, walk

pytestmark = pytest.mark.django_db
D = datetime.date


def _raw(table: str, column: str, pk: object) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex if connection.vendor == "sqlite" else pk])  # noqa: S608 -- test constants
        return bytes(cursor.fetchone()[0])


def test_status_history_is_dated_attributed_and_audited() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    case = make_case(actor, team)
    programme = Programme.objects.get(country="LT")
    application = walk(
        actor, case, programme, [(S.SUBMITTED, D(2024, 2, 1)), (S.INTERVIEW, D(2024, 2, 10))], channel="Consulate in Riga"
    )
    history = [(e.old, e.status, e.happened_on, e.by) for e in application.events.all()]
    assert history == [
        ("", "draft", D(2024, 2, 1), actor),
        ("draft", "submitted", D(2024, 2, 1), actor),
        ("submitted", "interview", D(2024, 2, 10), actor),
    ]
    actions = list(AuditEntry.objects.filter(object_id=str(application.pk)).order_by("seq").values_list("action", flat=True))
    assert actions == ["application.create", "application.status.submitted", "application.status.interview"]
    assert sorted(p.pk for p in application.members.all()) == sorted(p.pk for p in members(case))


def test_bad_transitions_are_explained_and_write_nothing() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    application = walk(actor, team, Programme.objects.get(country="LT"), [(S.SUBMITTED, D(2024, 2, 1))])
    before = ApplicationEvent.objects.count()
    cases = [
        ("arrived", {"reason": "x"}, "status"),
        ("interview", {"reason": "  "}, "reason"),
        ("interview", {"reason": "x", "on": D(2024, 1, 1)}, "on"),
        ("refused", {"reason": "x"}, "refusal_reason"),
        ("interview", {"reason": "x", "refusal_reason": "quota"}, "refusal_reason"),
        ("interview", {"reason": "x", "on": datetime.date.today() + datetime.timedelta(days=2)}, "on"),
    ]
    for status, kwargs, field in cases:
        with pytest.raises(ValidationError) as caught:
            domain.transition_application(actor, application, status, **kwargs)
        assert list(caught.value.message_dict) == [field]
    application.refresh_from_db()
    assert (application.status, ApplicationEvent.objects.count()) == ("submitted", before)
    with pytest.raises(PermissionDenied):
        domain.transition_application(make_staff(Role.DOCUMENTATION, teams=[team]), application, "interview", reason="x")


def test_refusal_text_and_reasons_are_encrypted_at_rest() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    application = walk(
        actor,
        team,
        Programme.objects.get(country="LT"),
        [(S.SUBMITTED, D(2024, 2, 1))],
        channel="Embassy in Vilnius SECRETCHANNEL",
    )
    event = domain.transition_application(
        actor,
        application,
        "refused",
        reason="Officer said SECRETREASON",
        refusal_reason="security",
        refusal_text="They cited SECRETREFUSAL",
    )
    fresh = Application.objects.select_related("case__data_key").get(pk=application.pk)
    assert (fresh.refusal_reason, fresh.refusal_text, fresh.channel) == (
        "security",
        "They cited SECRETREFUSAL",
        "Embassy in Vilnius SECRETCHANNEL",
    )
    for column, marker in (("refusal_text", b"SECRETREFUSAL"), ("channel", b"SECRETCHANNEL")):
        assert marker not in _raw("relocation_application", column, application.pk)
    assert b"SECRETREASON" not in _raw("relocation_applicationevent", "reason", event.pk)


def test_contacts_and_engagement_notes_are_encrypted_and_commitments_close() -> None:
    coordinator = make_staff(Role.RELOCATION)
    contact = domain.create_contact(
        coordinator,
        country=Country.objects.get(pk="LT"),
        kind="embassy",
        organisation="Embassy SECRETORG",
        name="Consul SECRETNAME",
        details="+370 SECRETPHONE",
    )
    engagement = domain.log_engagement(
        coordinator,
        contact,
        asked="Visas for SECRETASK",
        response="SECRETRESPONSE",
        next_step="Send SECRETSTEP",
        next_due=datetime.date.today(),
        on=datetime.date.today(),
    )
    for column, marker in (("organisation", b"SECRETORG"), ("name", b"SECRETNAME"), ("details", b"SECRETPHONE")):
        assert marker not in _raw("relocation_contact", column, contact.pk)
    for column, marker in (("asked", b"SECRETASK"), ("response", b"SECRETRESPONSE"), ("next_step", b"SECRETSTEP")):
        assert marker not in _raw("relocation_engagement", column, engagement.pk)
    assert Engagement.objects.select_related("contact__data_key").get(pk=engagement.pk).next_step == "Send SECRETSTEP"
    assert Contact.objects.get(pk=contact.pk).details == "+370 SECRETPHONE"
    domain.close_commitment(coordinator, engagement)
    with pytest.raises(ValidationError):
        domain.close_commitment(coordinator, engagement)
    with pytest.raises(ValidationError) as caught:
        domain.log_engagement(coordinator, contact, asked="x", next_step="call back")
    assert list(caught.value.message_dict) == ["next_due"]


def test_eligibility_explains_each_unmet_requirement() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    case = make_case(actor, team, documents=("internal", "none"), priority="emergency")
    routes = {r.programme.name: r for r in ranking.rank_routes(case)}
    lt = routes["National (D) visa on humanitarian grounds"]
    assert (lt.eligible, lt.unmet) == (False, ["needs an international passport: none held"])
    gar = routes["Government-Assisted Refugees Program"]
    assert (gar.eligible, gar.unmet) == (False, ["needs a referral by UNHCR: the case has no referral"])
    family = routes["Family reunification (§§ 27–36 AufenthG)"]
    assert family.unmet == ["needs an international passport: none held", "needs family in Germany: none recorded"]
    assert [r.rank for r in ranking.rank_routes(case)] == [None] * Programme.objects.filter(is_open=True).count()
    domain.set_profile(actor, case, referral="unhcr", family_ties=["de"])
    routes = {r.programme.name: r for r in ranking.rank_routes(case)}
    assert routes["Government-Assisted Refugees Program"].eligible is True
    assert routes["Family reunification (§§ 27–36 AufenthG)"].unmet == ["needs an international passport: none held"]


def test_partial_passports_name_who_lacks_one_and_language_is_checked() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    case = make_case(actor, team, documents=("international", "none"), languages=["Russian", "Lithuanian"])
    coordinator = make_staff(Role.RELOCATION)
    lt = Programme.objects.get(country="LT")
    domain.update_programme(coordinator, lt, language="lt")
    dependant = [m.person for m in case.members.filter(role="dependant")][0]
    route = next(r for r in ranking.rank_routes(case) if r.programme.pk == lt.pk)
    assert route.unmet == [f"needs an international passport: not held by {dependant.codename} (no identity documents)"]
    domain.update_programme(coordinator, lt, language="de")
    route = next(r for r in ranking.rank_routes(case) if r.programme.pk == lt.pk)
    assert route.unmet[-1] == "needs de: no one on the case speaks it"


def test_ranking_uses_figures_and_changes_after_a_refusal() -> None:
    team = Team.objects.create(name="T")
    actor = caseworker_for(team)
    lt, fr = Programme.objects.get(country="LT"), Programme.objects.get(country="FR")
    # Our history: Lithuania decides in 10 days and grants; France refuses after 60.
    for _ in range(3):
        walk(actor, team, lt, [(S.SUBMITTED, D(2024, 1, 1)), (S.DECISION, D(2024, 1, 11))])
    walk(actor, team, fr, [(S.SUBMITTED, D(2024, 1, 1)), (S.REFUSED, D(2024, 3, 1))])
    case = make_case(actor, team)
    ranked = [r.programme.pk for r in ranking.rank_routes(case) if r.rank]
    assert ranked.index(lt.pk) == 0 and fr.pk in ranked
    top = ranking.rank_routes(case)[0]
    assert top.grant_probability == pytest.approx(0.8)  # 3 of 3: (3 + 1) / (3 + 2)
    assert "our 3 decisions" in top.why
    application = walk(actor, case, lt, [(S.SUBMITTED, D(2024, 4, 1))])
    after = ranking.rank_routes(case)
    assert lt.pk not in [r.programme.pk for r in after if r.rank]
    assert next(r for r in after if r.programme.pk == lt.pk).notes == ["already applied: submitted"]
    domain.transition_application(actor, application, "refused", reason="refused", refusal_reason="no_reason", on=D(2024, 4, 20))
    final = [r for r in ranking.rank_routes(case) if r.rank]
    assert final[-1].programme.pk == lt.pk
    assert final[-1].notes == ["refused for this case on 2024-04-20: ranked last, a new application needs new facts"]


def test_alerts_emergency_stalled_and_overdue() -> None:
    team = Team.objects.create(name="T")
    other = Team.objects.create(name="Other")
    actor = caseworker_for(team)
    emergency = make_case(actor, team, priority="emergency")
    outsider_case = make_case(caseworker_for(other), other, priority="emergency")
    lt = Programme.objects.get(country="LT")
    for _ in range(2):
        walk(actor, team, lt, [(S.SUBMITTED, D(2024, 1, 1)), (S.DECISION, D(2024, 1, 11))])
    stalled = walk(actor, team, lt, [(S.SUBMITTED, D(2024, 1, 1))])
    today = D(2024, 2, 1)
    # Two decisions are too few for a 90th percentile of our own (stats.MIN_DURATIONS): nothing is
    # stalled by it, and this programme publishes no processing time.
    assert [a.kind for a in alerts.alerts_for(actor, today)] == ["emergency_without_application"]
    walk(actor, team, lt, [(S.SUBMITTED, D(2024, 1, 1)), (S.DECISION, D(2024, 1, 11))])
    found = alerts.alerts_for(actor, today)
    assert [(a.kind, a.object_id) for a in found] == [
        ("emergency_without_application", str(emergency.pk)),
        ("stalled_application", str(stalled.pk)),
    ]
    assert str(outsider_case.pk) not in {a.object_id for a in found}
    assert found[1].message.endswith(
        "no movement on Lithuania: National (D) visa on humanitarian grounds for 31 days (longer than 10, the 90th percentile of our decisions)."
    )
    walk(actor, emergency, lt, [])
    assert [a.kind for a in alerts.alerts_for(actor, today)] == ["stalled_application"]
    coordinator = make_staff(Role.RELOCATION, teams=[team])
    contact = domain.create_contact(coordinator, country=lt.country, kind="ministry", organisation="MFA", name="Desk officer")
    engagement = domain.log_engagement(coordinator, contact, asked="x", next_step="y", next_due=D(2024, 1, 20), on=D(2024, 1, 10))
    coordinator_alerts = alerts.alerts_for(coordinator, today)
    assert [a.kind for a in coordinator_alerts] == ["stalled_application", "overdue_engagement"]
    assert "overdue_engagement" not in {a.kind for a in alerts.alerts_for(actor, today)}
    domain.close_commitment(coordinator, engagement)
    assert [a.kind for a in alerts.alerts_for(coordinator, today)] == ["stalled_application"]
