"""Writing a checked spreadsheet: each row a person and the case they are the principal of.

The rows are written in chunks of CHUNK_ROWS, each chunk one durable action: its data keys made
in one keyring call, its people, cases, members, status changes and notes in one INSERT per
table, its blind-index tokens in one keyring call per index, and one audit entry,
`legacy.import.batch`, naming the import, the chunk's lines and the cases it opened (their
references; no content). A last entry, `legacy.import`, says how many came from the import.
A chunk is all or nothing; the file as a whole was checked before the first chunk (legacy.check)
and is checked again here against the database, so a chunk fails only on a database error, and
then the error names the lines already imported.

What a row becomes is exactly what the cases app's one-row actions write (create_person,
open_case, transition, add_note), which transfer/tests/test_import_bulk.py holds it to, with the
one difference stated above: one audit entry per chunk instead of four per row.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corridor.accounts.models import Role, Team, User
from corridor.audit.actions import act
from corridor.cases import codenames
from corridor.cases.domain.cases import _next_reference, _review_date
from corridor.cases.domain.people import _clean_names, _refuse_region_unless_chosen, _validate_person
from corridor.cases.models import (
    PERSON_NAME,
    PERSON_NAME_PART,
    PERSON_NAME_PART_YEAR,
    PERSON_NAME_YEAR,
    PERSON_PHONE,
    Case,
    CaseMember,
    MemberRole,
    Note,
    Person,
    Status,
    StatusChange,
)
from corridor.core.errors import Conflict
from corridor.keys import api as keys
from corridor.keys.api import BlindIndex, BlindIndexEntry, DataKey
from corridor.transfer.audit_names import LegacyImportAudit
from corridor.transfer.legacy import Plan, PlannedRow
from corridor.transfer.rules import IMPORT_SPREADSHEET

# Rows per transaction: long enough that the keyring and INSERT round trips are amortised, short
# enough that SQLite's write lock is held about a second at a time, not for the whole file.
CHUNK_ROWS = 500


class ImportRefused(ValidationError):
    """The file has bad rows and the user did not choose to import only the valid ones."""


def import_rows(
    actor: User,
    plan: Plan,
    *,
    valid_only: bool = False,
    progress: Callable[[int, int], None] | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> list[Case]:
    """Create every planned row.

    With bad rows in the plan nothing is written unless `valid_only`: then the valid rows are,
    and the bad ones are left for the user to correct and import again. `progress(done, total)`
    is called at the end of each chunk, inside its transaction.
    """
    if plan.errors and not valid_only:
        raise ImportRefused(_("The file has rows with errors; nothing was imported."))
    if not plan.rows:
        raise ImportRefused(_("There is no valid row to import."))
    import_id = uuid.uuid4().hex
    teams, owners = _check_targets(actor, plan.rows)
    cases: list[Case] = []
    total = len(plan.rows)
    for start in range(0, total, max(chunk_rows, 1)):
        chunk = plan.rows[start : start + max(chunk_rows, 1)]
        try:
            with act(actor, IMPORT_SPREADSHEET) as action:
                made = _write_chunk(actor, chunk, teams, owners)
                action.record(
                    LegacyImportAudit.IMPORT_BATCH,
                    details={
                        "import": import_id,
                        "lines": [chunk[0].line, chunk[-1].line],
                        "created": len(made),
                        "cases": [case.reference for case in made],
                    },
                )
                if progress is not None:
                    # Inside the chunk's transaction: a count stored by the callback is exact
                    # even when the process dies right after the commit.
                    progress(len(cases) + len(made), total)
        except (ValidationError, IntegrityError, Conflict) as error:
            if not cases:
                raise
            raise ValidationError(
                ngettext(
                    "%(done)d person was imported (up to line %(line)d); the rest were not, because of: %(reason)s. "
                    "Remove the imported lines from the file and import the rest again.",
                    "%(done)d people were imported (up to line %(line)d); the rest were not, because of: %(reason)s. "
                    "Remove the imported lines from the file and import the rest again.",
                    len(cases),
                )
                % {"done": len(cases), "line": plan.rows[start - 1].line, "reason": _reason(error)}
            ) from error
        cases.extend(made)
    with act(actor, IMPORT_SPREADSHEET) as action:
        action.record(
            LegacyImportAudit.IMPORT,
            details={"import": import_id, "created": len(cases), "skipped_rows": len(plan.bad_lines()), "rows": plan.total},
        )
    return cases


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return _("the database refused the change")


def _check_targets(actor: User, rows: Sequence[PlannedRow]) -> tuple[dict[int, Team], dict[int, User]]:
    """What open_case and the other actions check, once for the file, before anything is written."""
    for perm in ("cases.add_case", "cases.change_case"):
        if not actor.has_perm(perm):
            raise PermissionDenied(perm)
    if any(row.notes for row in rows) and not actor.has_perm("cases.add_note"):
        raise PermissionDenied("cases.add_note")
    teams = {team.pk: team for team in Team.objects.filter(pk__in={row.team_id for row in rows})}
    own = set(Team.objects.filter(members=actor).values_list("pk", flat=True))
    owner_ids = {row.owner_id for row in rows if row.owner_id is not None}
    owners = {user.pk: user for user in User.objects.filter(pk__in=owner_ids, is_active=True)}
    memberships = set(User.teams.through.objects.filter(user_id__in=owner_ids).values_list("user_id", "team_id"))
    for row in rows:
        if row.team_id not in teams or (actor.role != Role.ADMIN and row.team_id not in own):
            raise ValidationError(
                _("Line %(line)d: %(reason)s") % {"line": row.line, "reason": _("You can only open cases for your own teams.")}
            )
        if row.owner_id is not None and (row.owner_id not in owners or (row.owner_id, row.team_id) not in memberships):
            raise ValidationError(
                _("Line %(line)d: %(reason)s")
                % {
                    "line": row.line,
                    "reason": _("The owner must be an active member of the case's team who works on cases."),
                }
            )
    return teams, owners


def _person(row: PlannedRow, data_key: DataKey, codename: str) -> Person:
    values: dict[str, Any] = dict(row.person)
    try:
        values["names"] = _clean_names(values.get("names") or [])
        _refuse_region_unless_chosen(values)
        _validate_person(values)
    except ValidationError as error:
        raise ValidationError(_("Line %(line)d: %(reason)s") % {"line": row.line, "reason": "; ".join(error.messages)}) from error
    return Person(data_key=data_key, codename=codename, **values)


def _codenames(count: int) -> list[str]:
    """`count` codenames, distinct and free in the database (one query per draw)."""
    chosen: list[str] = []
    for _attempt in range(20):
        wanted = count - len(chosen)
        if wanted == 0:
            return chosen
        drawn = [name for name in dict.fromkeys(codenames.codename() for _ in range(wanted)) if name not in chosen]
        taken = set(Person.objects.filter(codename__in=drawn).values_list("codename", flat=True))
        chosen.extend(name for name in drawn if name not in taken)
    raise RuntimeError("could not find free codenames")  # ~1e14 space: practically unreachable


def _insert_cases(cases: list[Case]) -> None:
    """Consecutive references from the next free one; another case opened at the same moment
    takes a number first and the unique index refuses the whole INSERT, which then retries from
    the new next number, in its own savepoint (as open_case does for one case)."""
    for _attempt in range(20):
        first = int(_next_reference().rsplit("-", 1)[1])
        prefix = f"C-{timezone.now().year}-"
        for offset, case in enumerate(cases):
            case.reference = f"{prefix}{first + offset:04d}"
        try:
            with transaction.atomic():
                Case.objects.bulk_create(cases)
            return
        except IntegrityError:
            if not Case.objects.filter(reference__in=[case.reference for case in cases]).exists():
                raise
    raise Conflict(_("Many cases are being opened at this moment; nothing was changed. Try again."))


def _index_entries(people: Sequence[Person]) -> list[BlindIndexEntry]:
    """The entries the person actions' _reindex writes, for many people: one keyring call per index.

    The values are those of cases.domain.people (name_values, phone_values, name|year, name parts,
    part|year), derived here from one memoised normalisation per distinct string: _reindex
    normalises each name about sixteen times over its five indexes, which was most of the time.
    """
    memo: dict[str, str] = {}

    def norm(value: str) -> str:
        if value not in memo:
            memo[value] = keys.normalize(value)
        return memo[value]

    def parts(person: Person) -> list[str]:
        return list(dict.fromkeys(part for name in person.name_values() for part in norm(name).split()))

    def year(person: Person) -> int | None:
        return person.birth_date.year if isinstance(person.birth_date, datetime.date) else None

    per_index: list[tuple[BlindIndex, list[list[str]]]] = [
        (PERSON_NAME, [person.name_values() for person in people]),
        (PERSON_PHONE, [person.phone_values() for person in people]),
        (PERSON_NAME_YEAR, [[f"{norm(n)}|{year(p)}" for n in p.name_values()] if year(p) else [] for p in people]),
        (PERSON_NAME_PART, [parts(person) for person in people]),
        (PERSON_NAME_PART_YEAR, [[f"{part}|{year(p)}" for part in parts(p)] if year(p) else [] for p in people]),
    ]
    owner_model = Person._meta.label_lower
    entries: list[BlindIndexEntry] = []
    for index, values in per_index:
        normalizer = norm if index.normalizer is keys.normalize else index.normalizer
        # As blind.tokens: normalised, empty ones skipped, each token once per person.
        normalized = [sorted({n for n in (normalizer(v) for v in vals) if n}) for vals in values]
        flat = [n for vals in normalized for n in vals]
        if not flat:
            continue
        found = iter(keys.blind_tokens(index, flat))
        for person, vals in zip(people, normalized, strict=True):
            person_tokens = {bytes(next(found)) for _ in vals}
            entries.extend(
                BlindIndexEntry(
                    index_name=index.name, token=token, owner_model=owner_model, owner_id=person.pk, data_key=person.data_key
                )
                for token in sorted(person_tokens)
            )
    return entries


def _write_chunk(actor: User, rows: Sequence[PlannedRow], teams: dict[int, Team], owners: dict[int, User]) -> list[Case]:
    count = len(rows)
    person_keys = DataKey.create_many("person", count)
    case_keys = DataKey.create_many("case", count)
    people = [_person(row, key, name) for row, key, name in zip(rows, person_keys, _codenames(count), strict=True)]
    Person.objects.bulk_create(people)
    BlindIndexEntry.objects.bulk_create(_index_entries(people), batch_size=1000)
    cases = []
    for row, key in zip(rows, case_keys, strict=True):
        owner = owners.get(row.owner_id) if row.owner_id is not None else None
        case = Case(
            data_key=key,
            team=teams[row.team_id],
            owner=owner or actor,
            priority=row.priority,
            summary=row.summary or None,
            priority_review=_review_date(row.priority),
        )
        if row.status != Status.NEW:
            # As transition() from new: the status change is dated, attributed and explained.
            case.status = row.status
            case.status_before_hold = Status.NEW if row.status == Status.ON_HOLD else ""
        cases.append(case)
    _insert_cases(cases)
    CaseMember.objects.bulk_create(
        CaseMember(case=case, person=person, role=MemberRole.PRINCIPAL) for case, person in zip(cases, people, strict=True)
    )
    reason = _("Imported from a spreadsheet in this status.")
    StatusChange.objects.bulk_create(
        StatusChange(case=case, old=Status.NEW, new=row.status, by=actor, reason=reason)
        for case, row in zip(cases, rows, strict=True)
        if row.status != Status.NEW
    )
    Note.objects.bulk_create(
        Note(case=case, author=actor, body=row.notes.strip()) for case, row in zip(cases, rows, strict=True) if row.notes.strip()
    )
    return cases
