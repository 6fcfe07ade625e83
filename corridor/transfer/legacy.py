"""The legacy import's plan: which column is which field, and every row checked before anything
is written.

`suggest_mapping` guesses from the headers (English and Russian); the user confirms or changes
it. `check` turns the table and the mapping into the rows to create and a report of every bad
row with its spreadsheet line and reason. domain/legacy.py writes the rows; nothing here writes.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.accounts.models import Team, User
from corridor.cases import access
from corridor.cases.models import PERSON_NAME_YEAR, PERSON_PHONE, DatePrecision, Person, Priority, Status
from corridor.keys import api as keys
from corridor.transfer.spreadsheet import Table

# The fields a column can go to, with their labels for the mapping step.
FIELDS: dict[str, Any] = {
    "name": gettext_lazy("Name"),
    "other_names": gettext_lazy("Other names (separated by ;)"),
    "birth_date": gettext_lazy("Date of birth"),
    "birth_precision": gettext_lazy("Date of birth precision"),
    "phone": gettext_lazy("Phone"),
    "signal": gettext_lazy("Signal"),
    "contact": gettext_lazy("Other contact"),
    "region": gettext_lazy("Region"),
    "location": gettext_lazy("Current location"),
    "languages": gettext_lazy("Languages"),
    "status": gettext_lazy("Case status"),
    "priority": gettext_lazy("Priority"),
    "team": gettext_lazy("Team"),
    "owner": gettext_lazy("Case owner"),
    "summary": gettext_lazy("Case summary"),
    "notes": gettext_lazy("Notes"),
}

# Header words (lower case, English and Russian) that suggest a field.
HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "fio", "фио", "имя", "ф.и.о.", "полное имя", "имя и фамилия"),
    "other_names": ("other names", "aliases", "alias", "другие имена", "псевдоним", "транслитерация"),
    "birth_date": ("birth date", "date of birth", "dob", "born", "birthday", "дата рождения", "д.р.", "др", "год рождения"),
    "birth_precision": ("precision", "точность"),
    "phone": ("phone", "telephone", "mobile", "tel", "телефон", "тел", "тел.", "мобильный"),
    "signal": ("signal", "сигнал"),
    "contact": ("contact", "telegram", "email", "e-mail", "контакт", "связь", "почта", "телеграм"),
    "region": ("region", "регион", "область"),
    "location": ("location", "city", "address", "where", "местонахождение", "город", "адрес", "где находится"),
    "languages": ("languages", "language", "языки", "язык"),
    "status": ("status", "case status", "статус", "статус дела"),
    "priority": ("priority", "urgency", "приоритет", "срочность"),
    "team": ("team", "команда", "группа"),
    "owner": ("owner", "caseworker", "case worker", "responsible", "куратор", "ответственный", "сотрудник"),
    "summary": ("summary", "case", "description", "situation", "краткое описание", "описание", "ситуация"),
    "notes": ("notes", "note", "comments", "comment", "заметки", "заметка", "комментарий", "комментарии", "примечание"),
}

_STATUS_WORDS: dict[str, str] = {
    "new": Status.NEW,
    "новое": Status.NEW,
    "новый": Status.NEW,
    "verifying": Status.VERIFYING,
    "проверка": Status.VERIFYING,
    "на проверке": Status.VERIFYING,
    "on hold": Status.ON_HOLD,
    "on_hold": Status.ON_HOLD,
    "приостановлено": Status.ON_HOLD,
    "на паузе": Status.ON_HOLD,
    "closed": Status.CLOSED,
    "закрыто": Status.CLOSED,
    "закрыт": Status.CLOSED,
}
# Statuses a case cannot be imported in: each needs what a spreadsheet does not prove.
_NOT_IMPORTED = {"active", "активно", "активный", "relocating", "переезд", "arrived", "прибыл", "прибыли"}

_PRIORITY_WORDS: dict[str, str] = {
    "emergency": Priority.EMERGENCY,
    "экстренный": Priority.EMERGENCY,
    "экстренно": Priority.EMERGENCY,
    "urgent": Priority.URGENT,
    "срочный": Priority.URGENT,
    "срочно": Priority.URGENT,
    "normal": Priority.NORMAL,
    "обычный": Priority.NORMAL,
    "обычно": Priority.NORMAL,
}

_PRECISION_WORDS: dict[str, str] = {
    "exact": DatePrecision.EXACT,
    "точно": DatePrecision.EXACT,
    "точная": DatePrecision.EXACT,
    "year": DatePrecision.YEAR,
    "год": DatePrecision.YEAR,
    "approximate": DatePrecision.APPROXIMATE,
    "примерно": DatePrecision.APPROXIMATE,
    "приблизительно": DatePrecision.APPROXIMATE,
}

_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%y")


@dataclass
class RowError:
    line: int
    reason: str


@dataclass
class PlannedRow:
    """One person and their case, ready for domain/legacy.py."""

    line: int
    person: dict[str, Any]
    team_id: int
    owner_id: int | None
    status: str
    priority: str
    summary: str
    notes: str


def rows_to_json(rows: Sequence[PlannedRow]) -> bytes:
    """The planned rows as JSON (dates as ISO text), for a background import to keep encrypted."""

    def plain(value: Any) -> Any:
        if isinstance(value, datetime.date):
            return {"date": value.isoformat()}
        raise TypeError(f"cannot keep {type(value).__name__} in a planned row")

    return json.dumps([dataclasses.asdict(row) for row in rows], default=plain, ensure_ascii=False).encode()


def rows_from_json(data: bytes) -> list[PlannedRow]:
    def hook(value: dict[str, Any]) -> Any:
        return datetime.date.fromisoformat(value["date"]) if set(value) == {"date"} else value

    return [PlannedRow(**row) for row in json.loads(data, object_hook=hook)]


@dataclass
class Plan:
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    def bad_lines(self) -> list[int]:
        return sorted({error.line for error in self.errors})


def _header_key(header: str) -> str:
    return " ".join(re.sub(r"[_*:]+", " ", header.lower()).split())


def suggest_mapping(headers: Sequence[str]) -> dict[int, str]:
    """Column index → field for each header that names one (each field at most once)."""
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        key = _header_key(header)
        for field_name, words in HEADER_WORDS.items():
            if field_name not in taken and key in words:
                mapping[index] = field_name
                taken.add(field_name)
                break
    return mapping


def clean_mapping(raw: Mapping[int, str], width: int) -> dict[int, str]:
    """The mapping asked for, or ValueError naming what is wrong with it."""
    mapping: dict[int, str] = {}
    seen: set[str] = set()
    for index, field_name in raw.items():
        if not field_name:
            continue
        if field_name not in FIELDS:
            raise ValueError(_("Unknown field: %(field)s.") % {"field": field_name})
        if not 0 <= index < width:
            raise ValueError(_("There is no column %(column)d.") % {"column": index + 1})
        if field_name in seen:
            raise ValueError(_("Two columns go to “%(field)s”; choose one.") % {"field": FIELDS[field_name]})
        seen.add(field_name)
        mapping[index] = field_name
    if "name" not in seen:
        raise ValueError(_("Choose the column that holds the person's name."))
    return mapping


def parse_date(text: str) -> tuple[datetime.date, str] | None:
    """A date of birth and its precision: a full date, or a year alone (then 1 January, year)."""
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        return datetime.date(int(text), 1, 1), DatePrecision.YEAR
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?", text):
        text = text[:10]
    for pattern in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern).date(), DatePrecision.EXACT
        except ValueError:
            continue
    return None


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", text) if part.strip()]


class _Checker:
    def __init__(self, actor: User, default_team: Team | None) -> None:
        self.actor = actor
        self.today = timezone.localdate()
        self.teams = {team.name.casefold(): team for team in Team.objects.filter(members=actor)}
        if actor.role == "admin":
            self.teams = {team.name.casefold(): team for team in Team.objects.all()}
        self.default_team = default_team
        # Only the members of the teams the rows can go to are looked up, and every miss reads
        # the same: the file must not become a way to learn which usernames or addresses exist
        # elsewhere in the organisation.
        self.owners: dict[str, User] = {}
        self.owner_teams: dict[int, set[int]] = {}
        team_ids = {team.pk for team in self.teams.values()} | ({default_team.pk} if default_team else set())
        memberships = User.teams.through.objects.filter(team_id__in=team_ids, user__is_active=True).select_related("user")
        for membership in memberships:
            user = membership.user
            self.owner_teams.setdefault(user.pk, set()).add(membership.team_id)
            self.owners[user.username.casefold()] = user
            if user.email:
                self.owners.setdefault(user.email.casefold(), user)
        self.seen_names: dict[str, int] = {}
        self.seen_phones: dict[str, int] = {}

    def row(self, line: int, values: dict[str, str]) -> tuple[PlannedRow | None, list[RowError]]:
        errors: list[RowError] = []

        def bad(reason: str) -> None:
            errors.append(RowError(line, reason))

        name = " ".join(values.get("name", "").split())
        if not name:
            bad(_("No name."))
        names = [{"name": name, "kind": "used"}] if name else []
        names += [{"name": other, "kind": "used"} for other in values.get("other_names", "").split(";") if other.strip()]
        person: dict[str, Any] = {"names": names}

        birth_text = values.get("birth_date", "")
        if birth_text:
            parsed = parse_date(birth_text)
            if parsed is None:
                bad(
                    _("The date of birth “%(value)s” is not a date (write 1990-05-31, 31.05.1990 or a year).")
                    % {"value": birth_text[:40]}
                )
            else:
                birth, precision = parsed
                if birth > self.today or birth.year < 1900:
                    bad(_("The date of birth must be between 1900 and today."))
                person["birth_date"], person["birth_precision"] = birth, precision
        precision_text = values.get("birth_precision", "").strip().casefold()
        if precision_text:
            if precision_text not in _PRECISION_WORDS:
                bad(_("Unknown date precision “%(value)s” (exact, year or approximate).") % {"value": precision_text[:40]})
            else:
                person["birth_precision"] = _PRECISION_WORDS[precision_text]

        contacts = []
        for kind in ("phone", "signal"):
            for value in _split(values.get(kind, "")):
                if not PERSON_PHONE.normalizer(value):
                    bad(_("“%(value)s” is not a phone number.") % {"value": value[:40]})
                contacts.append({"kind": kind, "value": value, "note": ""})
        for value in _split(values.get("contact", "")):
            contacts.append({"kind": "other", "value": value, "note": ""})
        person["contacts"] = contacts

        region = values.get("region", "").strip()
        if region:
            if not settings.CORRIDOR_REGION_IN_CLEAR:
                bad(_("This organisation does not keep a region unencrypted; map that column to the current location."))
            elif len(region) > 80:
                bad(_("The region is longer than 80 characters."))
            person["region"] = region
        if values.get("location", "").strip():
            person["location"] = values["location"].strip()
        person["languages"] = _split(values.get("languages", ""))

        status: str = Status.NEW
        status_text = values.get("status", "").strip().casefold()
        if status_text:
            if status_text in _NOT_IMPORTED:
                bad(
                    _("A case is imported as new, verifying, on hold or closed; “%(value)s” needs a recorded verification first.")
                    % {"value": status_text[:40]}
                )
            elif status_text not in _STATUS_WORDS:
                bad(_("Unknown case status “%(value)s”.") % {"value": status_text[:40]})
            else:
                status = _STATUS_WORDS[status_text]
        priority: str = Priority.NORMAL
        priority_text = values.get("priority", "").strip().casefold()
        if priority_text:
            if priority_text not in _PRIORITY_WORDS:
                bad(_("Unknown priority “%(value)s” (emergency, urgent or normal).") % {"value": priority_text[:40]})
            else:
                priority = _PRIORITY_WORDS[priority_text]

        team = self.default_team
        team_text = values.get("team", "").strip()
        if team_text:
            team = self.teams.get(team_text.casefold())
            if team is None:
                bad(_("“%(value)s” is not one of your teams.") % {"value": team_text[:80]})
        elif team is None:
            bad(_("No team: fill in the team column or choose a team for the whole file."))
        owner = None
        owner_text = values.get("owner", "").strip()
        if owner_text:
            owner = self.owners.get(owner_text.casefold())
            if owner is None or (team is not None and team.pk not in self.owner_teams.get(owner.pk, set())):
                owner = None
                bad(_("Unknown case owner: write the username of an active member of the case's team."))

        if name:
            year = person["birth_date"].year if isinstance(person.get("birth_date"), datetime.date) else None
            key = f"{keys.normalize(name)}|{year}"
            if key in self.seen_names:
                bad(_("The same name and date of birth as line %(line)d.") % {"line": self.seen_names[key]})
            else:
                self.seen_names[key] = line
        for contact in contacts:
            if contact["kind"] in ("phone", "signal"):
                phone = PERSON_PHONE.normalizer(contact["value"])
                if phone and phone in self.seen_phones and self.seen_phones[phone] != line:
                    bad(_("The same phone number as line %(line)d.") % {"line": self.seen_phones[phone]})
                elif phone:
                    self.seen_phones[phone] = line
        if errors or team is None:
            return None, errors
        return (
            PlannedRow(
                line=line,
                person=person,
                team_id=team.pk,
                owner_id=owner.pk if owner else None,
                status=status,
                priority=priority,
                summary=values.get("summary", "").strip(),
                notes=values.get("notes", "").strip(),
            ),
            [],
        )


def _existing(actor: User, rows: Iterable[PlannedRow]) -> list[RowError]:
    """Rows that resemble a person already in the actor's own cases (same name and year of
    birth, or same phone), found by blind index in two keyring calls for the whole file.

    Like cases' duplicate check, only the actor's own people are told: a match in a case they
    cannot see is not confirmed nor denied.
    """
    rows = list(rows)
    name_values: list[tuple[int, str]] = []
    phone_values: list[tuple[int, str]] = []
    for position, row in enumerate(rows):
        birth = row.person.get("birth_date")
        if isinstance(birth, datetime.date):
            for entry in row.person["names"]:
                name_values.append((position, f"{keys.normalize(entry['name'])}|{birth.year}"))
        for contact in row.person["contacts"]:
            if contact["kind"] in ("phone", "signal"):
                phone_values.append((position, contact["value"]))
    candidates: dict[int, set[uuid.UUID]] = {}
    for index, values in ((PERSON_NAME_YEAR, name_values), (PERSON_PHONE, phone_values)):
        if not values:
            continue
        for (position, _value), found in zip(
            values, keys.lookup_each(index, [text for _pos, text in values], Person), strict=True
        ):
            if found:
                candidates[position] = candidates.get(position, set()) | found
    if not candidates:
        return []
    wanted: set[uuid.UUID] = set().union(*candidates.values())
    visible = {p.pk: p for p in access.people_visible_to(actor).filter(pk__in=wanted)}
    errors = []
    for position, found in sorted(candidates.items()):
        row = rows[position]
        names = {keys.normalize(e["name"]) for e in row.person["names"]}
        phones = {PERSON_PHONE.normalizer(c["value"]) for c in row.person["contacts"] if c["kind"] in ("phone", "signal")}
        for pk in sorted(found, key=str):
            person = visible.get(pk)
            if person is None:
                continue
            same = any(keys.normalize(n) in names for n in person.name_values()) or any(
                PERSON_PHONE.normalizer(p) in phones for p in person.phone_values()
            )
            if same:  # truncated tokens collide: confirmed after decryption
                errors.append(
                    RowError(
                        row.line,
                        _("Possibly the same person as %(codename)s, already in your cases.") % {"codename": person.codename},
                    )
                )
                break
    return errors


def check(actor: User, table: Table, mapping: Mapping[int, str], default_team: Team | None = None) -> Plan:
    """Every row checked: the rows to create, and every bad row with its line and reason."""
    checker = _Checker(actor, default_team)
    plan = Plan(total=len(table.rows))
    for line, cells in zip(table.lines, table.rows, strict=True):
        values = {field_name: cells[index] if index < len(cells) else "" for index, field_name in mapping.items()}
        planned, errors = checker.row(line, values)
        plan.errors.extend(errors)
        if planned is not None:
            plan.rows.append(planned)
    duplicates = _existing(actor, plan.rows)
    if duplicates:
        bad = {error.line for error in duplicates}
        plan.rows = [row for row in plan.rows if row.line not in bad]
        plan.errors.extend(duplicates)
    plan.errors.sort(key=lambda error: error.line)
    return plan
