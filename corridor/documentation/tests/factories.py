"""Real objects for documentation tests, made through the domain actions: a documentation officer
of a team, people in that team's cases, events, acts, perpetrators and sources."""

from __future__ import annotations

import datetime
from typing import Any

from corridor.accounts.models import Role, Team, User
from corridor.accounts.testing import make_staff
from corridor.cases import domain as cases_domain
from corridor.cases.models import Case, Person
from corridor.documentation import domain
from corridor.documentation.models import Act, Event, Perpetrator, Source, SourceKind, Term, Vocabulary

D = datetime.date


def officer(team: Team, username: str | None = None) -> User:
    return make_staff(Role.DOCUMENTATION, teams=[team], username=username)


def person_in_case(team: Team, name: str = "Secret Victim Name") -> tuple[Person, Case]:
    """A person in a case of `team`, opened by a caseworker of that team."""
    caseworker = make_staff(Role.CASEWORKER, teams=[team])
    return cases_domain.create_person_with_case(caseworker, team=team, names=[{"name": name}])


def term(code: str, vocabulary: str = Vocabulary.ACT_TYPE) -> Term:
    return Term.objects.get(vocabulary=vocabulary, code=code)


def event(actor: User, team: Team, **values: Any) -> Event:
    values.setdefault("title", "Detention at the checkpoint")
    values.setdefault("start", D(2017, 3, 1))
    return domain.create_event(actor, team=team, **values)


def act_on(actor: User, event_: Event, victim: Person, code: str = "torture", **values: Any) -> Act:
    return domain.add_act(actor, event_, victim=victim, act_type=term(code), **values)


def perpetrator(actor: User, name: str = "Unit 7", kind: str = "unit") -> Perpetrator:
    return domain.create_perpetrator(actor, kind=kind, name=name)


def source(actor: User, team: Team, kind: str = SourceKind.MEDIA, **values: Any) -> Source:
    values.setdefault("title", f"{kind} source")
    return domain.create_source(actor, team=team, kind=kind, **values)
