"""Exports leave out what confidentiality and consent do not allow, and keep Uwazi's CSV format."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest

from corridor.accounts import domain as accounts_domain
from corridor.accounts.models import Role
from corridor.accounts.testing import make_staff
from corridor.audit.models import AuditEntry
from corridor.cases import domain as cases_domain
from corridor.cases.access import NotPermitted
from corridor.documentation import domain, exports
from corridor.documentation.tests.factories import act_on, event, officer, perpetrator, person_in_case, source

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def setup() -> dict[str, Any]:
    team = accounts_domain.create_team(None, "Documentation A")
    doc = officer(team)
    caseworker = make_staff(Role.CASEWORKER, teams=[team])
    consenting, case1 = person_in_case(team, "Consenting Victim")
    refusing, _case2 = person_in_case(team, "Refusing Victim")
    withdrawn, case3 = person_in_case(team, "Withdrawn Victim")
    cases_domain.record_consent(caseworker, case1, consenting, "share", D(2024, 1, 1), partner="Memorial")
    cases_domain.record_consent(caseworker, case1, consenting, "statistics", D(2024, 1, 1))
    gone = cases_domain.record_consent(caseworker, case3, withdrawn, "share", D(2024, 1, 1), partner="Memorial")
    cases_domain.withdraw_consent(caseworker, gone, D(2024, 2, 1))
    shared = event(doc, team, title="Detention SHAREDEVENT", confidentiality="partners", place="Basement EXACTPLACE")
    public = event(doc, team, title="Release PUBLICEVENT", confidentiality="public", start=D(2017, 4, 1))
    internal = event(doc, team, title="Transfer INTERNALEVENT", confidentiality="internal")
    acts = {
        "consenting": act_on(doc, shared, consenting, stated_reason="REASONTEXT"),
        "refusing": act_on(doc, shared, refusing, physical_consequences="REFUSINGCONSEQUENCE"),
        "withdrawn": act_on(doc, shared, withdrawn),
        "public": act_on(doc, public, consenting),
        "internal": act_on(doc, internal, consenting),
    }
    unit = perpetrator(doc, "=Unit 7")
    domain.add_involvement(doc, acts["consenting"], perpetrator=unit, degree="direct")
    report = source(doc, team, title="News report", url="https://example.org/news")
    by_refusing = source(doc, team, kind="testimony", person=refusing, title="REFUSINGTESTIMONY")
    for src in (report, by_refusing):
        domain.link_information(doc, src, act_=acts["consenting"], how_known="hearsay")
    return {"doc": doc, "team": team, "acts": acts, "consenting": consenting, "events": (shared, public, internal)}


def test_partner_export_leaves_out_internal_events_and_people_without_consent(setup: dict[str, Any]) -> None:
    export = exports.export_for(setup["doc"], audience="partner", partner="memorial", kind="json")
    body = exports.huridocs_json(export)
    titles = [e["event_title"] for e in body["events"]]
    assert titles == ["Detention SHAREDEVENT", "Release PUBLICEVENT"]
    acts = [act["act_record_number"] for e in body["events"] for act in e["acts"]]
    assert acts == [str(setup["acts"]["consenting"].pk), str(setup["acts"]["public"].pk)]
    text = str(body)
    for leak in ("INTERNALEVENT", "REFUSINGCONSEQUENCE", "REFUSINGTESTIMONY", "Refusing Victim", "Consenting Victim"):
        assert leak not in text
    assert body["events"][0]["acts"][0]["victim"] == setup["consenting"].codename
    assert body["events"][0]["local_geographical_area"] == "Basement EXACTPLACE"
    assert body["left_out"] == {"events": 1, "acts": 2, "sources": 1}
    assert [s["title"] for s in body["sources"]] == ["News report"]
    entry = AuditEntry.objects.filter(action="documentation.export.json").get()
    assert entry.actor_id == setup["doc"].pk


def test_another_partner_gets_nothing_the_consent_does_not_name(setup: dict[str, Any]) -> None:
    export = exports.build(setup["doc"], audience="partner", partner="Someone else")
    assert sum(len(acts) for acts in export.acts.values()) == 0


def test_public_export_is_anonymous_and_public_events_only(setup: dict[str, Any]) -> None:
    body = exports.huridocs_json(exports.build(setup["doc"], audience="public"))
    assert [e["event_title"] for e in body["events"]] == ["Release PUBLICEVENT"]
    act = body["events"][0]["acts"][0]
    assert (act["victim"], act["stated_reason"], body["events"][0]["local_geographical_area"]) == (None, None, None)
    assert setup["consenting"].codename not in str(body)


def test_uwazi_csv(setup: dict[str, Any]) -> None:
    export = exports.build(setup["doc"], audience="partner", partner="Memorial")
    events = list(csv.reader(io.StringIO(exports.uwazi_csv(export, "events"))))
    assert events[0][:2] == ["title", "date"]
    assert [row[0] for row in events[1:]] == ["Detention SHAREDEVENT", "Release PUBLICEVENT"]
    assert events[1][1] == "2017/03/01:"
    acts = list(csv.DictReader(io.StringIO(exports.uwazi_csv(export, "acts"))))
    assert [row["event"] for row in acts] == ["Detention SHAREDEVENT", "Release PUBLICEVENT"]
    assert acts[0]["type_of_act"] == "torture"
    # A cell that would run as a spreadsheet formula is neutralised.
    assert acts[0]["perpetrators"] == "'=Unit 7 (carried it out)"
    sources = list(csv.DictReader(io.StringIO(exports.uwazi_csv(export, "sources"))))
    assert [row["title"] for row in sources] == ["News report"]


def test_only_documentation_officers_export(setup: dict[str, Any]) -> None:
    caseworker = make_staff(Role.CASEWORKER, teams=[setup["team"]])
    with pytest.raises(NotPermitted):
        exports.build(caseworker, audience="public")
    with pytest.raises(exports.ExportRefused):
        exports.build(setup["doc"], audience="partner", partner="")


def test_another_teams_officer_exports_nothing_of_ours(setup: dict[str, Any]) -> None:
    other = officer(accounts_domain.create_team(None, "Elsewhere"))
    assert exports.build(other, audience="public").events == []
