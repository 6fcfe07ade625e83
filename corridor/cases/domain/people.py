"""People: entering, correcting, finding and erasing the people the organisation helps.

Every change is an action (corridor/audit/actions.py): permission, lock, checks, write and
audit entry in one durable transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.cases import access, codenames
from corridor.cases.audit_names import CaseAudit
from corridor.cases.models import (
    PERSON_NAME,
    PERSON_NAME_PART,
    PERSON_NAME_PART_YEAR,
    PERSON_NAME_YEAR,
    PERSON_PHONE,
    Person,
)
from corridor.keys import api as keys
from corridor.keys.api import DataKey

PERSON_FIELDS = (
    "names",
    "birth_date",
    "birth_precision",
    "documents_held",
    "passport_expiry",
    "contacts",
    "region",
    "location",
    "languages",
    "gender_identity",
    "orientation",
)


def _name_year_values(person: Person) -> list[str]:
    year = person.birth_date.year if person.birth_date else None
    if year is None:
        return []
    return [f"{keys.normalize(name)}|{year}" for name in person.name_values()]


def name_parts_of(person: Person) -> list[str]:
    """Every distinct normalised word of every name the person has, in every script."""
    return list(dict.fromkeys(part for name in person.name_values() for part in keys.name_parts(name)))


def _birth_year(person: Person) -> int | None:
    return person.birth_date.year if person.birth_date else None


def part_year_values(person: Person) -> list[str]:
    year = _birth_year(person)
    return [] if year is None else [f"{part}|{year}" for part in name_parts_of(person)]


def _reindex(person: Person) -> None:
    keys.index_values(person, PERSON_NAME, person.name_values())
    keys.index_values(person, PERSON_PHONE, person.phone_values())
    keys.index_values(person, PERSON_NAME_YEAR, _name_year_values(person))
    keys.index_values(person, PERSON_NAME_PART, name_parts_of(person))
    keys.index_values(person, PERSON_NAME_PART_YEAR, part_year_values(person))


def _clean_names(names: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    cleaned = []
    for entry in names:
        name = " ".join(str(entry.get("name", "")).split())
        if name:
            cleaned.append({"name": name, "kind": str(entry.get("kind") or "used")})
    if not cleaned:
        raise ValidationError({"names": _("Give at least one name, in any script.")})
    return cleaned


def _refuse_region_unless_chosen(values: dict[str, Any]) -> None:
    """The region is stored unencrypted: only when the organisation chose so, whichever door it came through."""
    if values.get("region") and not settings.CORRIDOR_REGION_IN_CLEAR:
        raise ValidationError(
            {"region": _("This organisation does not keep a region unencrypted; write where the person is under location.")}
        )


def _validate_person(values: dict[str, Any]) -> None:
    today = timezone.localdate()
    birth = values.get("birth_date")
    if birth is not None and (birth > today or birth.year < 1900):
        raise ValidationError({"birth_date": _("The date of birth must be between 1900 and today.")})
    if values.get("documents_held") != "international" and values.get("passport_expiry"):
        raise ValidationError({"passport_expiry": _("An expiry date only applies to an international passport.")})


def _known_fields(values: dict[str, Any]) -> None:
    unknown = set(values) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"unknown person fields: {sorted(unknown)}")


def create_person(actor: User, **values: Any) -> Person:
    _known_fields(values)
    with act(actor, "cases.change_case") as action:
        values["names"] = _clean_names(values.get("names") or [])
        _refuse_region_unless_chosen(values)
        _validate_person(values)
        person = Person(data_key=DataKey.create("person"), codename=codenames.unique_codename(), **values)
        person.save()
        _reindex(person)
        action.record(CaseAudit.PERSON_CREATE, person)
    return person


def update_person(actor: User, person: Person, **values: Any) -> Person:
    """Change the fields given; the others stay as they are in the database, not in the caller's copy."""
    _known_fields(values)
    with act(actor, "cases.change_case") as action:
        if "names" in values:
            values["names"] = _clean_names(values["names"])
        _refuse_region_unless_chosen(values)
        locked = lock(person)
        if locked.erased is not None:
            raise ValidationError(_("This person's data was erased."))
        merged = {field: getattr(locked, field) for field in PERSON_FIELDS} | values
        _validate_person(merged)
        for field, value in values.items():
            setattr(locked, field, value)
        locked.save()
        _reindex(locked)
        action.record(CaseAudit.PERSON_UPDATE, locked, details={"fields": sorted(values)})
    for field, value in values.items():
        setattr(person, field, value)
    return person


# A query is at most this many name parts: each is one keyring call and one index lookup.
MAX_QUERY_PARTS = 6


def _query_parts(query: str) -> tuple[list[str], int | None]:
    """The name parts of a query and the birth year in it, if any ("Islam 1990")."""
    this_year = timezone.localdate().year
    parts: list[str] = []
    year = None
    for part in keys.name_parts(query):
        if part.isdigit():
            if len(part) == 4 and 1900 <= int(part) <= this_year and year is None:
                year = int(part)
            continue  # other numbers are phone digits, matched by the phone index
        parts.append(part)
    return parts[:MAX_QUERY_PARTS], year


def _by_name_parts(visible: QuerySet[Person], parts: list[str], year: int | None) -> list[Person]:
    """People in `visible` who have every part in one of their names (any order, any script),
    born in `year` when one is given. Over blind indexes; candidates re-checked decrypted."""
    if not parts:
        return []
    # One query per index whatever the parts found: the statements run depend on the query's
    # shape (how many parts, a year or not), never on whom the tokens match.
    first, *others = keys.lookup_each(PERSON_NAME_PART, parts, Person)
    found = first.intersection(*others)
    if year is not None:
        for ids in keys.lookup_each(PERSON_NAME_PART_YEAR, [f"{part}|{year}" for part in parts], Person):
            found &= ids
    # As in keys.search: the scoped query runs even when no token matched, so that a match
    # outside `visible` is not slower to answer than no match at all.
    candidates = visible.filter(pk__in=found or [uuid.uuid4()])
    wanted = set(parts)
    return [
        person for person in candidates if wanted <= set(name_parts_of(person)) and (year is None or _birth_year(person) == year)
    ]


def search_people(actor: User, query: str) -> list[Person]:
    """By any one name part or several in any order, with a birth year or not, in either
    script and the common transliterations; by codename; or by phone. Every search is
    audited without what was asked."""
    query = query.strip()
    if not query:
        return []
    with act(actor, "cases.view_case") as action:
        visible = access.people_visible_to(actor)
        # Only a codename-shaped query is compared in clear: a typed name must not become a SQL
        # parameter that statement logs would keep (found by the seizure test).
        by_codename = list(visible.filter(codename__iexact=query)) if codenames.looks_like(query) else []
        # The whole-name index still answers for people indexed before name parts were.
        by_name = keys.search(PERSON_NAME, query, visible, lambda p: p.name_values())
        by_parts = _by_name_parts(visible, *_query_parts(query))
        by_phone = (
            keys.search(PERSON_PHONE, query, visible, lambda p: p.phone_values()) if any(c.isdigit() for c in query) else []
        )
        seen: dict[Any, Person] = {}
        for person in by_codename + by_name + by_parts + by_phone:
            seen.setdefault(person.pk, person)
        action.record(CaseAudit.PERSON_SEARCH)
    return list(seen.values())


def _missing_name_parts() -> QuerySet[Person]:
    # NOT EXISTS, not NOT IN: PostgreSQL turns NOT IN over a subquery larger than work_mem into
    # a rescan of it for every person (`corridor migrate` counted 100,000 people for more than
    # five minutes); NOT EXISTS is an anti-join on both databases.
    indexed = keys.BlindIndexEntry.objects.filter(
        index_name=PERSON_NAME_PART.name, owner_model=Person._meta.label_lower, owner_id=OuterRef("pk")
    )
    return Person.objects.filter(erased__isnull=True, data_key__shredded__isnull=True).exclude(Exists(indexed))


def pending_name_parts() -> int:
    """How many people have no name-part index yet (some may have no name to index)."""
    return _missing_name_parts().count()


def index_name_parts(batch: int = 200) -> int:
    """Give people entered before per-part search their name-part indexes; returns how many.

    Run by `corridor reindex_people` once the instance is unsealed (tokens need the key
    service). Resumable: only people without a name-part entry are read, a batch per action.
    """
    people = _missing_name_parts()
    done = 0
    after: uuid.UUID | None = None
    while True:
        page = people.order_by("pk").select_related("data_key")
        pending = list((page if after is None else page.filter(pk__gt=after))[:batch])
        if not pending:
            return done
        after = pending[-1].pk
        with act(None, None) as action:
            for person in pending:
                keys.index_values(person, PERSON_NAME_PART, name_parts_of(person))
                keys.index_values(person, PERSON_NAME_PART_YEAR, part_year_values(person))
            action.record(CaseAudit.PERSON_REINDEX, details={"people": len(pending)})
        done += len(pending)


def erase_person(actor: User, person: Person) -> None:
    """Crypto-shred a person: their data key dies; the codename stays as a tombstone."""
    with act(actor, "cases.erase_person") as action:
        locked = lock(person)
        if locked.erased is not None:
            raise ValidationError(_("This person's data was already erased."))
        locked.data_key.shred(actor=actor)
        locked.erased = timezone.now()
        locked.save(update_fields=["erased"])
        action.record(CaseAudit.PERSON_ERASE, locked)
    person.erased = locked.erased
