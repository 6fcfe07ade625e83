"""Need to know for documentation: one helper per kind of object, each taking the permission the
caller wants it for and answering 404 for "not yours" exactly as for "does not exist".

- Events belong to a team; their acts, involvements, information and evidence go with them.
  A documentation officer sees the events of their teams.
- Sources belong to a team too (a testimony is given to someone).
- Perpetrators and the vocabularies are the organisation's: one record of a unit serves every
  team's events, so the role alone decides (acts listed on a perpetrator are still only the
  visible events' acts).
- A victim's identity, and a testimony-giver's, is shown only where that person's case is
  visible to the reader (corridor.cases.access). Everything that names a person in an act or
  a source goes through `person_labels`/`victim_label`, so pages, the API and exports say the
  same thing: the codename when the case is visible, otherwise words with no id in them.

NotPermitted is a 404 on pages and a 403 in the API, as in corridor/cases/access.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.cases.access import NotPermitted, get_visible, people_visible_to
from corridor.cases.access import user_with_perm as permit
from corridor.cases.models import Person
from corridor.core.ids import parse_id
from corridor.documentation.models import Act, Event, Evidence, Information, Involvement, Perpetrator, Source, Term
from corridor.documentation.rules import VIEW_EVENTS

__all__ = [
    "NotPermitted",
    "acts_visible_to",
    "events_visible_to",
    "evidence_visible_to",
    "get_act_for_user",
    "get_event_for_user",
    "get_evidence_for_user",
    "get_information_for_user",
    "get_involvement_for_user",
    "get_perpetrator_for_user",
    "get_source_for_user",
    "get_term_for_user",
    "hidden_person_label",
    "information_visible_to",
    "involvements_visible_to",
    "permit",
    "person_labels",
    "perpetrators_visible_to",
    "sources_visible_to",
    "terms_for_user",
    "victim_label",
    "visible_people_among",
]


def _reads(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.has_perm(VIEW_EVENTS))


def _teams_of(user: User) -> QuerySet[Team]:
    return Team.objects.filter(members=user).only("pk")


# -- a team's: events and what hangs from them -------------------------------------------------


def events_visible_to(user: User) -> QuerySet[Event]:
    if not _reads(user):
        return Event.objects.none()
    return Event.objects.filter(team__in=_teams_of(user))


def get_event_for_user(user: User, event_id: Any, *, perm: str = VIEW_EVENTS) -> Event:
    return get_visible(user, events_visible_to(user).select_related("data_key", "team"), event_id, perm)


def acts_visible_to(user: User) -> QuerySet[Act]:
    return Act.objects.filter(event__in=events_visible_to(user))


def get_act_for_user(user: User, act_id: Any, *, perm: str = VIEW_EVENTS) -> Act:
    acts = acts_visible_to(user).select_related("event", "event__data_key", "event__team", "act_type", "victim")
    return get_visible(user, acts, act_id, perm)


def involvements_visible_to(user: User) -> QuerySet[Involvement]:
    return Involvement.objects.filter(act__in=acts_visible_to(user))


def get_involvement_for_user(user: User, involvement_id: Any, *, perm: str = VIEW_EVENTS) -> Involvement:
    involvements = involvements_visible_to(user).select_related("act", "act__event", "act__event__data_key", "perpetrator")
    return get_visible(user, involvements, involvement_id, perm)


def evidence_visible_to(user: User) -> QuerySet[Evidence]:
    return Evidence.objects.filter(event__in=events_visible_to(user))


def get_evidence_for_user(user: User, evidence_id: Any, *, perm: str = VIEW_EVENTS) -> Evidence:
    evidence = evidence_visible_to(user).select_related("event", "data_key", "file", "source")
    return get_visible(user, evidence, evidence_id, perm)


# -- a team's: sources and the information they give ---------------------------------------------


def sources_visible_to(user: User) -> QuerySet[Source]:
    if not _reads(user):
        return Source.objects.none()
    return Source.objects.filter(team__in=_teams_of(user))


def get_source_for_user(user: User, source_id: Any, *, perm: str = VIEW_EVENTS) -> Source:
    return get_visible(user, sources_visible_to(user).select_related("data_key", "team", "person"), source_id, perm)


def information_visible_to(user: User) -> QuerySet[Information]:
    """Information whose source and whose target (event or act) are both visible."""
    return Information.objects.filter(source__in=sources_visible_to(user)).filter(
        Q(event__in=events_visible_to(user)) | Q(act__in=acts_visible_to(user))
    )


def get_information_for_user(user: User, information_id: Any, *, perm: str = VIEW_EVENTS) -> Information:
    information = information_visible_to(user).select_related("source", "source__data_key", "event", "act")
    return get_visible(user, information, information_id, perm)


# -- the organisation's: perpetrators and vocabularies -------------------------------------------


def perpetrators_visible_to(user: User) -> QuerySet[Perpetrator]:
    if not _reads(user):
        return Perpetrator.objects.none()
    return Perpetrator.objects.all()


def get_perpetrator_for_user(user: User, perpetrator_id: Any, *, perm: str = VIEW_EVENTS) -> Perpetrator:
    permit(user, VIEW_EVENTS)
    return get_visible(user, perpetrators_visible_to(user).select_related("data_key", "part_of"), perpetrator_id, perm)


def terms_for_user(user: User, perm: str = VIEW_EVENTS) -> QuerySet[Term]:
    permit(user, perm)
    return Term.objects.all()


def get_term_for_user(user: User, term_id: Any, *, perm: str = VIEW_EVENTS) -> Term:
    terms = terms_for_user(user, perm)
    try:
        pk = int(term_id)
    except (TypeError, ValueError):
        raise Http404 from None
    term = terms.filter(pk=pk).first()
    if term is None:
        raise Http404
    return term


# -- whose identity the reader may see -----------------------------------------------------------


def hidden_person_label() -> str:
    """What stands in for a person whose case the reader cannot see: no codename, no id."""
    return _("a person in a case you cannot see")


def visible_people_among(user: User, person_ids: Iterable[uuid.UUID | None]) -> set[uuid.UUID]:
    """Which of `person_ids` the reader may know (their case is visible to them): one query."""
    wanted = {pk for pk in person_ids if pk is not None}
    if not wanted:
        return set()
    return set(people_visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True))


def person_labels(user: User, people: Iterable[Person | None]) -> dict[uuid.UUID, str]:
    """The label of each person for this reader: codename when visible, the hidden words otherwise."""
    listed = [person for person in people if person is not None]
    visible = visible_people_among(user, (person.pk for person in listed))
    return {person.pk: person.codename if person.pk in visible else hidden_person_label() for person in listed}


def victim_label(user: User, person: Person | None) -> str:
    """The one rule every page and the API use to name a victim or a testimony-giver."""
    if person is None:
        return ""
    return person_labels(user, [person])[person.pk]


def visible_person(user: User, person: Person | None) -> Person | None:
    """`person` when the reader may know who it is, else None (an API field's id is left out too)."""
    if person is None or person.pk not in visible_people_among(user, [person.pk]):
        return None
    return person


def get_person_to_attach(user: User, person_id: Any) -> Person:
    """A person the user may name as a victim or a testimony-giver: one whose case they see.

    404 otherwise, the same as for a person who does not exist.
    """
    pk = parse_id(person_id)
    person = people_visible_to(user).filter(pk=pk).first()
    if person is None:
        raise Http404
    return person
