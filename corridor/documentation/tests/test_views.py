"""Documentation pages: the access matrix for every page, the forms' validation, and the rule the
issue insists on — a victim's or a testimony-giver's identity only where their case is visible.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world
from corridor.cases import domain as cases_domain
from corridor.cases.models import Person
from corridor.documentation import domain
from corridor.documentation.models import Act, Event, Evidence, Information, Involvement, Perpetrator, Source, Term

pytestmark = pytest.mark.django_db

DOC = {Role.DOCUMENTATION}
D = datetime.date
PAGE = "/documentation"


def victim(actor: User, team: Team, name: str) -> Person:
    person, _case = cases_domain.create_person_with_case(actor, team=team, names=[{"name": name, "kind": "legal"}])
    return person


def term(code: str) -> Term:
    return Term.objects.get(code=code)


def text_file(body: bytes = b"A statement, typed.\n", name: str = "statement.txt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type="text/plain")


def record(officer: User, team: Team, person: Person, label: str) -> dict[str, Any]:
    """An event of `team` with an act on `person`, a perpetrator, a source linked, and a file."""
    event = domain.create_event(officer, team=team, title=f"Detention {label}", start=D(2024, 3, 1), place=f"Place {label}")
    act = domain.add_act(officer, event, victim=person, act_type=term("torture"), methods=[term("beating")], start=D(2024, 3, 2))
    perpetrator = domain.create_perpetrator(officer, kind="unit", name=f"Unit {label}")
    involvement = domain.add_involvement(officer, act, perpetrator=perpetrator, degree="direct")
    source = domain.create_source(officer, team=team, kind="media", title=f"Report {label}", text="They were taken at night.")
    information = domain.link_information(officer, source, act_=act, how_known="hearsay", reported_start=D(2024, 3, 2))
    evidence = domain.add_evidence(officer, event, text_file(), source=source, description="typed statement")
    return {
        "event": event,
        "act": act,
        "perpetrator": perpetrator,
        "involvement": involvement,
        "source": source,
        "information": information,
        "evidence": evidence,
    }


@pytest.fixture
def world() -> World:
    world = make_world()
    officer = world.users[Role.DOCUMENTATION]
    other_officer = make_staff(Role.DOCUMENTATION, teams=[world.team_b], username="doc-b")
    a = record(officer, world.team_a, victim(world.users[Role.CASEWORKER], world.team_a, "Ислам Ахмадов"), "A")
    b = record(other_officer, world.team_b, victim(world.outsider, world.team_b, "Зелимхан Б"), "B")
    world.extra |= {"a": a, "b": b}
    # One more of each, for the routes that use one up (an involvement removed, a link made).
    world.extra["earlier"] = domain.create_event(officer, team=world.team_a, title="Earlier", start=D(2024, 2, 1))
    world.extra["spare"] = domain.add_involvement(
        officer, a["act"], perpetrator=domain.create_perpetrator(officer, kind="person", name="Spare"), degree="present"
    )
    world.extra["free"] = domain.create_perpetrator(officer, kind="institution", name="Free")
    world.extra["original"] = domain.create_source(officer, team=world.team_a, kind="media", title="Original")
    return world


def _a(w: World, name: str) -> Any:
    return w.extra["a"][name].pk


def _b(w: World, name: str) -> Any:
    return w.extra["b"][name].pk


def _event_form(w: World) -> dict[str, Any]:
    return {
        "team": str(w.team_a.pk),
        "title": "Transfer to Argun",
        "start": "2024-03-05",
        "start_precision": "exact",
        "end": "",
        "end_precision": "exact",
        "confidentiality": "internal",
    }


def _act_form(w: World) -> dict[str, Any]:
    return {
        "victim": str(w.extra["a"]["act"].victim_id),
        "act_type": str(term("torture").pk),
        "methods": [str(term("electric_shock").pk)],
        "start": "2024-03-03",
        "start_precision": "exact",
        "end_precision": "exact",
        "end_status": "released",
    }


def _source_form(w: World) -> dict[str, Any]:
    return {"team": str(w.team_a.pk), "kind": "media", "title": "Novaya Gazeta", "text": "Words", "url": "https://example.org/a"}


ROUTES = [
    Route("documentation:events", lambda w: f"{PAGE}/", DOC),
    Route("documentation:timeline", lambda w: f"{PAGE}/timeline/", DOC),
    Route("documentation:event_new", lambda w: f"{PAGE}/events/new/", DOC),
    Route("documentation:event_new", lambda w: f"{PAGE}/events/new/", DOC, method="post", data=_event_form, ok_status=(302,)),
    Route(
        "documentation:event",
        lambda w: f"{PAGE}/events/{_a(w, 'event')}/",
        DOC,
        other_team_url=lambda w: f"{PAGE}/events/{_b(w, 'event')}/",
    ),
    Route(
        "documentation:event_edit",
        lambda w: f"{PAGE}/events/{_a(w, 'event')}/edit/",
        DOC,
        other_team_url=lambda w: f"{PAGE}/events/{_b(w, 'event')}/edit/",
    ),
    Route(
        "documentation:event_edit",
        lambda w: f"{PAGE}/events/{_a(w, 'event')}/edit/",
        DOC,
        method="post",
        data=lambda w: _event_form(w) | {"title": "Detention A, renamed"},
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/events/{_b(w, 'event')}/edit/",
    ),
    Route(
        "documentation:event_chain",
        lambda w: f"{PAGE}/events/{_a(w, 'event')}/chain/",
        DOC,
        method="post",
        data=lambda w: {"follows": str(w.extra["earlier"].pk)},
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/events/{_b(w, 'event')}/chain/",
    ),
    Route(
        "documentation:act_new",
        lambda w: f"{PAGE}/events/{_a(w, 'event')}/acts/new/",
        DOC,
        other_team_url=lambda w: f"{PAGE}/events/{_b(w, 'event')}/acts/new/",
    ),
    Route(
        "documentation:act_new",
        lambda w: f"{PAGE}/events/{_a(w, 'event')}/acts/new/",
        DOC,
        method="post",
        data=_act_form,
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/events/{_b(w, 'event')}/acts/new/",
    ),
    Route(
        "documentation:act_edit",
        lambda w: f"{PAGE}/acts/{_a(w, 'act')}/edit/",
        DOC,
        other_team_url=lambda w: f"{PAGE}/acts/{_b(w, 'act')}/edit/",
    ),
    Route(
        "documentation:act_edit",
        lambda w: f"{PAGE}/acts/{_a(w, 'act')}/edit/",
        DOC,
        method="post",
        data=_act_form,
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/acts/{_b(w, 'act')}/edit/",
    ),
    Route(
        "documentation:involvement_new",
        lambda w: f"{PAGE}/events/{_a(w, 'event')}/involvements/",
        DOC,
        method="post",
        data=lambda w: {"act": str(_a(w, "act")), "perpetrator": str(w.extra["free"].pk), "degree": "ordered"},
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/events/{_b(w, 'event')}/involvements/",
    ),
    Route(
        "documentation:involvement_remove",
        lambda w: f"{PAGE}/involvements/{w.extra['spare'].pk}/remove/",
        DOC,
        method="post",
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/involvements/{_b(w, 'involvement')}/remove/",
    ),
    Route(
        "documentation:information_new",
        lambda w: f"{PAGE}/events/{_a(w, 'event')}/information/",
        DOC,
        method="post",
        data=lambda w: {"source": str(_a(w, "source")), "target": "event", "how_known": "documentary", "reliability": "high"},
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/events/{_b(w, 'event')}/information/",
    ),
    Route(
        "documentation:evidence_new",
        lambda w: f"{PAGE}/events/{_a(w, 'event')}/evidence/",
        DOC,
        method="post",
        data=lambda w: {"file": text_file(), "description": "another"},
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/events/{_b(w, 'event')}/evidence/",
    ),
    Route(
        "documentation:evidence",
        lambda w: f"{PAGE}/evidence/{_a(w, 'evidence')}/",
        DOC,
        other_team_url=lambda w: f"{PAGE}/evidence/{_b(w, 'evidence')}/",
    ),
    Route(
        "documentation:evidence_file",
        lambda w: f"{PAGE}/evidence/{_a(w, 'evidence')}/file/",
        DOC,
        other_team_url=lambda w: f"{PAGE}/evidence/{_b(w, 'evidence')}/file/",
    ),
    Route(
        "documentation:evidence_redacted",
        lambda w: f"{PAGE}/evidence/{_a(w, 'evidence')}/redacted/",
        DOC,
        method="post",
        data=lambda w: {"file": text_file(b"A statement, [redacted].\n"), "note": "names removed for the UN"},
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/evidence/{_b(w, 'evidence')}/redacted/",
    ),
    Route(
        "documentation:evidence_custody",
        lambda w: f"{PAGE}/evidence/{_a(w, 'evidence')}/custody/",
        DOC,
        method="post",
        data={"action": "handed_over", "note": "to the lawyer"},
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/evidence/{_b(w, 'evidence')}/custody/",
    ),
    Route("documentation:perpetrators", lambda w: f"{PAGE}/perpetrators/", DOC),
    Route(
        "documentation:perpetrators",
        lambda w: f"{PAGE}/perpetrators/",
        DOC,
        method="post",
        data={"kind": "unit", "name": "Regiment", "description": ""},
        ok_status=(302,),
    ),
    Route("documentation:perpetrator", lambda w: f"{PAGE}/perpetrators/{_a(w, 'perpetrator')}/", DOC),
    Route("documentation:perpetrator_edit", lambda w: f"{PAGE}/perpetrators/{_a(w, 'perpetrator')}/edit/", DOC),
    Route(
        "documentation:perpetrator_edit",
        lambda w: f"{PAGE}/perpetrators/{_a(w, 'perpetrator')}/edit/",
        DOC,
        method="post",
        data={"kind": "unit", "name": "Unit A, renamed"},
        ok_status=(302,),
    ),
    Route("documentation:sources", lambda w: f"{PAGE}/sources/", DOC),
    Route("documentation:source_new", lambda w: f"{PAGE}/sources/new/", DOC),
    Route("documentation:source_new", lambda w: f"{PAGE}/sources/new/", DOC, method="post", data=_source_form, ok_status=(302,)),
    Route(
        "documentation:source",
        lambda w: f"{PAGE}/sources/{_a(w, 'source')}/",
        DOC,
        other_team_url=lambda w: f"{PAGE}/sources/{_b(w, 'source')}/",
    ),
    Route(
        "documentation:source_edit",
        lambda w: f"{PAGE}/sources/{_a(w, 'source')}/edit/",
        DOC,
        other_team_url=lambda w: f"{PAGE}/sources/{_b(w, 'source')}/edit/",
    ),
    Route(
        "documentation:source_edit",
        lambda w: f"{PAGE}/sources/{_a(w, 'source')}/edit/",
        DOC,
        method="post",
        data={"kind": "media", "title": "Report A, renamed"},
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/sources/{_b(w, 'source')}/edit/",
    ),
    Route(
        "documentation:source_derived",
        lambda w: f"{PAGE}/sources/{_a(w, 'source')}/derived/",
        DOC,
        method="post",
        data=lambda w: {"derived_from": str(w.extra["original"].pk)},
        ok_status=(302,),
        other_team_url=lambda w: f"{PAGE}/sources/{_b(w, 'source')}/derived/",
    ),
    Route("documentation:vocabulary", lambda w: f"{PAGE}/vocabulary/", DOC),
    Route(
        "documentation:vocabulary",
        lambda w: f"{PAGE}/vocabulary/",
        DOC,
        method="post",
        data=lambda w: {
            "vocabulary": "method",
            "code": "waterboarding",
            "parent": str(term("torture").pk),
            "active": "on",
            "label_en": "waterboarding",
            "label_ru": "пытка водой",
        },
        ok_status=(302,),
    ),
    Route("documentation:export", lambda w: f"{PAGE}/export/", DOC),
    Route("documentation:import", lambda w: f"{PAGE}/import/", DOC),
    Route("documentation:term_edit", lambda w: f"{PAGE}/vocabulary/{term('beating').pk}/", DOC),
    Route(
        "documentation:term_edit",
        lambda w: f"{PAGE}/vocabulary/{term('beating').pk}/",
        DOC,
        method="post",
        data=lambda w: {"parent": str(term("torture").pk), "active": "on", "label_en": "beating", "label_ru": "избиение"},
        ok_status=(302,),
    ),
]


def test_permission_matrix(world: World) -> None:
    checks = check_matrix(world, ROUTES)
    other_team = sum(1 for route in ROUTES if route.other_team_url is not None)
    assert checks == len(ROUTES) * 8 + other_team
    # What the allowed requests did, and nothing of team B's was touched.
    a, b = world.extra["a"], world.extra["b"]
    assert Event.objects.get(pk=a["event"].pk).follows_id == world.extra["earlier"].pk
    assert str(Event.objects.get(pk=a["event"].pk).title) == "Detention A, renamed"
    assert Involvement.objects.filter(pk=world.extra["spare"].pk).exists() is False
    assert Source.objects.get(pk=a["source"].pk).derived_from_id == world.extra["original"].pk
    assert Evidence.objects.filter(redacted_from=a["evidence"]).count() == 1
    assert (Event.objects.filter(team=world.team_b).count(), Act.objects.filter(event__team=world.team_b).count()) == (1, 1)
    assert Evidence.objects.filter(event=b["event"]).count() == 1
    assert str(Event.objects.get(pk=b["event"].pk).title) == "Detention B"
    assert Information.objects.filter(source=b["source"]).count() == 1
    assert Perpetrator.objects.filter(name__isnull=False).count() >= 1
