"""Real objects for relocation tests: people, cases and applications made through the domain functions."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, Person
from corridor.relocation import domain
from corridor.relocation.models import Application, ApplicationStatus, Country, Programme

S = ApplicationStatus
D = datetime.date


def caseworker_for(team: Team) -> User:
    return make_staff(Role.CASEWORKER, teams=[team])


def make_case(actor: User, team: Team, *, documents: Sequence[str] = ("international",), priority: str = "normal", languages: Sequence[str] = ()) -> Case:
    people: list[Person] = [
        cases_domain.create_person(actor, names=[{"name": f"Secret Name {i} {team.name}"}], documents_held=held, languages=list(languages))
        for i, held in enumerate(documents)
    ]
    return cases_domain.open_case(actor, team=team, principal=people[0], dependants=people[1:], priority=priority, summary="relocation test")


def members(case: Case) -> list[Person]:
    return [m.person for m in case.members.select_related("person")]


def walk(actor: User, case: Case | Team, programme: Programme, steps: Sequence[tuple[str, D]], channel: str = "Embassy") -> Application:
    """An application created on the first date, then moved through `steps` (status, date).

    Given a team instead of a case, a new case is opened for it (one active application per
    case and programme is the rule).
    """
    if isinstance(case, Team):
        case = make_case(actor, case)
    start = steps[0][1] if steps else D(2024, 1, 1)
    application = domain.create_application(actor, case, programme, channel=channel, members=members(case), on=start)
    for status, day in steps:
        extra = {"refusal_reason": "no_reason"} if status == S.REFUSED else {}
        domain.transition_application(actor, application, status, reason=f"moved to {status}", on=day, **extra)
    return application


def make_programme(code: str, name: str = "Humanitarian visa") -> Programme:
    """A checked humanitarian-visa programme of country `code`, made by its own coordinator."""
    coordinator = make_staff(Role.RELOCATION, username=f"coord-{code}-{name[:5]}")
    return domain.create_programme(
        coordinator,
        country=Country.objects.get(pk=code),
        name=name,
        kind="humanitarian_visa",
        needs_international_passport=False,
        source_url="https://example.org/programme",
        checked=D(2024, 1, 1),
    )
