"""People: entering, correcting, finding and erasing the people the organisation helps.

Every change is an action (corridor/audit/actions.py): permission, lock, checks, write and
audit entry in one durable transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.cases import access, codenames
from corridor.cases.audit_names import CaseAudit
from corridor.cases.models import PERSON_NAME, PERSON_NAME_YEAR, PERSON_PHONE, Person
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


def _reindex(person: Person) -> None:
    keys.index_values(person, PERSON_NAME, person.name_values())
    keys.index_values(person, PERSON_PHONE, person.phone_values())
    keys.index_values(person, PERSON_NAME_YEAR, _name_year_values(person))


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


def search_people(actor: User, query: str) -> list[Person]:
    """By any spelling of a name (transliterated), by codename, or by phone; every search is audited
    without what was asked."""
    query = query.strip()
    if not query:
        return []
    with act(actor, "cases.view_case") as action:
        visible = access.people_visible_to(actor)
        # Only a codename-shaped query is compared in clear: a typed name must not become a SQL
        # parameter that statement logs would keep (found by the seizure test).
        by_codename = list(visible.filter(codename__iexact=query)) if codenames.looks_like(query) else []
        by_name = keys.search(PERSON_NAME, query, visible, lambda p: p.name_values())
        by_phone = (
            keys.search(PERSON_PHONE, query, visible, lambda p: p.phone_values()) if any(c.isdigit() for c in query) else []
        )
        seen: dict[Any, Person] = {}
        for person in by_codename + by_name + by_phone:
            seen.setdefault(person.pk, person)
        action.record(CaseAudit.PERSON_SEARCH)
    return list(seen.values())


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
