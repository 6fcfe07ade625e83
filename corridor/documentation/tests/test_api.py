"""The documentation API: the access matrix over every operation, the victim-visibility rule, and
the domain's refusals arriving as 400/403/409 with the standard error body."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from corridor.accounts import domain as accounts_domain
from corridor.accounts.models import Role
from corridor.accounts.testing import Route, check_matrix, make_staff, make_world, sign_in
from corridor.documentation import domain
from corridor.documentation.tests.factories import act_on, event, officer, perpetrator, person_in_case, source

pytestmark = pytest.mark.django_db

DOC = {Role.DOCUMENTATION}
API = "/api/v1/documentation/"
D = datetime.date


def _objects(actor: Any, team: Any, tag: str) -> dict[str, Any]:
    victim, _case = person_in_case(team, f"Victim {tag} LEAKVICTIM{tag}")
    made = event(actor, team, title=f"Event {tag} LEAKEVENT{tag}")
    act = act_on(actor, made, victim, place=f"Cellar LEAKPLACE{tag}")
    unit = perpetrator(actor, f"Unit LEAKPERP{tag}")
    report = source(actor, team, title=f"Report {tag}", text=f"Text of the report LEAKTEXT{tag}")
    info = domain.link_information(actor, report, act_=act, how_known="hearsay", reported_start=D(2017, 3, 1))
    involvement = domain.add_involvement(actor, act, perpetrator=unit, degree="direct")
    evidence = domain.add_evidence(actor, made, SimpleUploadedFile("note.txt", b"a medical note\n", "text/plain"))
    return {
        f"victim_{tag}": victim,
        f"event_{tag}": made,
        f"act_{tag}": act,
        f"perpetrator_{tag}": unit,
        f"source_{tag}": report,
        f"info_{tag}": info,
        f"involvement_{tag}": involvement,
        f"evidence_{tag}": evidence,
    }


@pytest.fixture
def world() -> Any:
    world = make_world()
    world.extra.update(_objects(world.users[Role.DOCUMENTATION], world.team_a, "a"))
    world.extra.update(_objects(officer(world.team_b, "doc-b"), world.team_b, "b"))
    return world


def _on(kind: str, suffix: str = "") -> tuple[Any, Any]:
    """Team A's object of `kind`, and team B's (which team A's officer must get as 404)."""
    plural = {"event": "events", "act": "acts", "source": "sources", "evidence": "evidence", "involvement": "involvements"}[kind]
    return (
        lambda w: f"{API}{plural}/{w.extra[f'{kind}_a'].pk}/{suffix}",
        lambda w: f"{API}{plural}/{w.extra[f'{kind}_b'].pk}/{suffix}",
    )


def _team(name: str, kind: str, suffix: str = "", **options: Any) -> Route:
    url, other = _on(kind, suffix)
    return Route(name, url, DOC, api=True, other_team_url=other, **options)


def _list(name: str, path: str, **options: Any) -> Route:
    return Route(name, lambda w: API + path, DOC, api=True, **options)


API_ROUTES = [
    _list("api-documentation-terms", "vocabulary/"),
    _list("api-documentation-terms", "vocabulary/", method="post", ok_status=(400,)),
    Route(
        "api-documentation-term",
        lambda w: f"{API}vocabulary/{domain_term('torture').pk}/",
        DOC,
        api=True,
        method="patch",
        data={"labels": {"en": "torture", "ru": "пытки"}},
    ),
    _list("api-documentation-events", "events/"),
    _list("api-documentation-events", "events/", method="post", ok_status=(400,)),
    _team("api-documentation-event", "event"),
    _team("api-documentation-event", "event", method="patch", data={"description": "more"}),
    _team("api-documentation-event-chain", "event", "chain/", method="post", data={"follows": None}),
    _team("api-documentation-event-acts", "event", "acts/"),
    _team("api-documentation-event-acts", "event", "acts/", method="post", ok_status=(400,)),
    _team("api-documentation-event-evidence", "event", "evidence/"),
    _team("api-documentation-act", "act"),
    _team("api-documentation-act", "act", method="patch", data={"end_status": "released"}),
    _team("api-documentation-act-corroboration", "act", "corroboration/"),
    _team("api-documentation-act-involvements", "act", "involvements/"),
    _team("api-documentation-act-involvements", "act", "involvements/", method="post", ok_status=(400,)),
    _team("api-documentation-involvement", "involvement", method="delete", ok_status=(204,)),
    _list("api-documentation-perpetrators", "perpetrators/"),
    _list("api-documentation-perpetrators", "perpetrators/", method="post", ok_status=(400,)),
    Route("api-documentation-perpetrator", lambda w: f"{API}perpetrators/{w.extra['perpetrator_a'].pk}/", DOC, api=True),
    Route(
        "api-documentation-perpetrator",
        lambda w: f"{API}perpetrators/{w.extra['perpetrator_a'].pk}/",
        DOC,
        api=True,
        method="patch",
        data={"description": "a special police regiment"},
    ),
    _list("api-documentation-sources", "sources/"),
    _list("api-documentation-sources", "sources/", method="post", ok_status=(400,)),
    _team("api-documentation-source", "source"),
    _team("api-documentation-source", "source", method="patch", data={"author": "an outlet"}),
    _team("api-documentation-source-derived-from", "source", "derived-from/", method="post", data={"derived_from": None}),
    _team("api-documentation-source-information", "source", "information/"),
    _team("api-documentation-source-information", "source", "information/", method="post", ok_status=(400,)),
    _team("api-documentation-source-near-duplicates", "source", "near-duplicates/"),
    _team("api-documentation-evidence", "evidence"),
    _team(
        "api-documentation-evidence-custody",
        "evidence",
        "custody/",
        method="post",
        data={"action": "exported", "note": "to the UN"},
        ok_status=(201,),
    ),
    _list("api-documentation-export-json", "export/huridocs.json?audience=public"),
    _list("api-documentation-export-uwazi", "export/uwazi/events.csv?audience=public"),
    _list("api-documentation-import-media", "import/media/", method="post", ok_status=(400,)),
]

ROUTES = API_ROUTES


def domain_term(code: str) -> Any:
    from corridor.documentation.models import Term

    return Term.objects.get(vocabulary="act_type", code=code)


def test_api_matrix(world: Any) -> None:
    assert check_matrix(world, API_ROUTES) > len(API_ROUTES) * len(world.users)


def _client(user: Any) -> Client:
    return sign_in(Client(), user)


def test_other_teams_data_never_appears(world: Any) -> None:
    client = _client(world.users[Role.DOCUMENTATION])
    bodies = [
        client.get(f"{API}events/").content.decode(),
        client.get(f"{API}sources/").content.decode(),
        client.get(f"{API}perpetrators/{world.extra['perpetrator_b'].pk}/").content.decode(),
    ]
    assert "LEAKEVENTa" in bodies[0] and "LEAKEVENTb" not in bodies[0]
    assert "Report a" in bodies[1] and "Report b" not in bodies[1]
    # Team B's perpetrator record is the organisation's, but team B's acts are not listed.
    assert world.extra["event_b"].pk.hex not in bodies[2].replace("-", "")


def test_victim_identity_only_where_their_case_is_visible() -> None:
    team_a = accounts_domain.create_team(None, "Documentation A")
    team_c = accounts_domain.create_team(None, "Shelter C")
    recorder = officer(team_a, "recorder")
    accounts_domain.set_role_and_teams(None, recorder, role=Role.DOCUMENTATION, teams=[team_a, team_c])
    reader = officer(team_a, "reader")
    hidden_victim, _case = person_in_case(team_c, "Hidden Victim Name")
    known_victim, _case2 = person_in_case(team_a, "Known Victim Name")
    made = event(recorder, team_a)
    hidden_act = act_on(recorder, made, hidden_victim)
    known_act = act_on(recorder, made, known_victim)
    unit = perpetrator(recorder, "Unit 9")
    for act in (hidden_act, known_act):
        domain.add_involvement(recorder, act, perpetrator=unit, degree="direct")

    client = _client(reader)
    acts = {row["id"]: row for row in client.get(f"{API}events/{made.pk}/acts/").json()}
    assert acts[str(known_act.pk)]["victim"] == {"id": str(known_victim.pk), "label": known_victim.codename}
    assert acts[str(hidden_act.pk)]["victim"] == {"id": None, "label": "a person in a case you cannot see"}
    detail = client.get(f"{API}acts/{hidden_act.pk}/").content.decode()
    assert hidden_victim.codename not in detail and str(hidden_victim.pk) not in detail

    # The perpetrator page lists both acts, and never reveals the victim of the invisible case.
    page = client.get(f"{API}perpetrators/{unit.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert hidden_victim.codename not in body and str(hidden_victim.pk) not in body
    victims = sorted((row["act"], row["victim"]["label"]) for row in page.json()["acts"])
    assert victims == sorted(
        [(str(hidden_act.pk), "a person in a case you cannot see"), (str(known_act.pk), known_victim.codename)]
    )

    # The recorder, who sees both cases, sees both names.
    recorder_body = _client(recorder).get(f"{API}perpetrators/{unit.pk}/").content.decode()
    assert hidden_victim.codename in recorder_body

    # The reader cannot attach the hidden person either: the same words as for nobody at all.
    refused = client.post(
        f"{API}events/{made.pk}/acts/", {"victim": str(hidden_victim.pk), "act_type": "torture"}, content_type="application/json"
    )
    missing = client.post(
        f"{API}events/{made.pk}/acts/", {"victim": str(made.pk), "act_type": "torture"}, content_type="application/json"
    )
    assert refused.status_code == missing.status_code == 400
    assert refused.json()["error"]["fields"] == missing.json()["error"]["fields"]


def test_create_event_act_sources_and_corroboration_through_the_api() -> None:
    team = accounts_domain.create_team(None, "Documentation A")
    doc = officer(team)
    victim, _case = person_in_case(team, "Victim")
    witness, _case2 = person_in_case(team, "Witness")
    client = _client(doc)

    def post(path: str, body: dict[str, Any]) -> Any:
        response = client.post(API + path, body, content_type="application/json")
        assert response.status_code == 201, response.content
        return response.json()

    made = post("events/", {"team": team.pk, "title": "Detention in Argun", "start": "2017-03-01"})
    act = post(
        f"events/{made['id']}/acts/", {"victim": str(victim.pk), "act_type": "torture", "methods": ["beating", "electric_shock"]}
    )
    assert act["methods"] == ["beating", "electric_shock"]
    testimony = post("sources/", {"team": team.pk, "kind": "testimony", "title": "Testimony", "person": str(victim.pk)})
    witness_account = post("sources/", {"team": team.pk, "kind": "testimony", "title": "Witness", "person": str(witness.pk)})
    report = post("sources/", {"team": team.pk, "kind": "media", "title": "Report"})
    reprint = post("sources/", {"team": team.pk, "kind": "media", "title": "Reprint", "derived_from": report["id"]})
    for src, how, day in (
        (testimony, "victim", "2017-03-01"),
        (witness_account, "witness", "2017-03-22"),
        (report, "hearsay", "2017-03-01"),
        (reprint, "hearsay", "2017-03-01"),
    ):
        post(f"sources/{src['id']}/information/", {"act": act["id"], "how_known": how, "reported_start": day})
    result = client.get(f"{API}acts/{act['id']}/corroboration/").json()
    assert (result["sources"], result["independent"], result["first_hand"]) == (4, 3, 2)
    assert result["score"] < 1
    assert "3 sources give dates 3 weeks apart." in [reason["text"] for reason in result["reasons"]]


def test_refusals_are_400_409_and_403() -> None:
    team = accounts_domain.create_team(None, "Documentation A")
    doc = officer(team)
    client = _client(doc)
    made = event(doc, team)
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = client.post(f"{API}events/", {"team": team.pk, "title": "x", "start": future}, content_type="application/json")
    assert response.status_code == 400 and "start" in response.json()["error"]["fields"]
    stale = made.updated.isoformat()
    assert (
        client.patch(f"{API}events/{made.pk}/", {"title": "new", "seen": stale}, content_type="application/json").status_code
        == 200
    )
    conflict = client.patch(f"{API}events/{made.pk}/", {"title": "newer", "seen": stale}, content_type="application/json")
    assert conflict.status_code == 409
    loop = client.post(f"{API}events/{made.pk}/chain/", {"follows": str(made.pk)}, content_type="application/json")
    assert loop.status_code == 400
    caseworker = sign_in(Client(), make_staff(Role.CASEWORKER, teams=[team]))
    assert caseworker.get(f"{API}events/").status_code == 403


def test_import_media_flags_a_copy() -> None:
    team = accounts_domain.create_team(None, "Documentation A")
    doc = officer(team)
    text = "Officers detained twelve men in Argun on the first of March and beat them in a former military building for days"
    source(doc, team, title="Original", text=text)
    response = _client(doc).post(
        f"{API}import/media/",
        {
            "team": team.pk,
            "reports": [
                {"title": "Reprint", "text": "Regional news: " + text},
                {"title": "Unrelated", "text": "The embassy opened a new visa programme this week for applicants"},
            ],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    rows = response.json()
    assert [len(row["matches"]) for row in rows] == [1, 0]
    assert rows[0]["source"]["kind"] == "media"


def test_schema_lists_documentation_endpoints() -> None:
    schema = Client().get("/api/schema/", headers={"accept": "application/json"}).json()
    paths = [path for path in schema["paths"] if path.startswith(API)]
    assert len(paths) == 23
