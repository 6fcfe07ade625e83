"""Synthetic demo data for case work: people in hiding, cases, safe houses, needs, tasks, notes.

Every name, date, phone and address is made up (phones use the unallocated +7 000 range).
`populate()` goes through the domain functions, so audit entries and blind indexes are
exactly what real use leaves; `populate_bulk()` is the fast path for benchmark-sized
instances. Both need an unsealed keyring.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from corridor.accounts import domain as accounts_domain
from corridor.accounts.models import Role, Team, User
from corridor.audit.actions import Action, act
from corridor.cases import codenames, domain
from corridor.cases.audit_names import CaseAudit
from corridor.cases.domain.people import name_parts_of, part_year_values
from corridor.cases.models import (
    PERSON_NAME,
    PERSON_NAME_PART,
    PERSON_NAME_PART_YEAR,
    PERSON_NAME_YEAR,
    PERSON_PHONE,
    Case,
    CaseMember,
    Consent,
    ConsentScope,
    DatePrecision,
    DocumentsHeld,
    MemberRole,
    Need,
    NeedKind,
    NeedStatus,
    Note,
    Person,
    Priority,
    RiskAssessment,
    RiskFactor,
    SafeHouse,
    Status,
    Task,
    Verification,
    VerificationMethod,
)
from corridor.keys import api as keys
from corridor.keys.api import BlindIndex, BlindIndexEntry, DataKey

__all__ = ["DEMO_TEAMS", "DemoResult", "populate", "populate_bulk"]

# Team name -> username of its demo caseworker; the same accounts `corridor demo` creates.
DEMO_TEAMS = {"North Caucasus": "caseworker", "Moscow": "caseworker-moscow"}
BULK_BATCH = 2_000

# (Cyrillic, the Latin spelling a passport or a relative would use). Common names, combined
# at random, so no combination stands for anyone.
FIRST_NAMES = [
    ("Магомед", "Magomed"), ("Зелимхан", "Zelimkhan"), ("Ислам", "Islam"), ("Рамзан", "Ramzan"),
    ("Хасан", "Khasan"), ("Адам", "Adam"), ("Ахмед", "Akhmed"), ("Муса", "Musa"), ("Аслан", "Aslan"),
    ("Тимур", "Timur"), ("Руслан", "Ruslan"), ("Ибрагим", "Ibragim"), ("Беслан", "Beslan"),
    ("Шамиль", "Shamil"), ("Алихан", "Alikhan"), ("Умар", "Umar"), ("Саид", "Said"), ("Мурад", "Murad"),
    ("Хамзат", "Khamzat"), ("Лом-Али", "Lom-Ali"), ("Анзор", "Anzor"), ("Мовсар", "Movsar"),
    ("Иван", "Ivan"), ("Алексей", "Aleksei"), ("Дмитрий", "Dmitrii"), ("Никита", "Nikita"),
    ("Артём", "Artem"), ("Максим", "Maksim"), ("Олег", "Oleg"), ("Андрей", "Andrei"),
]
SURNAMES = [
    ("Хасанов", "Khasanov"), ("Магомедов", "Magomedov"), ("Исаев", "Isaev"), ("Садулаев", "Sadulaev"),
    ("Эльмурзаев", "Elmurzaev"), ("Умаров", "Umarov"), ("Юсупов", "Yusupov"), ("Ахмадов", "Akhmadov"),
    ("Мусаев", "Musaev"), ("Алиев", "Aliev"), ("Идрисов", "Idrisov"), ("Гайрбеков", "Gairbekov"),
    ("Тагиров", "Tagirov"), ("Хаджиев", "Khadzhiev"), ("Вахидов", "Vakhidov"), ("Абдулаев", "Abdulaev"),
    ("Басханов", "Baskhanov"), ("Цакаев", "Tsakaev"), ("Джабраилов", "Dzhabrailov"), ("Межидов", "Mezhidov"),
    ("Смирнов", "Smirnov"), ("Кузнецов", "Kuznetsov"), ("Соколов", "Sokolov"), ("Лебедев", "Lebedev"),
    ("Новиков", "Novikov"), ("Морозов", "Morozov"), ("Волков", "Volkov"), ("Попов", "Popov"),
]
NICKNAMES = ["Мага", "Зелим", "Исла", "Хасик", "Тима", "Руся", "Шома", "Муха", "Саша", "Макс"]
RELATIVES = ["двоюродная сестра", "тётя", "брат", "мать", "cousin", "aunt", "school friend"]
PLACES = [
    "съёмная квартира, Подмосковье", "у знакомых, Нижний Новгород", "хостел, Санкт-Петербург",
    "дача под Тверью", "квартира партнёров, Ереван", "shelter flat, Tbilisi", "у сестры, Назрань",
]
HOUSES = [
    ("Birch", "ул. Садовая, д. 12, кв. 4, Москва", 6),
    ("Harbour", "ул. Заречная, д. 3, Тверь", 4),
    ("Lantern", "пр. Мира, д. 88, кв. 51, Москва", 8),
    ("Orchard", "ул. Лесная, д. 7, Нижний Новгород", 5),
    ("Meadow", "пер. Тихий, д. 2, Ярославль", 4),
]
SUMMARIES = [
    "Задержан в феврале, удерживался в Аргуне; после освобождения угрозы от родственников.",
    "Вывезен из Грозного через Назрань; ищут родственники, телефон под контролем.",
    "Referred by a trusted contact; passport held by family, needs new documents.",
    "Бежал после вызова в полицию; нуждается в медицинской помощи после побоев.",
    "Partner already abroad; family reunification route being explored.",
]
NOTES = [
    "Созвонились по Signal, состояние стабильное.",
    "Needs a doctor visit this week; appointment being arranged.",
    "Родственники звонили общим знакомым, спрашивали адрес.",
    "Documents: internal passport only, international passport application started.",
    "Переехал на новую квартиру без происшествий.",
]
NEED_DETAILS = {
    NeedKind.MEDICAL: "Осмотр травматолога, рецидив болей в спине.",
    NeedKind.PSYCHOLOGICAL: "Sessions with a Russian-speaking counsellor.",
    NeedKind.LEGAL: "Консультация о статусе беженца.",
    NeedKind.MONEY: "Rent and food for two months.",
    NeedKind.DOCUMENTS: "Восстановление внутреннего паспорта.",
}
TASKS = [
    "Позвонить и проверить безопасность",
    "Book a medical appointment",
    "Собрать документы для визы",
    "Find a new flat for next month",
    "Передать деньги на продукты",
]
# Where each demo case ends up, and the path of transitions that gets it there.
STATUS_PATHS: dict[str, list[str]] = {
    Status.NEW: [],
    Status.VERIFYING: [Status.VERIFYING],
    Status.ACTIVE: [Status.VERIFYING, Status.ACTIVE],
    Status.RELOCATING: [Status.VERIFYING, Status.ACTIVE, Status.RELOCATING],
    Status.ARRIVED: [Status.VERIFYING, Status.ACTIVE, Status.RELOCATING, Status.ARRIVED],
    Status.CLOSED: [Status.VERIFYING, Status.CLOSED],
    Status.ON_HOLD: [Status.VERIFYING, Status.ON_HOLD],
}
# Some cases already arrived: their granted journeys give the relocation figures something to show.
STATUS_WEIGHTS = {
    Status.NEW: 2, Status.VERIFYING: 2, Status.ACTIVE: 5, Status.RELOCATING: 2,
    Status.ARRIVED: 5, Status.CLOSED: 1, Status.ON_HOLD: 1,
}  # fmt: skip


@dataclass(frozen=True)
class DemoResult:
    people: int
    cases: int
    safe_houses: int


# -- the synthetic values ------------------------------------------------------------------------


def _phone(rng: random.Random) -> str:
    # +7 000 is not an allocated Russian code: no demo number can reach a real phone.
    digits = f"{rng.randrange(10**7):07d}"
    return f"+7 000 {digits[:3]}-{digits[3:5]}-{digits[5:]}"


def _person_values(rng: random.Random, today: datetime.date) -> dict[str, Any]:
    first, first_latin = rng.choice(FIRST_NAMES)
    last, last_latin = rng.choice(SURNAMES)
    names = [{"name": f"{first} {last}", "kind": "legal"}, {"name": f"{first_latin} {last_latin}", "kind": "transliteration"}]
    if rng.random() < 0.3:
        names.append({"name": rng.choice(NICKNAMES), "kind": "used"})
    born = datetime.date(rng.randint(1972, 2005), rng.randint(1, 12), rng.randint(1, 28))
    precision = rng.choices(list(DatePrecision), weights=[7, 2, 1])[0]
    if precision == DatePrecision.YEAR:
        born = born.replace(month=1, day=1)
    documents = rng.choices(list(DocumentsHeld), weights=[3, 5, 2])[0]
    contacts = [{"kind": "phone", "value": _phone(rng), "note": ""}]
    if rng.random() < 0.6:
        contacts.append({"kind": "signal", "value": _phone(rng), "note": "only after 20:00"})
    if rng.random() < 0.4:
        contacts.append({"kind": "relative", "value": f"{rng.choice(RELATIVES)}, {_phone(rng)}", "note": "trusted"})
    values: dict[str, Any] = {
        "names": names,
        "birth_date": born,
        "birth_precision": precision,
        "documents_held": documents,
        "passport_expiry": today + datetime.timedelta(days=rng.randint(60, 3000)) if documents == DocumentsHeld.INTERNATIONAL else None,
        "contacts": contacts,
        "location": rng.choice(PLACES),
        "languages": ["ce", "ru"] if first_latin not in ("Ivan", "Aleksei", "Dmitrii", "Nikita", "Artem", "Maksim", "Oleg", "Andrei") else ["ru"],
    }
    if rng.random() < 0.5:
        values["orientation"] = rng.choice(["gay", "bisexual"])
    if rng.random() < 0.1:
        values["gender_identity"] = rng.choice(["trans woman", "non-binary"])
    return values


def _factors(rng: random.Random) -> list[str]:
    return rng.sample(list(RiskFactor.values), rng.randint(0, 3))


def _group_sizes(people: int, rng: random.Random) -> list[int]:
    """Case sizes (a principal and 0-2 dependants) adding up to `people`."""
    sizes = []
    left = people
    while left > 0:
        size = min(left, rng.choices([1, 2, 3], weights=[6, 3, 1])[0])
        sizes.append(size)
        left -= size
    return sizes


# -- staff ----------------------------------------------------------------------------------------


def demo_staff() -> dict[Team, User]:
    """Each demo team with its caseworker, created if `corridor demo` has not made them yet."""
    staff: dict[Team, User] = {}
    for team_name, username in DEMO_TEAMS.items():
        team = accounts_domain.team_named(None, team_name)
        user = User.objects.filter(username=username).first()
        if user is None:
            user, _token = accounts_domain.create_user(None, username=username, role=Role.CASEWORKER, teams=[team])
        elif not user.teams.filter(pk=team.pk).exists():
            accounts_domain.set_role_and_teams(None, user, role=user.role, teams=[*user.teams.all(), team])
        staff[team] = user
    return staff


# -- the realistic path: domain functions -------------------------------------------------------------


def _open_demo_case(actor: User, team: Team, members: Sequence[Person], rng: random.Random) -> Case:
    case = domain.open_case(actor, team=team, principal=members[0], dependants=members[1:], summary=rng.choice(SUMMARIES))
    target = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    for step in STATUS_PATHS[target]:
        if step == Status.ACTIVE:
            method = rng.choice(list(VerificationMethod))
            domain.record_verification(actor, case, method, "Проверено через доверенного знакомого; история совпадает.")
        domain.transition(actor, case, step, rng.choice(["Контакт подтверждён", "Documents checked", "Routine review", "Угроза возросла"]))
    factors = _factors(rng)
    suggested = domain.suggest_priority(factors)
    if rng.random() < 0.15:
        other = rng.choice([p for p in Priority.values if p != suggested])
        domain.assess_risk(actor, case, factors, other, "Caseworker knows of a recent threat not yet recorded.")
    else:
        domain.assess_risk(actor, case, factors, suggested)
    today = timezone.localdate()
    for person in members:
        domain.record_consent(actor, case, person, ConsentScope.STORE, today - datetime.timedelta(days=rng.randint(0, 60)))
        if rng.random() < 0.4:
            domain.record_consent(actor, case, person, ConsentScope.STATISTICS, today)
    if rng.random() < 0.3:
        domain.record_consent(actor, case, members[0], ConsentScope.SHARE, today, partner="Partner shelter, Vilnius")
    for kind in rng.sample(list(NeedKind), rng.randint(1, 2)):
        need = domain.add_need(actor, case, kind, NEED_DETAILS[kind])
        if rng.random() < 0.3:
            domain.set_need_status(actor, need, rng.choice([NeedStatus.IN_PROGRESS, NeedStatus.MET]))
    for _ in range(rng.randint(1, 3)):
        # About a third overdue, so the dashboard has something to highlight.
        due = today + datetime.timedelta(days=rng.randint(-10, 20))
        task = domain.add_task(actor, case, rng.choice(TASKS), assignee=actor, due=due)
        if rng.random() < 0.25:
            domain.complete_task(actor, task)
    for body in rng.sample(NOTES, rng.randint(1, 2)):
        domain.add_note(actor, case, body)
    return case


def populate(people: int = 40, seed: int | None = None) -> DemoResult:
    """About `people` people in hiding with their cases, safe houses, needs, tasks and notes.

    Every write goes through corridor.cases.domain with a demo caseworker as the actor.
    """
    rng = random.Random(seed)  # noqa: S311 -- synthetic demo values, repeatable by seed; keys and codenames use secrets
    staff = demo_staff()
    today = timezone.localdate()
    teams = list(staff)
    houses: dict[Team, list[SafeHouse]] = {team: [] for team in teams}
    for index, (label, address, capacity) in enumerate(HOUSES):
        team = teams[index % len(teams)]
        houses[team].append(domain.create_safe_house(staff[team], team=team, label=label, address=address, capacity=capacity))
    cases = []
    for index, size in enumerate(_group_sizes(people, rng)):
        team = teams[index % len(teams)]
        actor = staff[team]
        members = [domain.create_person(actor, **_person_values(rng, today)) for _ in range(size)]
        case = _open_demo_case(actor, team, members, rng)
        cases.append(case)
        if case.status in (Status.ACTIVE, Status.RELOCATING, Status.VERIFYING):
            for person in members:
                free = [h for h in houses[team] if domain.occupancy(h) < h.capacity]
                if free:
                    domain.place(actor, case, person, rng.choice(free), start=today - datetime.timedelta(days=rng.randint(0, 90)))
    # One safe house is compromised: everyone placed there gets an urgent task.
    compromised = next((h for team in teams for h in houses[team] if domain.occupancy(h)), houses[teams[0]][0])
    domain.mark_compromised(staff[compromised.team], compromised)
    return DemoResult(people=people, cases=len(cases), safe_houses=len(HOUSES))


# -- the bulk path: benchmark-sized instances ------------------------------------------------------


class _Normalized:
    """Each index's normalizer, memoised for one bulk load: demo names repeat, and
    transliteration is the slowest step of indexing them. Synthetic values only."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, str], str] = {}

    def __call__(self, index: BlindIndex, value: str) -> str:
        key = (index.name, value)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = index.normalizer(value)
        return found

    def name_year_values(self, person: Person) -> list[str]:
        # domain._name_year_values, with the memoised normaliser.
        year = person.birth_date.year if person.birth_date else None
        if year is None:
            return []
        values = []
        for name in person.name_values():
            normalized = self(PERSON_NAME, name)
            value = f"{normalized}|{year}"
            # The index normalises "name|year" once more, and every (name, year) pair is new.
            # For a name already normalised that is "name year" (the bar becomes a space):
            # checked once per name against the real normaliser, then used without it.
            if self._bar_is_space(normalized):
                self._memo[(PERSON_NAME_YEAR.name, value)] = f"{normalized} {year}"
            values.append(value)
        return values

    def _bar_is_space(self, normalized: str) -> bool:
        key = ("|", normalized)
        if key not in self._memo:
            self._memo[key] = "yes" if PERSON_NAME_YEAR.normalizer(f"{normalized}|1900") == f"{normalized} 1900" else ""
        return bool(self._memo[key])


def _entries(
    index: BlindIndex, people: Sequence[Person], values_of: Callable[[Person], list[str]], normalized_by: _Normalized
) -> list[BlindIndexEntry]:
    """Blind-index entries for many people with one keyring call (keys.index_values makes one each)."""
    owners: list[Person] = []
    normalized: list[str] = []
    for person in people:
        # The same normalising and de-duplicating as corridor.keys.blind.tokens.
        for value in sorted({n for n in (normalized_by(index, v) for v in values_of(person) if v is not None) if n}):
            owners.append(person)
            normalized.append(value)
    if not normalized:
        return []
    tokens = keys.blind_tokens(index, normalized)
    label = Person._meta.label_lower
    seen: set[tuple[Any, bytes]] = set()
    entries = []
    for person, token in zip(owners, tokens, strict=True):
        if (person.pk, token) not in seen:  # two values of one person may share a token
            seen.add((person.pk, token))
            entries.append(BlindIndexEntry(index_name=index.name, token=token, owner_model=label, owner_id=person.pk, data_key=person.data_key))
    return entries


def _next_reference_number(prefix: str) -> int:
    # Numerically, not as text: "C-2026-10000" sorts before "C-2026-9999" as a string.
    numbers = [int(ref.rsplit("-", 1)[1]) for ref in Case.objects.filter(reference__startswith=prefix).values_list("reference", flat=True)]
    return max(numbers, default=0) + 1


def _bulk_batch(
    action: Action,
    people: int,
    rng: random.Random,
    staff: dict[Team, User],
    codes: set[str],
    reference: int,
    normalized_by: _Normalized,
) -> tuple[int, int]:
    """One batch of people with their cases and case records; returns (cases made, next reference).

    Runs inside the system's action (`act(None, None)`): rows are written with bulk inserts, the
    one way to fill a benchmark-sized instance in minutes, and the batch is one audit entry.
    """
    today = timezone.localdate()
    now = timezone.now()
    teams = list(staff)
    prefix = f"C-{now.year}-"
    person_keys = DataKey.create_many("person", people)
    persons = []
    for key in person_keys:
        code = codenames.codename()
        while code in codes:
            code = codenames.codename()
        codes.add(code)
        persons.append(Person(data_key=key, codename=code, **_person_values(rng, today)))
    Person.objects.bulk_create(persons, batch_size=500)
    entries = _entries(PERSON_NAME, persons, Person.name_values, normalized_by)
    entries += _entries(PERSON_PHONE, persons, Person.phone_values, normalized_by)
    entries += _entries(PERSON_NAME_YEAR, persons, normalized_by.name_year_values, normalized_by)
    entries += _entries(PERSON_NAME_PART, persons, name_parts_of, normalized_by)
    entries += _entries(PERSON_NAME_PART_YEAR, persons, part_year_values, normalized_by)
    BlindIndexEntry.objects.bulk_create(entries, batch_size=1_000)

    sizes = _group_sizes(people, rng)
    case_keys = DataKey.create_many("case", len(sizes))
    cases: list[Case] = []
    members: list[CaseMember] = []
    children: dict[type[Any], list[Any]] = {model: [] for model in (Verification, Consent, RiskAssessment, Need, Task, Note)}
    start = 0
    for size, key in zip(sizes, case_keys, strict=True):
        team = teams[reference % len(teams)]
        owner = staff[team]
        status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
        factors = _factors(rng)
        priority = domain.suggest_priority(factors)
        case = Case(
            data_key=key,
            reference=f"{prefix}{reference:04d}",
            team=team,
            owner=owner,
            status=status,
            priority=priority,
            priority_review=today + datetime.timedelta(days=rng.randint(-3, 30)),
            summary=rng.choice(SUMMARIES),
            created=now - datetime.timedelta(minutes=rng.randint(0, 60 * 24 * 365)),
        )
        reference += 1
        cases.append(case)
        group = persons[start : start + size]
        start += size
        members += [CaseMember(case=case, person=p, role=MemberRole.PRINCIPAL if i == 0 else MemberRole.DEPENDANT) for i, p in enumerate(group)]
        if status != Status.NEW:
            children[Verification].append(
                Verification(case=case, method=rng.choice(list(VerificationMethod)), by=owner, details="Проверено через доверенного знакомого.")
            )
        children[Consent].append(Consent(case=case, person=group[0], scope=ConsentScope.STORE, given=today, recorded_by=owner))
        children[RiskAssessment].append(RiskAssessment(case=case, factors=sorted(factors), suggested_priority=priority, priority=priority, by=owner))
        if rng.random() < 0.5:
            kind = rng.choice(list(NeedKind))
            children[Need].append(Need(case=case, kind=kind, details=NEED_DETAILS[kind]))
        children[Task].append(Task(case=case, title=rng.choice(TASKS), assignee=owner, due=today + datetime.timedelta(days=rng.randint(-10, 20))))
        children[Note].append(Note(case=case, author=owner, body=rng.choice(NOTES)))
    Case.objects.bulk_create(cases, batch_size=500)
    CaseMember.objects.bulk_create(members, batch_size=1_000)
    for model, rows in children.items():
        model._default_manager.bulk_create(rows, batch_size=500)
    # One entry per batch instead of one per record: a benchmark load, said as such in the log.
    action.record(CaseAudit.DEMO_BULK_POPULATE, details={"people": people, "cases": len(cases)})
    return len(cases), reference


def populate_bulk(people: int, seed: int | None = None, progress: Callable[[int], None] | None = None) -> DemoResult:
    """`people` synthetic people and their cases with bulk inserts, for benchmark-sized instances.

    Data keys are made 2,000 per keyring call and blind-index tokens one call per index per
    batch; the rows are what the domain functions would write, but the audit log gets one
    `demo.bulk_populate` entry per batch, and cases start in their status without a history.
    """
    rng = random.Random(seed)  # noqa: S311 -- synthetic demo values, repeatable by seed; keys and codenames use secrets
    staff = demo_staff()
    codes = set(Person.objects.values_list("codename", flat=True))
    reference = _next_reference_number(f"C-{timezone.now().year}-")
    normalized_by = _Normalized()
    made_people = made_cases = 0
    while made_people < people:
        batch = min(BULK_BATCH, people - made_people)
        with act(None, None) as action:
            cases, reference = _bulk_batch(action, batch, rng, staff, codes, reference, normalized_by)
        made_people += batch
        made_cases += cases
        if progress is not None:
            progress(batch)
    # Give the query planner statistics after a bulk load; without them SQLite may pick the
    # (owner_model) index for blind-index lookups and scan every person's entries.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return DemoResult(people=made_people, cases=made_cases, safe_houses=SafeHouse.objects.count())
