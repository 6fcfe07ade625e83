"""The access matrix for every relocation page and endpoint: anonymous, every role, and team B's
objects (404) — plus pages that render real content and never link to another host."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client

from corridor.accounts.models import Role
from corridor.accounts.testing import Route, check_matrix, make_world, sign_in
from corridor.relocation import domain
from corridor.relocation.models import Country, Programme
from corridor.relocation.tests.factories import S, make_case, walk

pytestmark = pytest.mark.django_db
D = datetime.date
CASE_ROLES = {Role.RELOCATION, Role.CASEWORKER}
COORD = {Role.RELOCATION}


@pytest.fixture
def world() -> Any:
    world = make_world()
    lt = Programme.objects.get(country="LT")
    for key, team, actor in (("a", world.team_a, world.users[Role.CASEWORKER]), ("b", world.team_b, world.outsider)):
        case = make_case(actor, team)
        world.extra[f"case_{key}"] = case
        world.extra[f"app_{key}"] = walk(
            actor, case, lt, [(S.SUBMITTED, D(2024, 1, 1))], channel=f"Channel {key} LEAKCHANNEL{key}"
        )
    coordinator = world.users[Role.RELOCATION]
    contact = domain.create_contact(
        coordinator, country=lt.country, kind="embassy", organisation="Embassy", name="Consul LEAKCONTACT"
    )
    world.extra["contact"] = contact
    world.extra["engagement"] = domain.log_engagement(coordinator, contact, asked="Asked LEAKASK")
    world.extra["programme"] = lt
    return world


def _on(kind: str, key: str, suffix: str = "", prefix: str = "/relocation/") -> Any:
    """The address of team `key`'s case or application (`kind` "case" or "app")."""
    plural = {"case": "cases", "app": "applications"}[kind]
    return lambda w: f"{prefix}{plural}/{w.extra[f'{kind}_{key}'].pk}/{suffix}"


def _team(name: str, kind: str, suffix: str = "", *, api: bool = False, **options: Any) -> Route:
    """A case-role page or endpoint on team A's case or application, tried on team B's too (404)."""
    prefix = "/api/v1/relocation/" if api else "/relocation/"
    return Route(
        name,
        _on(kind, "a", suffix, prefix),
        CASE_ROLES,
        api=api,
        other_team_url=_on(kind, "b", suffix, prefix),
        **options,
    )


PAGES = [
    Route("relocation:index", lambda w: "/relocation/", CASE_ROLES),
    Route("relocation:charts", lambda w: "/relocation/charts/", CASE_ROLES),
    Route("relocation:alerts", lambda w: "/relocation/alerts/", CASE_ROLES),
    Route("relocation:country", lambda w: "/relocation/countries/LT/", CASE_ROLES),
    Route("relocation:programme_new", lambda w: "/relocation/programmes/new/", COORD),
    Route("relocation:programme_edit", lambda w: f"/relocation/programmes/{w.extra['programme'].pk}/edit/", COORD),
    Route("relocation:programme_new", lambda w: "/relocation/programmes/new/", COORD, method="post", ok_status=(400,)),
    _team("relocation:case", "case"),
    _team("relocation:case_profile", "case", "profile/", method="post", data={"referral": "unhcr"}, ok_status=(302,)),
    _team("relocation:application_new", "case", "applications/new/", method="post", ok_status=(400,)),
    _team("relocation:application", "app"),
    _team("relocation:application_transition", "app", "transition/", method="post", ok_status=(400,)),
    _team(
        "relocation:application_checklist",
        "app",
        "checklist/",
        method="post",
        data={"kind": "photos", "status": "obtained"},
        ok_status=(302,),
    ),
    Route("relocation:contacts", lambda w: "/relocation/contacts/", COORD),
    Route("relocation:contacts", lambda w: "/relocation/contacts/", COORD, method="post", ok_status=(400,)),
    Route("relocation:contact", lambda w: f"/relocation/contacts/{w.extra['contact'].pk}/", COORD),
    Route(
        "relocation:contact", lambda w: f"/relocation/contacts/{w.extra['contact'].pk}/", COORD, method="post", ok_status=(400,)
    ),
    Route(
        "relocation:engagement_close",
        lambda w: f"/relocation/engagements/{w.extra['engagement'].pk}/close/",
        COORD,
        method="post",
        ok_status=(302,),
    ),
]


def _api(path: Any) -> Any:
    return lambda w: "/api/v1/relocation/" + (path(w) if callable(path) else path)


def _coordinators(name: str, template: str, **options: Any) -> Route:
    """A coordinators' endpoint; `template` names the world's contact and engagement."""

    def url(w: Any) -> str:
        return "/api/v1/relocation/" + template.format(contact=w.extra["contact"].pk, engagement=w.extra["engagement"].pk)

    return Route(name, url, COORD, api=True, **options)


API = [
    Route("api-relocation-countries", _api("countries/"), CASE_ROLES, api=True),
    Route("api-relocation-programmes", _api("programmes/"), CASE_ROLES, api=True),
    Route("api-relocation-programme", _api(lambda w: f"programmes/{w.extra['programme'].pk}/"), CASE_ROLES, api=True),
    Route("api-relocation-programmes", _api("programmes/"), COORD, api=True, method="post", ok_status=(400,)),
    Route("api-relocation-programme", _api(lambda w: f"programmes/{w.extra['programme'].pk}/"), COORD, api=True, method="patch"),
    Route("api-relocation-figures", _api("figures/"), CASE_ROLES, api=True),
    _team("api-relocation-case-applications", "case", "applications/", api=True),
    _team("api-relocation-case-applications", "case", "applications/", api=True, method="post", ok_status=(400,)),
    _team("api-relocation-case-profile", "case", "profile/", api=True),
    _team(
        "api-relocation-case-profile",
        "case",
        "profile/",
        api=True,
        method="put",
        data={"referral": "partner", "family_ties": ["DE"]},
    ),
    _team("api-relocation-case-routes", "case", "routes/", api=True),
    _team("api-relocation-application", "app", api=True),
    _team("api-relocation-application-transition", "app", "transitions/", api=True, method="post", ok_status=(400,)),
    _team(
        "api-relocation-application-checklist",
        "app",
        "checklist/",
        api=True,
        method="post",
        data={"kind": "photos", "status": "submitted"},
    ),
    _coordinators("api-relocation-contacts", "contacts/"),
    _coordinators("api-relocation-contacts", "contacts/", method="post", ok_status=(400,)),
    _coordinators("api-relocation-contact", "contacts/{contact}/"),
    _coordinators("api-relocation-contact-engagements", "contacts/{contact}/engagements/"),
    _coordinators("api-relocation-contact-engagements", "contacts/{contact}/engagements/", method="post", ok_status=(400,)),
    _coordinators("api-relocation-engagement-close", "engagements/{engagement}/close/", method="post", ok_status=(400,)),
    Route("api-relocation-alerts", _api("alerts/"), CASE_ROLES, api=True),
]

ROUTES = PAGES + API


def test_page_matrix(world: Any) -> None:
    assert check_matrix(world, PAGES) == len(PAGES) * (1 + len(world.users)) + 2 * sum(
        1 for r in PAGES if r.other_team_url
    ) - sum(1 for r in PAGES if r.other_team_url and Role.ADMIN in r.roles)


def test_api_matrix(world: Any) -> None:
    assert check_matrix(world, API) > len(API) * len(world.users)


def test_other_teams_data_never_appears(world: Any) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    page = client.get(f"/relocation/applications/{world.extra['app_a'].pk}/").content.decode()
    assert "LEAKCHANNELa" in page and "LEAKCHANNELb" not in page
    body = client.get(f"/api/v1/relocation/cases/{world.extra['case_a'].pk}/applications/").json()
    assert [a["channel"] for a in body] == ["Channel a LEAKCHANNELa"]
    # A caseworker sees programmes and figures, never the coordinators' contacts.
    country = client.get("/relocation/countries/LT/").content.decode()
    assert "LEAKCONTACT" not in country and "LEAKASK" not in country
    coordinator = sign_in(Client(), world.users[Role.RELOCATION])
    country = coordinator.get("/relocation/countries/LT/").content.decode()
    assert "LEAKCONTACT" in country and "LEAKASK" in country


def test_pages_link_to_no_other_host_and_show_sources_as_text(world: Any) -> None:
    client = sign_in(Client(), world.users[Role.RELOCATION])
    for url in (
        "/relocation/",
        "/relocation/countries/LT/",
        "/relocation/countries/DE/",
        "/relocation/charts/",
        f"/relocation/cases/{world.extra['case_a'].pk}/",
    ):
        html = client.get(url).content.decode()
        foreign = [ref for ref in re.findall(r'(?:href|src|action)="([^"]+)"', html) if ref.startswith(("http:", "https:", "//"))]
        assert foreign == [], url
    assert "https://www.migracija.lt/" in client.get("/relocation/countries/LT/").content.decode()


def test_bad_input_gets_form_errors_not_500(world: Any) -> None:
    client = sign_in(Client(), world.users[Role.RELOCATION])
    app = world.extra["app_a"]
    response = client.post(
        f"/relocation/applications/{app.pk}/transition/", {"status": "refused", "on": "2024-02-01", "reason": "no"}
    )
    assert response.status_code == 400
    assert "Choose the reason given for the refusal." in response.content.decode()
    response = client.post(
        f"/relocation/applications/{app.pk}/transition/", {"status": "interview", "on": "2023-01-01", "reason": "x"}
    )
    assert response.status_code == 400 and "before the previous step" in response.content.decode()
    response = client.post(
        "/relocation/programmes/new/",
        {
            "country": "LT",
            "name": "x",
            "kind": "national_visa",
            "referral": "none",
            "source_url": "ftp://x",
            "checked": "2024-01-01",
        },
    )
    assert response.status_code == 400 and "starting with https://" in response.content.decode()
    api = client.post(
        f"/api/v1/relocation/applications/{app.pk}/transitions/",
        {"status": "arrived", "reason": "x"},
        content_type="application/json",
    )
    assert (api.status_code, list(api.json()["error"]["fields"])) == (400, ["status"])
    assert client.get("/relocation/countries/XX/").status_code == 404
    assert client.get("/relocation/applications/not-a-uuid/").status_code == 404


def test_api_creates_and_moves_an_application(world: Any) -> None:
    client = sign_in(Client(), world.users[Role.CASEWORKER])
    case = world.extra["case_a"]
    fr = Programme.objects.get(country="FR")
    person = case.members.get(role="principal").person
    created = client.post(
        f"/api/v1/relocation/cases/{case.pk}/applications/",
        {"programme": fr.pk, "channel": "Consulate", "members": [str(person.pk)]},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["members"], [e["status"] for e in body["events"]]) == ("draft", [str(person.pk)], ["draft"])
    moved = client.post(
        f"/api/v1/relocation/applications/{body['id']}/transitions/",
        {"status": "submitted", "reason": "sent"},
        content_type="application/json",
    )
    assert (moved.status_code, moved.json()["status"]) == (201, "submitted")
    routes = client.get(f"/api/v1/relocation/cases/{case.pk}/routes/").json()
    assert next(r for r in routes if r["programme"] == fr.pk)["notes"] == ["already applied: submitted"]
    figures = client.get("/api/v1/relocation/figures/?country=LT").json()
    # Team A's own application only: team B's lone one in this programme is below the small-cell limit.
    assert {(f["country"], f["programme"], f["applications"]) for f in figures} == {
        ("LT", world.extra["programme"].pk, 1),
        ("LT", None, 1),
    }
    # A person from another case is refused, nothing is written.
    other = world.extra["case_b"].members.get(role="principal").person
    refused = client.post(
        f"/api/v1/relocation/cases/{case.pk}/applications/",
        {"programme": Programme.objects.get(country="LV").pk, "channel": "x", "members": [str(other.pk)]},
        content_type="application/json",
    )
    assert refused.status_code == 400


def test_schema_lists_relocation_endpoints() -> None:
    schema = Client().get("/api/schema/", headers={"accept": "application/json"}).content.decode()
    for path in (
        "/api/v1/relocation/figures/",
        "/api/v1/relocation/cases/{case_id}/routes/",
        "/api/v1/relocation/contacts/{id}/engagements/",
    ):
        assert path in schema
    assert Country.objects.count() == 249
