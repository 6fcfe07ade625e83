"""Documentation pages: the access matrix for every page, the forms' validation, and the rule the
issue insists on — a victim's or a testimony-giver's identity only where their case is visible.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.utils import override_settings

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import Route, World, check_matrix, make_staff, make_world, sign_in
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
    Route(
        "documentation:export",
        lambda w: f"{PAGE}/export/",
        DOC,
        method="post",
        data={"audience": "public", "partner": "", "format": "huridocs"},
    ),
    Route("documentation:import", lambda w: f"{PAGE}/import/", DOC),
    Route(
        "documentation:import",
        lambda w: f"{PAGE}/import/",
        DOC,
        method="post",
        data=lambda w: {
            "team": str(w.team_a.pk),
            "reports": "title,text,address\nReprint,They were taken at night.,https://example.org/r\n",
            "step": "save",
        },
        ok_status=(302,),
    ),
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


# -- who may see whom --------------------------------------------------------------------------


@pytest.fixture
def hidden_victim() -> dict[str, Any]:
    """An event of team A whose victim's case is in team C: one officer sees both teams, the
    other only A. The second must never learn who the victim is, nor who gave the testimony."""
    team_a, team_c = Team.objects.create(name="Events A"), Team.objects.create(name="Cases C")
    both = make_staff(Role.DOCUMENTATION, teams=[team_a, team_c], username="doc-both")
    only_a = make_staff(Role.DOCUMENTATION, teams=[team_a], username="doc-only-a")
    worker = make_staff(Role.CASEWORKER, teams=[team_c], username="worker-c")
    person = victim(worker, team_c, "Тимур Скрытый")
    event = domain.create_event(both, team=team_a, title="Detention in Grozny", start=D(2024, 5, 1))
    act = domain.add_act(both, event, victim=person, act_type=term("arbitrary_detention"), start=D(2024, 5, 1))
    unit = domain.create_perpetrator(both, kind="unit", name="Battalion North")
    domain.add_involvement(both, act, perpetrator=unit, degree="direct")
    testimony = domain.create_source(both, team=team_a, kind="testimony", person=person, title="His account", text="I was held.")
    domain.link_information(both, testimony, act_=act, how_known="victim")
    return {"both": both, "only_a": only_a, "person": person, "event": event, "unit": unit, "testimony": testimony}


def test_a_reader_who_cannot_see_the_victims_case_sees_no_codename(hidden_victim: dict[str, Any]) -> None:
    codename = hidden_victim["person"].codename
    hidden = "a person in a case you cannot see"
    pages = [
        f"{PAGE}/events/{hidden_victim['event'].pk}/",
        f"{PAGE}/perpetrators/{hidden_victim['unit'].pk}/",
        f"{PAGE}/sources/{hidden_victim['testimony'].pk}/",
        f"{PAGE}/sources/",
    ]
    for url in pages:
        seen = sign_in(Client(), hidden_victim["both"]).get(url)
        unseen = sign_in(Client(), hidden_victim["only_a"]).get(url)
        assert (seen.status_code, unseen.status_code) == (200, 200), url
        assert codename in seen.content.decode(), url
        body = unseen.content.decode()
        assert codename not in body, url
        assert str(hidden_victim["person"].pk) not in body, url
        assert "Тимур" not in body and "Скрытый" not in body, url
        assert hidden in body, url


def test_the_act_form_offers_only_people_of_visible_cases(hidden_victim: dict[str, Any]) -> None:
    client = sign_in(Client(), hidden_victim["only_a"])
    url = f"{PAGE}/events/{hidden_victim['event'].pk}/acts/new/"
    assert hidden_victim["person"].codename not in client.get(url).content.decode()
    form = {"victim": str(hidden_victim["person"].pk), "act_type": str(term("torture").pk), "start_precision": "exact"}
    response = client.post(url, form | {"end_precision": "exact", "end_status": "unknown"})
    assert response.status_code == 400
    assert Act.objects.filter(event=hidden_victim["event"]).count() == 1


# -- forms explain ----------------------------------------------------------------------------


def _officer(world: World) -> Client:
    return sign_in(Client(), world.users[Role.DOCUMENTATION])


def test_event_form_refuses_an_end_before_the_start_and_a_future_date(world: World) -> None:
    client = _officer(world)
    before = Event.objects.count()
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    response = client.post(f"{PAGE}/events/new/", _event_form(world) | {"start": "2024-03-05", "end": "2024-03-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    response = client.post(f"{PAGE}/events/new/", _event_form(world) | {"start": tomorrow})
    assert response.status_code == 400
    assert "This date is in the future" in response.content.decode()
    assert Event.objects.count() == before


def test_act_form_refuses_a_method_of_another_type_of_act(world: World) -> None:
    client = _officer(world)
    url = f"{PAGE}/events/{_a(world, 'event')}/acts/new/"
    response = client.post(url, _act_form(world) | {"act_type": str(term("threats").pk)})
    assert response.status_code == 400
    assert "These methods belong to another type of act: electric shock." in response.content.decode()
    assert Act.objects.filter(event_id=_a(world, "event")).count() == 1


def test_a_testimony_needs_the_person_who_gave_it(world: World) -> None:
    response = _officer(world).post(f"{PAGE}/sources/new/", _source_form(world) | {"kind": "testimony"})
    assert response.status_code == 400
    assert "A testimony is given by a person: choose them." in response.content.decode()


def test_russian_pages_say_it_in_russian(world: World) -> None:
    client = sign_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), world.users[Role.DOCUMENTATION])
    body = client.get(f"{PAGE}/events/{_a(world, 'event')}/").content.decode()
    assert "пытки" in body and "избиение" in body
    assert "Acts" not in body


def test_a_stale_edit_is_refused_and_says_why(world: World) -> None:
    client = _officer(world)
    url = f"{PAGE}/events/{_a(world, 'event')}/edit/"
    stale = client.get(url).context["form"].initial["seen"]
    assert client.post(url, _event_form(world) | {"title": "First", "seen": stale}).status_code == 302
    response = client.post(url, _event_form(world) | {"title": "Second", "seen": stale})
    assert response.status_code == 400
    assert "Someone else changed this record" in response.content.decode()
    assert str(Event.objects.get(pk=_a(world, "event")).title) == "First"


# -- corroboration and near-duplicates as the pages show them ------------------------------------


def test_a_copy_of_a_report_is_not_a_second_source_on_the_event_page(world: World) -> None:
    officer = world.users[Role.DOCUMENTATION]
    a = world.extra["a"]
    words = "Security forces detained him at a checkpoint near Argun and held him for ten days without charge."
    original = domain.create_source(officer, team=world.team_a, kind="media", title="Original report", text=words)
    reprint = domain.create_source(officer, team=world.team_a, kind="media", title="Reprint", text=words + " Reprinted.")
    for source in (original, reprint):
        domain.link_information(officer, source, act_=a["act"], how_known="hearsay", reported_start=D(2024, 3, 2))
    client = _officer(world)
    page = client.get(f"{PAGE}/events/{_a(world, 'event')}/")
    result = page.context["acts"][0]["corroboration"]
    # Report A (the fixture's), the original and its reprint: the reprint is not yet marked.
    assert result.independent == 3
    assert [sorted(str(s.title) for s in flag.sources) for flag in page.context["flags"]] == [["Original report", "Reprint"]]
    domain.mark_derived(officer, reprint, original)
    page = client.get(f"{PAGE}/events/{_a(world, 'event')}/")
    result = page.context["acts"][0]["corroboration"]
    assert (result.independent, result.sources) == (2, 3)
    assert page.context["flags"] == []
    body = page.content.decode()
    assert "2 independent sources" in body
    assert "3 sources, but they trace back to 2 independent originals." in body


def test_import_preview_flags_a_copy_and_saves_nothing(world: World) -> None:
    client = _officer(world)
    before = Source.objects.count()
    reports = "title,text,address\nReprint A,They were taken at night.,https://example.org/r\nOther,Nothing alike at all here,\n"
    response = client.post(f"{PAGE}/import/", {"team": str(world.team_a.pk), "reports": reports, "step": "preview"})
    assert response.status_code == 200
    rows = response.context["preview"]
    assert [(row["title"], [s.title for s, _score in row["matches"]]) for row in rows] == [
        ("Reprint A", ["Report A"]),
        ("Other", []),
    ]
    assert Source.objects.count() == before
    response = client.post(f"{PAGE}/import/", {"team": str(world.team_a.pk), "reports": "no header at all", "step": "preview"})
    assert response.status_code == 400
    assert Source.objects.count() == before


def test_export_leaves_internal_events_out(world: World) -> None:
    response = _officer(world).post(f"{PAGE}/export/", {"audience": "public", "format": "huridocs"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"Detention A" not in response.content  # the fixture's events are internal
    response = _officer(world).post(f"{PAGE}/export/", {"audience": "partner", "partner": "", "format": "uwazi-events"})
    assert response.status_code == 400
    assert "Name the partner the export is for" in response.content.decode()


# -- lists, filters, timeline --------------------------------------------------------------------


def test_filters_by_type_of_act_and_period(world: World) -> None:
    officer = world.users[Role.DOCUMENTATION]
    threat = domain.create_event(officer, team=world.team_a, title="Threats by phone", start=D(2023, 1, 10), end=D(2023, 2, 1))
    domain.add_act(officer, threat, victim=world.extra["a"]["act"].victim, act_type=term("threats"))
    client = _officer(world)

    def titles(query: dict[str, str]) -> list[str]:
        response = client.get(f"{PAGE}/", query)
        assert response.status_code == 200
        return [str(event.title) for event, _types in response.context["rows"]]

    assert titles({}) == ["Detention A", "Earlier", "Threats by phone"]
    assert titles({"act_type": str(term("threats").pk)}) == ["Threats by phone"]
    assert titles({"act_type": str(term("torture").pk)}) == ["Detention A"]
    # Overlap: the threats ran to 1 February 2023.
    assert titles({"after": "2023-01-20", "before": "2023-12-31"}) == ["Threats by phone"]
    assert titles({"after": "2024-02-15"}) == ["Detention A"]
    response = client.get(f"{PAGE}/", {"after": "2024-02-15", "before": "2024-01-01"})
    assert response.status_code == 400
    assert "The end of the period is before its start." in response.content.decode()


def test_the_timeline_escapes_what_it_draws(world: World) -> None:
    officer = world.users[Role.DOCUMENTATION]
    domain.create_event(officer, team=world.team_a, title="<script>alert(1)</script> & raid", start=D(2024, 1, 5))
    body = _officer(world).get(f"{PAGE}/timeline/").content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; raid" in body
    assert body.count("<rect ") == 3  # one bar per event of team A; team B's is not drawn
    assert "Detention B" not in body


def test_a_perpetrator_page_lists_only_acts_the_reader_can_see(world: World) -> None:
    officer_b = User.objects.get(username="doc-b")
    unit = world.extra["a"]["perpetrator"]
    body = sign_in(Client(), officer_b).get(f"{PAGE}/perpetrators/{unit.pk}/").content.decode()
    assert "Unit A" in body
    assert "Detention A" not in body
    assert world.extra["a"]["act"].victim.codename not in body
    assert "No act you can see is attributed to them." in body


# -- evidence ---------------------------------------------------------------------------------


def test_a_refused_file_says_why_and_keeps_nothing(world: World) -> None:
    before = Evidence.objects.count()
    upload = SimpleUploadedFile("tool.exe", b"MZ\x90\x00 not a document", content_type="application/octet-stream")
    response = _officer(world).post(f"{PAGE}/events/{_a(world, 'event')}/evidence/", {"file": upload})
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()
    assert Evidence.objects.count() == before


def test_a_download_is_a_custody_entry(world: World) -> None:
    evidence = world.extra["a"]["evidence"]
    response = _officer(world).get(f"{PAGE}/evidence/{evidence.pk}/file/", {"download": "1"})
    assert response.status_code == 200
    assert response.content == b"A statement, typed.\n"
    assert response["Content-Disposition"].startswith("attachment;")
    custody = Evidence.objects.get(pk=evidence.pk).custody
    assert [entry["action"] for entry in custody] == ["received", "downloaded"]
    page = _officer(world).get(f"{PAGE}/evidence/{evidence.pk}/").content.decode()
    assert "downloaded" in page and "received" in page


@override_settings(CORRIDOR_REGION_IN_CLEAR=True)
def test_region_in_clear_only_when_chosen_and_then_a_filter(world: World) -> None:
    client = _officer(world)
    assert client.post(f"{PAGE}/events/new/", _event_form(world) | {"region": "Chechnya"}).status_code == 302
    response = client.get(f"{PAGE}/", {"region": "Chechnya"})
    assert [str(event.title) for event, _types in response.context["rows"]] == ["Transfer to Argun"]
    assert '<option value="Chechnya" selected>Chechnya</option>' in response.content.decode()
    with override_settings(CORRIDOR_REGION_IN_CLEAR=False):
        page = client.get(f"{PAGE}/events/new/").content.decode()
        assert 'name="region"' not in page


def test_a_testimony_by_someone_the_editor_cannot_see_stays_theirs(hidden_victim: dict[str, Any]) -> None:
    testimony = hidden_victim["testimony"]
    client = sign_in(Client(), hidden_victim["only_a"])
    url = f"{PAGE}/sources/{testimony.pk}/edit/"
    page = client.get(url)
    assert "person" not in page.context["form"].fields
    assert hidden_victim["person"].codename not in page.content.decode()
    response = client.post(url, {"kind": "testimony", "title": "His account, dated", "text": "I was held."})
    assert response.status_code == 302
    saved = Source.objects.get(pk=testimony.pk)
    assert (str(saved.title), saved.person_id) == ("His account, dated", hidden_victim["person"].pk)
