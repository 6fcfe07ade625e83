"""Synthetic relocation history for the demo: two years of applications in several countries,
with submissions, interviews, decisions, refusals and arrivals, and a few embassy contacts.

Every write goes through corridor.relocation.domain with back-dated events (the domain
accepts past dates, never future ones), so figures, charts and route ranking are computed
from the same rows real use leaves. Needs an unsealed keyring; the people come from
corridor.cases.demo. Each programme's timings and grant odds below are made up, shaped only
so that the countries differ the way coordinators describe them (quick small visas, slow
resettlement).
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from corridor.accounts import domain as accounts_domain
from corridor.accounts.models import Role, Team, User
from corridor.cases.models import Case, Status
from corridor.relocation import domain
from corridor.relocation.models import ApplicationStatus, Country, Programme, ProgrammeKind, RefusalReason

__all__ = ["COORDINATOR", "RelocationDemo", "populate"]

S = ApplicationStatus
COORDINATOR = "relocation"  # the same account `corridor demo` creates
# The history reaches this far back (two years and a little).
HISTORY_DAYS = 760


@dataclass(frozen=True)
class Profile:
    """How one kind of programme behaves: days from submission to a decision, the share of
    grants, how often an interview or more documents come first, and the refusal reasons seen."""

    decision_days: tuple[int, int]
    grant: float
    interview: float
    documents: float
    refusals: tuple[str, ...]


PROFILES: dict[str, Profile] = {
    ProgrammeKind.NATIONAL_VISA: Profile(
        (12, 45), 0.7, 0.4, 0.2, (RefusalReason.NO_LINK, RefusalReason.QUOTA, RefusalReason.DOCUMENTS)
    ),
    ProgrammeKind.HUMANITARIAN_VISA: Profile(
        (35, 150), 0.4, 0.6, 0.3, (RefusalReason.PERSECUTION_NOT_SHOWN, RefusalReason.NO_LINK, RefusalReason.NO_REASON)
    ),
    ProgrammeKind.RESETTLEMENT: Profile(
        (150, 420), 0.55, 0.8, 0.3, (RefusalReason.QUOTA, RefusalReason.SECURITY, RefusalReason.OUTSIDE_SCOPE)
    ),
    ProgrammeKind.PRIVATE_SPONSORSHIP: Profile((200, 480), 0.7, 0.5, 0.5, (RefusalReason.DOCUMENTS, RefusalReason.NO_REASON)),
    ProgrammeKind.FAMILY_REUNIFICATION: Profile((80, 260), 0.75, 0.3, 0.6, (RefusalReason.DOCUMENTS, RefusalReason.OTHER)),
    ProgrammeKind.ASYLUM_ON_ARRIVAL: Profile((20, 90), 0.5, 0.5, 0.2, (RefusalReason.PERSECUTION_NOT_SHOWN,)),
}
# How often coordinators try each country: the small quick visas most.
COUNTRY_WEIGHTS = {"LT": 6, "LV": 4, "DE": 4, "FR": 3, "CA": 2}
CHANNELS = {
    "LT": ["Embassy of Lithuania in Moscow", "Посольство Литвы в Минске", "Consulate in Tbilisi"],
    "LV": ["Embassy of Latvia in Moscow", "Посольство Латвии, Ереван"],
    "DE": ["Deutsche Botschaft Moskau", "German Embassy in Yerevan", "Генконсульство в Тбилиси"],
    "FR": ["Ambassade de France à Moscou", "Consulate in Yerevan"],
    "CA": ["UNHCR Ankara", "Sponsor group, Toronto", "Канадская визовая служба, Стамбул"],
}
REASONS = {
    S.SUBMITTED: ["Документы поданы лично", "Sent with the referral letter", "Подано через визовый центр"],
    S.INTERVIEW: ["Приглашение на собеседование", "Interview date set by the consulate"],
    S.DOCUMENTS_REQUESTED: ["Запросили справку о преследовании", "Asked for proof of family ties", "Нужен перевод документов"],
    S.DECISION: ["Положительное решение, письмо из посольства", "Decision letter received"],
    S.VISA_ISSUED: ["Виза вклеена в паспорт", "Visa collected"],
    S.TRAVEL_BOOKED: ["Билеты куплены", "Flight booked via partner"],
    S.DEPARTED: ["Выехал, граница пройдена", "Left on the morning flight"],
    S.ARRIVED: ["Прибыл, встретили партнёры", "Arrived; met by the partner organisation"],
    S.REFUSED: ["Письмо об отказе", "Refusal by e-mail"],
    S.WITHDRAWN: ["Выбран другой маршрут", "The family asked to stop"],
}
# (country, kind of contact, organisation, name, what was asked, what they answered, next step or "")
CONTACTS = [
    ("LT", "ministry", "Ministry of Foreign Affairs of Lithuania", "Desk officer, Eastern Europe",
     "Two humanitarian visas for a family in hiding", "Will consult the Migration Department", "Send the case summaries"),
    ("DE", "embassy", "Deutsche Botschaft Moskau", "Visa section, humanitarian desk",
     "Admission under § 22 for three people", "Asked for individual statements", "Deliver the statements in person"),
    ("CA", "unhcr", "UNHCR Turkey", "Resettlement officer",
     "Referral of two cases for resettlement", "Cases under review", ""),
    ("FR", "partner", "Partner shelter, Paris", "Coordinator",
     "Accommodation on arrival for one person", "Agreed, from next month", ""),
]  # fmt: skip


@dataclass(frozen=True)
class RelocationDemo:
    applications: int
    decisions: int
    contacts: int


@dataclass
class _Plan:
    programme: Programme
    steps: list[tuple[str, datetime.date]]


def demo_coordinator(teams: Sequence[Team]) -> User:
    """The demo's relocation coordinator, in every demo team; made here when `corridor demo` has not."""
    user = User.objects.filter(username=COORDINATOR).first()
    if user is None:
        user, _token = accounts_domain.create_user(None, username=COORDINATOR, role=Role.RELOCATION, teams=list(teams))
    elif set(teams) - set(user.teams.all()):
        accounts_domain.set_role_and_teams(
            None, user, role=user.role, teams=sorted({*user.teams.all(), *teams}, key=lambda t: t.pk)
        )
    return user


def _days(rng: random.Random, low: int, high: int) -> datetime.timedelta:
    return datetime.timedelta(days=rng.randint(low, high))


def _application(rng: random.Random, programme: Programme, created: datetime.date, outcome: str, today: datetime.date) -> _Plan:
    """One application from its draft on `created` towards `outcome` (a granted journey ends
    in arrived, else refused or withdrawn; "pending" stops wherever today falls). Steps that
    would lie after today are left out: the application is still waiting there."""
    profile = PROFILES[ProgrammeKind(programme.kind)]
    submitted = created + _days(rng, 2, 21)
    decided = submitted + _days(rng, *profile.decision_days)
    steps: list[tuple[str, datetime.date]] = [(S.SUBMITTED, submitted)]
    if rng.random() < profile.interview:
        steps.append((S.INTERVIEW, submitted + (decided - submitted) * rng.uniform(0.3, 0.6)))
    if rng.random() < profile.documents:
        steps.append((S.DOCUMENTS_REQUESTED, submitted + (decided - submitted) * rng.uniform(0.65, 0.9)))
    if outcome == S.WITHDRAWN:
        steps.append((S.WITHDRAWN, steps[-1][1] + (decided - steps[-1][1]) * rng.uniform(0.2, 0.9)))
    elif outcome == S.REFUSED:
        steps.append((S.REFUSED, decided))
    else:
        visa = decided + _days(rng, 2, 20)
        booked = visa + _days(rng, 3, 14)
        departed = booked + _days(rng, 2, 21)
        steps += [(S.DECISION, decided), (S.VISA_ISSUED, visa), (S.TRAVEL_BOOKED, booked), (S.DEPARTED, departed)]
        steps.append((S.ARRIVED, departed + _days(rng, 0, 2)))
    # In order by construction (an interview at 30-60 % of the wait, documents at 65-90 %).
    return _Plan(programme, [(status, day) for status, day in steps if day <= today])


def _pick(rng: random.Random, programmes: Sequence[Programme], outcome: str) -> Programme:
    """A programme for an application that ends in `outcome`: refusals come more often from the
    programmes that refuse more, so each programme's figures keep roughly its grant odds."""
    per_country = Counter(programme.country_id for programme in programmes)
    weights = []
    for programme in programmes:
        grant = PROFILES[ProgrammeKind(programme.kind)].grant
        # Squared: the demo has few applications, and each programme should still look like itself.
        odds = (1 - grant) ** 2 if outcome in (S.REFUSED, S.WITHDRAWN) else grant**2
        # A country's weight is shared by its programmes: Germany's three are not tried three times as often.
        weights.append(COUNTRY_WEIGHTS[programme.country_id] / per_country[programme.country_id] * odds)
    return rng.choices(list(programmes), weights=weights)[0]


def _outcomes(rng: random.Random, status: str) -> list[str]:
    """The applications of one case in order, oldest first, by where the case stands today."""
    refused = [S.REFUSED] * rng.choices([0, 1, 2], weights=[5, 3, 1])[0]
    if status == Status.ARRIVED:
        return [*refused, S.ARRIVED]
    if status == Status.RELOCATING:
        return [*refused, "pending"]
    if status == Status.ACTIVE:
        return [*refused, rng.choice(["pending", "pending", S.DRAFT, ""])]
    if status == Status.CLOSED:
        return [*refused[:1], rng.choice([S.REFUSED, S.WITHDRAWN])]
    if status == Status.ON_HOLD:
        return [*refused[:1], S.WITHDRAWN]
    return []


def _plans(rng: random.Random, status: str, programmes: Sequence[Programme], today: datetime.date) -> list[_Plan]:
    """A case's applications laid out backwards from today, each after the previous one closed."""
    outcomes = [o for o in _outcomes(rng, status) if o]
    plans: list[_Plan] = []
    end = today - _days(rng, 0, 40)
    oldest = today - datetime.timedelta(days=HISTORY_DAYS)
    for outcome in reversed(outcomes):
        programme = _pick(rng, programmes, outcome)
        if outcome == S.DRAFT:
            plans.append(_Plan(programme, []))
            created = today - _days(rng, 0, 10)
        else:
            # Lay it out from a provisional start, then slide it so it ends by `end`.
            provisional = _application(
                rng, programme, oldest, S.ARRIVED if outcome == "pending" else outcome, oldest + datetime.timedelta(days=3650)
            )
            span = provisional.steps[-1][1] - oldest
            if outcome == "pending" and status == Status.RELOCATING:
                # Relocating: often granted already, with the visa or the journey still to come.
                created = today - datetime.timedelta(days=int(span.days * rng.uniform(0.3, 0.9)))
            elif outcome == "pending":
                # Submitted a while ago and waiting; the steps after today are still to come.
                created = today - _days(rng, 20, min(max(span.days // 2, 25), 300))
            else:
                created = end - span
            if created < oldest:
                break
            shift = created - oldest
            steps = [(step, day + shift) for step, day in provisional.steps if day + shift <= today]
            if outcome == "pending":  # under way: not yet gone
                steps = [(step, day) for step, day in steps if step not in (S.DEPARTED, S.ARRIVED)]
            plans.append(_Plan(programme, steps))
        end = created - _days(rng, 7, 45)
    return list(reversed(plans))


def populate(seed: int | None = None) -> RelocationDemo:
    """Applications for the demo teams' cases, by where each case stands, and a few contacts.

    Cases already relocating get one application under way, arrived ones a granted journey,
    active ones earlier refusals and sometimes a draft or a pending application.
    """
    rng = random.Random(seed)  # noqa: S311 -- synthetic demo values, repeatable by seed
    today = timezone.localdate()
    cases = list(Case.objects.select_related("team", "data_key").order_by("reference"))
    teams = sorted({case.team for case in cases}, key=lambda team: team.pk)
    if not cases:
        return RelocationDemo(0, 0, 0)
    coordinator = demo_coordinator(teams)
    programmes = list(Programme.objects.filter(is_open=True, country__in=list(COUNTRY_WEIGHTS)).order_by("pk"))
    applications = decisions = 0
    for case in cases:
        plans = _plans(rng, case.status, programmes, today) if programmes else []
        if not plans:
            continue
        members = [m.person for m in case.members.select_related("person", "person__data_key")]
        if any(p.programme.referral != "none" or p.programme.needs_family_ties for p in plans):
            ties = sorted({p.programme.country_id for p in plans if p.programme.needs_family_ties})
            domain.set_profile(coordinator, case, referral="unhcr", family_ties=ties)
        for plan in plans:
            created = plan.steps[0][1] - _days(rng, 2, 14) if plan.steps else today
            channel = rng.choice(CHANNELS[plan.programme.country_id])
            application = domain.create_application(
                coordinator, case, plan.programme, channel=channel, members=members, on=created
            )
            applications += 1
            for status, day in plan.steps:
                extra = (
                    {"refusal_reason": rng.choice(PROFILES[ProgrammeKind(plan.programme.kind)].refusals)}
                    if status == S.REFUSED
                    else {}
                )
                domain.transition_application(
                    coordinator, application, status, reason=rng.choice(REASONS[S(status)]), on=day, **extra
                )
                decisions += status in (S.DECISION, S.REFUSED)
    contacts = _contacts(coordinator, rng, today)
    return RelocationDemo(applications=applications, decisions=decisions, contacts=contacts)


def _contacts(coordinator: User, rng: random.Random, today: datetime.date) -> int:
    for country, kind, organisation, name, asked, response, next_step in CONTACTS:
        contact = domain.create_contact(
            coordinator, country=Country.objects.get(pk=country), kind=kind, organisation=organisation, name=name
        )
        on = today - _days(rng, 5, 60)
        due = on + _days(rng, 7, 30) if next_step else None  # some due already: the alerts show them
        domain.log_engagement(coordinator, contact, asked=asked, response=response, next_step=next_step, next_due=due, on=on)
    return len(CONTACTS)
