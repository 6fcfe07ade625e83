"""The duplicate check before a person is entered, and the admins' review of hidden matches.

A check tells only about the user's own cases; a match elsewhere goes to the admins' review,
so the check cannot probe other teams (by its answer nor by its timing).
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corridor.accounts.models import User
from corridor.audit.actions import act, stamp_once
from corridor.cases import access
from corridor.cases.audit_names import CaseAudit
from corridor.cases.models import PERSON_NAME_YEAR, PERSON_PHONE, DuplicateCheckCounter, DuplicateReview, Person
from corridor.keys import api as keys

DUPLICATE_WINDOW = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class PossibleDuplicate:
    """A person in the user's own cases who resembles the one being entered."""

    person: Person
    reason: str


class DuplicateCheckLimited(Exception):
    """Too many duplicate checks by this user this hour; the message says when to try again."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes
        super().__init__(
            ngettext(
                "You have checked for possible duplicates too often. Try again in %(minutes)d minute.",
                "You have checked for possible duplicates too often. Try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes}
        )


def _count_duplicate_check(actor: User) -> None:
    """One more check in the user's hourly window, or DuplicateCheckLimited (nothing counted).

    Runs inside the check's action: the counter row stays locked until the check is recorded.
    """
    now = timezone.now()
    DuplicateCheckCounter.objects.get_or_create(user=actor)
    counter = DuplicateCheckCounter.objects.select_for_update().get(user=actor)
    if now - counter.window_started >= DUPLICATE_WINDOW:
        counter.window_started, counter.count = now, 0
    if counter.count >= settings.DUPLICATE_CHECKS_PER_HOUR:
        left = counter.window_started + DUPLICATE_WINDOW - now
        raise DuplicateCheckLimited(max(1, -(-int(left.total_seconds()) // 60)))
    counter.count += 1
    counter.save(update_fields=["window_started", "count"])


def _matches(
    actor: User, names: list[str], birth_year: int | None, phones: list[str]
) -> tuple[list[PossibleDuplicate], list[Any]]:
    """The user's own people who match, and the ids of matches in cases they cannot see."""
    ids: set[Any] = set()
    reasons: dict[Any, str] = {}
    if birth_year is not None:
        for name in names:
            for pk in keys.lookup(PERSON_NAME_YEAR, f"{keys.normalize(name)}|{birth_year}", Person):
                ids.add(pk)
                reasons[pk] = _("same name and year of birth")
    for phone in phones:
        for pk in keys.lookup(PERSON_PHONE, phone, Person):
            ids.add(pk)
            reasons.setdefault(pk, _("same phone number"))
    visible = {p.pk: p for p in access.people_visible_to(actor).filter(pk__in=ids)} if ids else {}
    hidden = [pk for pk in ids if pk not in visible]
    found: list[PossibleDuplicate] = []
    wanted_names = {keys.normalize(n) for n in names}
    wanted_phones = {PERSON_PHONE.normalizer(x) for x in phones}
    for pk, person in visible.items():
        same_name = any(keys.normalize(n) in wanted_names for n in person.name_values())
        same_phone = any(PERSON_PHONE.normalizer(p) in wanted_phones for p in person.phone_values())
        if same_name or same_phone:  # truncated tokens collide: confirm after decryption
            found.append(PossibleDuplicate(person, reasons[pk]))
    return found, hidden


def find_duplicates(
    actor: User, *, names: Iterable[str], birth_year: int | None, phones: Iterable[str]
) -> list[PossibleDuplicate]:
    """Same normalised name and birth year, or same phone: say so before saving.

    Every check is counted (DUPLICATE_CHECKS_PER_HOUR per user, else DuplicateCheckLimited)
    and audited, without what was asked. Only matches in the user's own cases are told: a
    match in a case they cannot see is not confirmed nor denied but put before the
    administrators (DuplicateReview), so the check cannot probe other teams.
    """
    started = time.monotonic()
    names = list(names)
    phones = list(phones)
    try:
        with act(actor, "cases.change_case") as action:
            _count_duplicate_check(actor)
            found, hidden = _matches(actor, names, birth_year, phones)
            action.record(CaseAudit.DUPLICATE_CHECK)
            # Hidden matches are not decrypted here (a truncated token may collide): the admin's
            # review decides. One open review per checker and person is enough.
            for person in Person.objects.filter(pk__in=hidden, erased__isnull=True):
                review, created = DuplicateReview.objects.get_or_create(user=actor, person=person, reviewed__isnull=True)
                if created:
                    action.record(CaseAudit.DUPLICATE_REVIEW_OPEN, review)
    except DuplicateCheckLimited:
        with act(actor, "cases.change_case") as action:
            action.record(CaseAudit.DUPLICATE_CHECK_LIMITED)
        raise
    # A hidden match costs a few more queries than none: answer no sooner than the floor, so
    # the time taken does not tell the prober what the answer does not.
    remaining = float(settings.DUPLICATE_CHECK_FLOOR_SECONDS) - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    return found


def review_duplicate(actor: User, review: DuplicateReview) -> None:
    """An admin has looked at a hidden match (and talked to the teams)."""
    with act(actor, "cases.review_break_glass") as action:
        refusal = ValidationError(_("This match was already reviewed."))
        stamp_once(action, review, "reviewed", refusal, CaseAudit.DUPLICATE_REVIEW_DONE)
