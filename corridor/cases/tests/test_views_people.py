"""People pages: the access matrix, search, new person with its duplicate check, detail, edit,
and bad input that must give a clear error and save nothing.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from corridor.accounts.models import Role
from corridor.accounts.testing import Route, World, check_matrix, make_world, sign_in
from corridor.audit.models import AuditEntry
from corridor.cases import domain
from corridor.cases.models import Case, CaseMember, DuplicateReview, Person
from corridor.keys.models import BlindIndexEntry

pytestmark = pytest.mark.django_db

CASE_ROLES = {Role.CASEWORKER, Role.HOTLINE, Role.RELOCATION, Role.DOCUMENTATION}
WRITE_ROLES = {Role.CASEWORKER, Role.HOTLINE}


def _make_person(actor: Any, team: Any, name: str, *, born: int = 1994, phone: str = "", **extra: Any) -> Person:
    contacts = [{"kind": "phone", "value": phone}] if phone else []
    person, _case = domain.create_person_with_case(
        actor,
        team=team,
        names=[{"name": name, "kind": "legal"}],
        birth_date=datetime.date(born, 3, 1),
        contacts=contacts,
        **extra,
    )
    return person


@pytest.fixture
def world() -> World:
    world = make_world()
    worker = world.users[Role.CASEWORKER]
    world.extra["person_a"] = _make_person(
        worker, world.team_a, "Магомед Исаев", phone="+7 928 000 11 22", gender_identity="trans man", orientation="gay"
    )
    world.extra["person_b"] = _make_person(world.outsider, world.team_b, "Ахмед Хасанов", born=1990, phone="+7 928 555 66 77")
    return world


def _form(**overrides: Any) -> dict[str, Any]:
    """A complete new-person POST, as the browser sends it."""
    data: dict[str, Any] = {
        "name_0": "Руслан Тестов",
        "name_kind_0": "legal",
        "birth_precision": "exact",
        "birth_date": "",
        "birth_year": "",
        "documents_held": "none",
        "passport_expiry": "",
        "location": "",
        "languages": "",
        "priority": "normal",
    }
    data.update(overrides)
    return data


def _counts() -> tuple[int, int, int, int]:
    return Person.objects.count(), Case.objects.count(), CaseMember.objects.count(), BlindIndexEntry.objects.count()


def _client(user: Any, language: str = "en") -> Client:
    client = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), user)
    return client


# -- access -----------------------------------------------------------------------------------


def _person(w: World) -> str:
    return str(w.extra["person_a"].pk)


def _other(w: World) -> str:
    return str(w.extra["person_b"].pk)


ROUTES = [
    Route("cases:people", lambda w: "/people/", CASE_ROLES),
    Route("cases:people", lambda w: "/people/", CASE_ROLES, method="post", data={"q": "Magomed"}),
    Route("cases:person_new", lambda w: "/people/new/", WRITE_ROLES),
    # No birth date and no phone: no duplicate check can stop the second role's save.
    Route(
        "cases:person_new",
        lambda w: "/people/new/",
        WRITE_ROLES,
        method="post",
        data=lambda w: _form(team=str(w.team_a.pk)),
        ok_status=(302,),
    ),
    Route("cases:person", lambda w: f"/people/{_person(w)}/", CASE_ROLES, other_team_url=lambda w: f"/people/{_other(w)}/"),
    Route(
        "cases:person_edit",
        lambda w: f"/people/{_person(w)}/edit/",
        WRITE_ROLES,
        other_team_url=lambda w: f"/people/{_other(w)}/edit/",
    ),
    Route(
        "cases:person_edit",
        lambda w: f"/people/{_person(w)}/edit/",
        WRITE_ROLES,
        method="post",
        data=_form(name_0="Магомед Исаев"),
        ok_status=(302,),
        other_team_url=lambda w: f"/people/{_other(w)}/edit/",
    ),
]


def test_permission_matrix(world: World) -> None:
    checks = check_matrix(world, ROUTES)
    # Anonymous and 7 roles per route, plus the other team's person for each allowed role.
    assert checks == 7 * 8 + len(CASE_ROLES) + 2 * len(WRITE_ROLES)
    assert Person.objects.filter(pk=world.extra["person_b"].pk).get().name_values() == ["Ахмед Хасанов"]


def test_unknown_person_id_is_404_like_another_teams(world: World) -> None:
    client = _client(world.users[Role.CASEWORKER])
    assert client.get("/people/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get(f"/people/{world.extra['person_b'].pk}/").status_code == 404


# -- search -----------------------------------------------------------------------------------


def test_search_by_transliteration_codename_and_phone(world: World) -> None:
    client = _client(world.users[Role.RELOCATION])
    person = world.extra["person_a"]
    for query in ("Magomed Isaev", "магомед исаев", person.codename, "8 928 000-11-22"):
        response = client.post("/people/", {"q": query})
        assert response.status_code == 200
        assert [p.pk for p in response.context["results"]] == [person.pk], query
        assert "Магомед Исаев" in response.content.decode()
    # The other team's person exists but is never found, and their name never appears.
    response = client.post("/people/", {"q": "Ahmed Hasanov"})
    assert response.context["results"] == []
    assert "Хасанов" not in response.content.decode()
    # Sensitive fields never appear in lists.
    assert "trans man" not in client.post("/people/", {"q": "Magomed Isaev"}).content.decode()


def test_search_terms_travel_in_the_body_never_in_the_url(world: World) -> None:
    """A searched name in a URL lands in access logs, proxies and browser history (invariant 11)."""
    client = _client(world.users[Role.CASEWORKER])
    # An old link or a hand-typed URL with terms in it searches nothing and shows no one.
    page = client.get("/people/", {"q": "Magomed Isaev"})
    assert (page.status_code, page.context["results"], page.context["searched"]) == (200, [], False)
    assert "Магомед Исаев" not in page.content.decode()
    # The form posts (no JavaScript needed), with its CSRF token, to the same page.
    html = page.content.decode()
    form = html[html.index('<form method="post" class="search"') : html.index("</form>", html.index('class="search"'))]
    assert 'name="csrfmiddlewaretoken"' in form and 'name="q"' in form and "action=" not in form
    # The answer to the POST is the result page itself: no redirect that would carry the terms.
    response = client.post("/people/", {"q": "Magomed Isaev"})
    assert response.status_code == 200
    assert [p.pk for p in response.context["results"]] == [world.extra["person_a"].pk]
    assert "Магомед Исаев" in response.content.decode()
    # Choosing the person for a new case works the same way.
    page = client.get("/cases/new/", {"q": "Magomed Isaev"})
    assert (page.status_code, page.context["results"], "Магомед Исаев" in page.content.decode()) == (200, [], False)
    assert (
        '<form method="post" class="search" role="search"><input type="hidden" name="csrfmiddlewaretoken"'
        in page.content.decode()
    )
    response = client.post("/cases/new/", {"q": "Magomed Isaev"})
    assert (response.status_code, [p.pk for p in response.context["results"]]) == (200, [world.extra["person_a"].pk])


# -- new person -------------------------------------------------------------------------------


def test_new_person_opens_their_case(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    response = _client(worker).post(
        "/people/new/",
        _form(
            name_0="Руслан Тестов",
            name_1="Ruslan Testov",
            name_kind_1="transliteration",
            birth_precision="exact",
            birth_date="1991-05-17",
            documents_held="international",
            passport_expiry="2030-01-31",
            contact_kind_0="signal",
            contact_value_0="+7 900 123 45 67",
            contact_note_0="evenings only",
            location="Квартира у друга",
            languages="Russian, Chechen",
            gender_identity="man",
            team=str(world.team_a.pk),
            priority="urgent",
            summary="Fled after detention.",
        ),
    )
    person = Person.objects.exclude(pk__in=[world.extra["person_a"].pk, world.extra["person_b"].pk]).get()
    case = Case.objects.get(members__person=person)
    assert response.status_code == 302 and response["Location"] == reverse("cases:case", args=[case.pk])
    assert person.names == [{"name": "Руслан Тестов", "kind": "legal"}, {"name": "Ruslan Testov", "kind": "transliteration"}]
    assert (person.birth_date, person.birth_precision) == (datetime.date(1991, 5, 17), "exact")
    assert (person.documents_held, person.passport_expiry) == ("international", datetime.date(2030, 1, 31))
    assert person.contacts == [{"kind": "signal", "value": "+7 900 123 45 67", "note": "evenings only"}]
    assert (person.location, person.languages, person.gender_identity, person.orientation) == (
        "Квартира у друга",
        ["Russian", "Chechen"],
        "man",
        None,
    )
    assert (case.team, case.priority, case.summary, case.owner) == (world.team_a, "urgent", "Fled after detention.", worker)
    assert list(case.members.values_list("role", flat=True)) == ["principal"]


def test_year_only_birth_date(world: World) -> None:
    client = _client(world.users[Role.HOTLINE])
    response = client.post("/people/new/", _form(birth_precision="year", birth_year="1988", team=str(world.team_a.pk)))
    assert response.status_code == 302
    person = Person.objects.latest("created")
    assert (person.birth_date, person.birth_precision) == (datetime.date(1988, 1, 1), "year")


def test_year_with_exact_precision_or_date_with_year_precision_is_explained(world: World) -> None:
    client = _client(world.users[Role.CASEWORKER])
    before = _counts()
    response = client.post("/people/new/", _form(birth_precision="exact", birth_year="1988", team=str(world.team_a.pk)))
    assert response.status_code == 400
    assert response.context["form"].errors["birth_year"] == [
        "Type a year only when the precision is “year only” or “approximate”; for an exact date use the date box."
    ]
    response = client.post("/people/new/", _form(birth_precision="year", birth_date="1988-02-03", team=str(world.team_a.pk)))
    assert response.context["form"].errors["birth_date"] == [
        "You chose “year only”: type the year below and leave the date empty."
    ]
    assert _counts() == before


def test_possible_duplicate_must_be_confirmed(world: World) -> None:
    worker = world.users[Role.CASEWORKER]
    client = _client(worker)
    person = world.extra["person_a"]
    data = _form(name_0="Magomed Isaev", birth_date="1994-07-07", team=str(world.team_a.pk))
    before = _counts()
    response = client.post("/people/new/", data)
    assert response.status_code == 200
    assert [(d.person.pk if d.person else None, d.reason) for d in response.context["duplicates"]] == [
        (person.pk, "same name and year of birth")
    ]
    page = response.content.decode()
    assert f'href="/people/{person.pk}/"' in page
    assert "This is a different person, save anyway" in page
    assert "Магомед Исаев" in page  # the caseworker may see their own team's person
    assert _counts() == before
    response = client.post("/people/new/", data | {"different_person": "on"})
    assert response.status_code == 302
    assert Person.objects.count() == before[0] + 1


def test_duplicate_in_another_team_is_neither_confirmed_nor_denied(world: World) -> None:
    """The prober sees what they would see for someone unknown; an administrator gets the match."""
    worker = world.users[Role.CASEWORKER]
    client = _client(worker)
    other = world.extra["person_b"]
    response = client.post(
        "/people/new/", _form(name_0="Someone New", contact_value_0="8 928 555-66-77", team=str(world.team_a.pk))
    )
    unknown = client.post(
        "/people/new/", _form(name_0="Nobody Known", contact_value_0="8 900 111-22-33", team=str(world.team_a.pk))
    )
    assert (response.status_code, unknown.status_code) == (302, 302)
    page = client.get(response["Location"]).content.decode()
    assert other.codename not in page and "Хасанов" not in page and str(other.pk) not in page
    assert list(DuplicateReview.objects.values_list("user", "person")) == [(worker.pk, other.pk)]


def test_team_must_be_ones_own(world: World) -> None:
    before = _counts()
    response = _client(world.users[Role.CASEWORKER]).post("/people/new/", _form(team=str(world.team_b.pk)))
    assert response.status_code == 400
    assert response.context["form"].errors["team"] == ["Select a valid choice. That choice is not one of the available choices."]
    assert _counts() == before


@override_settings(CORRIDOR_REGION_IN_CLEAR=True)
def test_region_is_offered_only_when_the_organisation_keeps_it_in_clear(world: World) -> None:
    client = _client(world.users[Role.CASEWORKER])
    assert 'name="region"' in client.get("/people/new/").content.decode()
    response = client.post("/people/new/", _form(region="North Caucasus", team=str(world.team_a.pk)))
    assert response.status_code == 302
    assert Person.objects.latest("created").region == "North Caucasus"


def test_region_is_hidden_by_default(world: World) -> None:
    client = _client(world.users[Role.CASEWORKER])
    assert 'name="region"' not in client.get("/people/new/").content.decode()
    client.post("/people/new/", _form(region="North Caucasus", team=str(world.team_a.pk)))
    assert Person.objects.latest("created").region == ""


# -- bad input --------------------------------------------------------------------------------

BAD_INPUT = [
    ("missing names", {"name_0": "  "}, "name_0", "Give at least one name, in any script."),
    ("future birth date", {"birth_date": "2999-01-01"}, "birth_date", "The date of birth must be between 1900 and today."),
    ("birth before 1900", {"birth_date": "1899-12-31"}, "birth_date", "The date of birth must be between 1900 and today."),
    (
        "year before 1900",
        {"birth_precision": "year", "birth_year": "1850"},
        "birth_year",
        "The year of birth must be between 1900 and this year.",
    ),
    ("not a date", {"birth_date": "31.31.1990x"}, "birth_date", "Enter a valid date."),
    (
        "expiry without passport",
        {"documents_held": "internal", "passport_expiry": "2030-01-01"},
        "passport_expiry",
        "An expiry date only applies to an international passport.",
    ),
    ("10,000-character name", {"name_0": "А" * 10_000}, "name_0", "Ensure this value has at most 400 characters (it has 10000)."),
    ("long but allowed by the box", {"name_0": "Б" * 300}, "name_0", "A name can have at most 200 characters."),
    ("NUL byte", {"name_0": "Ру\x00слан"}, "name_0", "Null characters are not allowed."),
    (
        "bidi override",
        {"name_0": "\u202eнаслуР"},
        "name_0",
        "The name contains an invisible control character. Retype it instead of pasting.",
    ),
    (
        "emoji",
        {"name_0": "Руслан 🙂"},
        "name_0",
        "A name can contain letters, spaces, hyphens and apostrophes, but not symbols or emoji.",
    ),
    ("only combining marks", {"name_0": "\u0301\u0301"}, "name_0", "A name needs at least one letter."),
    ("NUL in location", {"location": "flat\x00 3"}, "location", "Null characters are not allowed."),
    (
        "unknown precision",
        {"birth_precision": "sometime"},
        "birth_precision",
        "Select a valid choice. sometime is not one of the available choices.",
    ),
]


@pytest.mark.parametrize(("case", "fields", "field", "message"), BAD_INPUT, ids=[row[0] for row in BAD_INPUT])
def test_bad_input_is_explained_and_nothing_is_saved(
    world: World, case: str, fields: dict[str, str], field: str, message: str
) -> None:
    client = _client(world.users[Role.CASEWORKER])
    before = _counts()
    response = client.post("/people/new/", _form(team=str(world.team_a.pk), **fields))
    assert response.status_code == 400, case
    assert response.context["form"].errors[field] == [message], case
    assert "Nothing was saved." in response.content.decode()
    assert _counts() == before


def test_errors_come_in_russian(world: World) -> None:
    client = _client(world.users[Role.CASEWORKER], language="ru")
    before = _counts()
    response = client.post("/people/new/", _form(name_0="Ру\x00слан", team=str(world.team_a.pk)))
    assert response.status_code == 400
    assert response.context["form"].errors["name_0"] == ["Данные содержат запрещённый символ: ноль-байт"]
    assert _counts() == before


def test_unicode_that_is_fine_is_kept(world: World) -> None:
    client = _client(world.users[Role.CASEWORKER])
    response = client.post(
        "/people/new/",
        _form(
            name_0="Мари\u0301я",  # a combining acute accent, composed where Unicode can
            name_1="\u200fمحمد\u200f",  # right-to-left marks from a pasted Arabic name
            name_2="Zoë O’Brien-Smith",
            team=str(world.team_a.pk),
        ),
    )
    assert response.status_code == 302
    person = Person.objects.latest("created")
    assert person.name_values() == ["Мари\u0301я", "محمد", "Zoë O’Brien-Smith"]


def test_edit_with_bad_input_changes_nothing(world: World) -> None:
    person = world.extra["person_a"]
    client = _client(world.users[Role.CASEWORKER])
    response = client.post(
        f"/people/{person.pk}/edit/", _form(name_0="", birth_date=(timezone.localdate() + datetime.timedelta(days=1)).isoformat())
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "name_0": ["Give at least one name, in any script."],
        "birth_date": ["The date of birth must be between 1900 and today."],
    }
    fresh = Person.objects.get(pk=person.pk)
    assert (fresh.name_values(), fresh.birth_date) == (["Магомед Исаев"], datetime.date(1994, 3, 1))


# -- detail and edit --------------------------------------------------------------------------


def test_detail_shows_everything_and_is_audited(world: World) -> None:
    person = world.extra["person_a"]
    worker = world.users[Role.DOCUMENTATION]
    reads = AuditEntry.objects.filter(action="read").count()
    response = _client(worker).get(f"/people/{person.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Магомед Исаев",
        "+7 928 000 11 22",
        "trans man",
        "gay",
        person.codename,
        Case.objects.get(members__person=person).reference,
    ):
        assert text in page, text
    assert AuditEntry.objects.filter(action="read").count() == reads + 1
    # Documentation officers read but do not edit or open cases.
    assert f"/people/{person.pk}/edit/" not in page


def test_edit_keeps_year_precision_and_updates_names(world: World) -> None:
    person = world.extra["person_a"]
    client = _client(world.users[Role.CASEWORKER])
    form = client.get(f"/people/{person.pk}/edit/").context["form"]
    assert (form["name_0"].value(), form["birth_date"].value()) == ("Магомед Исаев", datetime.date(1994, 3, 1))
    response = client.post(
        f"/people/{person.pk}/edit/",
        _form(
            name_0="Магомед Исаев",
            name_1="Magomed Isayev",
            birth_precision="year",
            birth_year="1994",
            gender_identity="trans man",
        ),
    )
    assert response.status_code == 302
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.name_values() == ["Магомед Исаев", "Magomed Isayev"]
    assert (fresh.birth_date, fresh.birth_precision, fresh.orientation) == (datetime.date(1994, 1, 1), "year", None)
    assert client.get(f"/people/{person.pk}/edit/").context["form"]["birth_year"].value() == 1994
    # The new spelling is searchable at once.
    assert [p.pk for p in client.post("/people/", {"q": "Magomed Isayev"}).context["results"]] == [person.pk]
