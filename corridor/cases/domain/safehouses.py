"""Safe houses and who stays in them: adding a house, placing a person, ending a stay, and a
house found out (compromised).

Placements lock the person and the house before counting: two placements at once cannot overfill
a house, leave a person in two houses, nor both end the same stay.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.audit.actions import act, lock
from corridor.cases import access, queries
from corridor.cases.audit_names import CaseAudit
from corridor.cases.models import Case, Person, Placement, SafeHouse, Task
from corridor.keys.api import DataKey
from corridor.notifications import api as notifications


def create_safe_house(actor: User, *, team: Team, label: str, address: str, capacity: int, notes: str = "") -> SafeHouse:
    with act(actor, "cases.manage_safe_houses") as action:
        if not team.members.filter(pk=actor.pk).exists():
            raise ValidationError({"team": _("You can only add safe houses for your own teams.")})
        if capacity < 1:
            raise ValidationError({"capacity": _("Capacity must be at least 1.")})
        house = SafeHouse(
            data_key=DataKey.create("safe_house"),
            team=team,
            label=label.strip(),
            address=address.strip(),
            capacity=capacity,
            notes=notes or None,
        )
        house.save()
        action.record(CaseAudit.SAFEHOUSE_CREATE, house)
    return house


def place(actor: User, case: Case, person: Person, house: SafeHouse, start: datetime.date | None = None) -> Placement:
    """Place a member of the case in a safe house of the case's team, ending where they stay now.

    Only placements the actor may see are ended, each with an entry on its own case; a
    placement through a case the actor cannot see is named and refused, never ended silently.
    The person and the house are locked, and the house counted, in one transaction.
    """
    start = start or timezone.localdate()
    with act(actor, "cases.change_case", case) as action:
        if house.team_id != case.team_id:
            raise ValidationError(
                {"safe_house": _("A person of this case can only be placed in a safe house of the case's team.")}
            )
        if not case.members.filter(person=person).exists():
            raise ValidationError({"person": _("This person is not on the case.")})
        # The person first: with no open placement there is no row to lock, and two placements
        # at once (through two cases, into two houses) would both go through.
        lock(person)
        locked = lock(house)
        if locked.compromised:
            raise ValidationError({"safe_house": _("This safe house is marked compromised. Choose another.")})
        current = list(queries.not_ended(Placement.objects.select_for_update().filter(person=person), start).order_by("pk"))
        seen = set(access.cases_visible_to(actor).filter(pk__in={p.case_id for p in current}).values_list("pk", flat=True))
        if any(p.case_id not in seen for p in current):
            raise ValidationError(
                {
                    "person": _(
                        "%(codename)s is placed in a safe house through another case, which you cannot see. "
                        "Ask that case's team to end that placement first."
                    )
                    % {"codename": person.codename}
                }
            )
        # Counted under the house's lock: a placement into this house by anyone else waits above.
        if queries.occupancy(locked, start) >= locked.capacity:
            raise ValidationError({"safe_house": _("This safe house is full on that date.")})
        for previous in current:
            previous.end = max(start, previous.start)
            previous.save(update_fields=["end"])
            action.record(CaseAudit.PLACEMENT_END, previous.case)
        placement = Placement.objects.create(safe_house=locked, case=case, person=person, start=start)
        action.record(CaseAudit.PLACEMENT_START, case)
    return placement


def end_placement(actor: User, placement: Placement, end: datetime.date | None = None) -> None:
    end = end or timezone.localdate()
    with act(actor, "cases.change_case", placement.case) as action:
        if not access.cases_visible_to(actor).filter(pk=placement.case_id).exists():
            raise PermissionDenied("cases.change_case")
        locked = lock(placement)
        if locked.end is not None:
            raise ValidationError({"end": _("This placement has already ended.")})
        if end < locked.start:
            raise ValidationError({"end": _("A placement cannot end before it starts.")})
        locked.end = end
        locked.save(update_fields=["end"])
        action.record(CaseAudit.PLACEMENT_END, placement.case)
    placement.end = locked.end


def mark_compromised(actor: User, house: SafeHouse) -> list[Task]:
    """Everyone placed there now gets an urgent task on their case; returns those tasks."""
    tasks: list[Task] = []
    with act(actor, "cases.manage_safe_houses", house) as action:
        locked = lock(house)
        if locked.compromised is not None:
            raise ValidationError(_("This safe house is already marked compromised."))
        locked.compromised = timezone.now()
        locked.save(update_fields=["compromised"])
        # Nobody is placed in a compromised house (place() refuses under the same lock), so this
        # list is complete.
        current = queries.not_ended(Placement.objects.filter(safe_house=locked)).select_related(
            "case", "person", "case__data_key"
        )
        for placement in current:
            task = Task(
                case=placement.case,
                title=_("Move %(codename)s: safe house “%(label)s” is compromised")
                % {"codename": placement.person.codename, "label": locked.label},
                assignee=placement.case.owner,
                due=timezone.localdate(),
                urgent=True,
            )
            task.save()
            tasks.append(task)
        _tell_those_with_people_there([placement.case for placement in current], locked)
        action.record(CaseAudit.SAFEHOUSE_COMPROMISED, locked)
    house.compromised = locked.compromised
    return tasks


def _tell_those_with_people_there(cases: list[Case], house: SafeHouse) -> None:
    """Each case's owner (or, for a case nobody owns, its team) hears how many of their people
    lived in the house: a count and a link, no name, no place."""
    counts: dict[User, int] = {}
    for case in cases:
        for user in [case.owner] if case.owner is not None else list(case.team.members.filter(is_active=True)):
            counts[user] = counts.get(user, 0) + 1
    for user, people in counts.items():
        link = reverse("cases:safe_house", args=[house.pk])
        notifications.safe_house_compromised([user], people=people, link=link, team=house.team)
