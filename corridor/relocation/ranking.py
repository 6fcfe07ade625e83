"""Which route to try next for a case: eligibility with every unmet requirement explained,
and eligible routes ranked by expected days to safety computed from the organisation's figures.

Expected days to safety = T_arrival + (1 - p) / p x T_decision, where p is the posterior mean
grant rate: a refusal costs a decision's wait and the search starts again (geometric number
of tries). The case's priority picks which duration counts: an emergency case is harmed by
the slow outcome, so it uses the 90th percentile; an urgent case the mean of median and
90th percentile; a normal case the median.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pycountry
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corridor.accounts.models import User
from corridor.cases.models import Case, DocumentsHeld, MemberRole, Person, Priority
from corridor.relocation import figures as figures_module
from corridor.relocation import stats
from corridor.relocation.figures import Figures
from corridor.relocation.models import CLOSED_STATUSES, Application, ApplicationStatus, Programme, Referral
from corridor.relocation.queries import profile_for

# With no decisions and no published time, assume six months and say so.
DEFAULT_DAYS = 180.0
# Between a positive decision and arrival (visa issue, tickets) when we have no arrivals yet.
DEFAULT_TRAVEL_DAYS = 30.0


@dataclass
class Route:
    programme: Programme
    eligible: bool
    unmet: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: Figures | None = None
    grant_probability: float = 0.5
    interval: tuple[float, float] = (0.05, 0.95)
    decision_days: float = DEFAULT_DAYS
    arrival_days: float = DEFAULT_DAYS + DEFAULT_TRAVEL_DAYS
    duration_source: str = ""
    expected_days: float = 0.0
    active_application: Application | None = None
    refused_before: datetime.date | None = None
    rank: int | None = None

    @property
    def decisions(self) -> int:
        return self.figures.decisions if self.figures is not None else 0

    @property
    def enough_for_rate(self) -> bool:
        return self.decisions >= stats.MIN_DECISIONS_FOR_RATE

    @property
    def why(self) -> str:
        values = {
            "p": round(self.grant_probability * 100),
            "lo": round(self.interval[0] * 100),
            "hi": round(self.interval[1] * 100),
            "arrive": round(self.arrival_days),
            "decide": round(self.decision_days),
            "source": self.duration_source,
            "expected": round(self.expected_days),
        }
        if not self.enough_for_rate:
            # The ranking still uses the posterior mean (it shrinks a few decisions towards an even
            # chance), but a percentage drawn from one or two decisions is not stated as a finding.
            return _(
                "%(few)s; %(arrive)d days to arrival if granted, %(decide)d days lost per refusal (%(source)s) "
                "→ about %(expected)d days to safety, a rough guess until there are more decisions."
            ) % (values | {"few": figures_module.too_few_decisions(self.decisions)})
        return (
            _(
                "%(p)d%% chance of a grant (90%% interval %(lo)d–%(hi)d%%); %(arrive)d days to arrival if granted, "
                "%(decide)d days lost per refusal (%(source)s) → about %(expected)d days to safety."
            )
            % values
        )


def _language_names(code: str) -> set[str]:
    """The ways a person's language list may name `code`: code, English and Russian name."""
    import gettext

    names = {code.lower()}
    language = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
    if language is not None:
        names.add(language.name.lower())
        names.add(getattr(language, "alpha_3", "").lower())
        try:
            russian = gettext.translation("iso639-3", pycountry.LOCALES_DIR, languages=["ru"])
            names.add(russian.gettext(language.name).lower())
        except OSError:
            pass
    return {name for name in names if name}


def _people(case: Case) -> list[tuple[Person, str]]:
    return [(m.person, m.role) for m in case.members.select_related("person__data_key").order_by("role", "person__codename")]


def _eligibility(programme: Programme, case: Case, people: list[tuple[Person, str]], today: datetime.date) -> list[str]:
    unmet: list[str] = []
    profile = profile_for(case)
    if programme.needs_international_passport:
        lacking = []
        for person, _role in people:
            if person.documents_held != DocumentsHeld.INTERNATIONAL:
                lacking.append(f"{person.codename} ({person.get_documents_held_display()})")
            elif person.passport_expiry is not None and person.passport_expiry < today:
                lacking.append(
                    _("%(codename)s (expired %(date)s)")
                    % {"codename": person.codename, "date": person.passport_expiry.isoformat()}
                )
        if lacking and len(lacking) == len(people):
            unmet.append(_("needs an international passport: none held"))
        elif lacking:
            unmet.append(_("needs an international passport: not held by %(who)s") % {"who": ", ".join(lacking)})
    required = programme.referral
    have = profile.referral or Referral.NONE
    if required == Referral.UNHCR and have != Referral.UNHCR:
        unmet.append(_("needs a referral by UNHCR: the case has %(have)s") % {"have": Referral(have).label})
    elif required == Referral.PARTNER and have != Referral.PARTNER:
        unmet.append(_("needs a referral by a partner organisation: the case has %(have)s") % {"have": Referral(have).label})
    elif required == Referral.UNHCR_OR_PARTNER and have == Referral.NONE:
        unmet.append(_("needs a referral by UNHCR or a partner organisation: none recorded"))
    if programme.needs_family_ties and programme.country_id not in (profile.family_ties or []):
        unmet.append(_("needs family in %(country)s: none recorded") % {"country": programme.country.name})
    if programme.language:
        wanted = _language_names(programme.language)
        spoken = {str(lang).strip().lower() for person, _role in people for lang in (person.languages or [])}
        if not wanted & spoken:
            unmet.append(_("needs %(language)s: no one on the case speaks it") % {"language": programme.language})
    return unmet


def _durations(programme: Programme, figs: Figures | None, priority: str) -> tuple[float, float, str]:
    def pick(median: float | None, p90: float | None) -> float | None:
        if median is None:
            return None
        if priority == Priority.EMERGENCY and p90 is not None:
            return p90
        if priority == Priority.URGENT and p90 is not None:
            return (median + p90) / 2
        return median

    basis = {
        Priority.EMERGENCY: _("90th percentile, emergency case"),
        Priority.URGENT: _("between median and 90th percentile, urgent case"),
    }.get(Priority(priority), _("median"))
    # Durations from fewer than stats.MIN_DURATIONS decisions are one or two applications' own
    # days (a "0-day decision" entered on the day it was recorded, say): not a typical time.
    decision = pick(figs.decision_median, figs.decision_p90) if figs and figs.decision_times_known else None
    arrival = pick(figs.arrival_median, figs.arrival_p90) if figs and figs.arrival_times_known else None
    if decision is not None:
        n = figs.decisions if figs else 0
        source = ngettext("our %(n)d decision, %(basis)s", "our %(n)d decisions, %(basis)s", n) % {"n": n, "basis": basis}
        if arrival is None:
            arrival = decision + DEFAULT_TRAVEL_DAYS
            source += _("; no arrivals yet, %(days)d travel days assumed") % {"days": DEFAULT_TRAVEL_DAYS}
        return decision, max(arrival, decision), source
    few = bool(figs and figs.decisions)
    if programme.published_days:
        days = float(programme.published_days)
        if few:
            return days, days + DEFAULT_TRAVEL_DAYS, _("published processing time; too few decisions of our own")
        return days, days + DEFAULT_TRAVEL_DAYS, _("published processing time; no decisions of our own yet")
    if few:
        return (
            DEFAULT_DAYS,
            DEFAULT_DAYS + DEFAULT_TRAVEL_DAYS,
            _("too few decisions of our own: %(days)d days assumed") % {"days": DEFAULT_DAYS},
        )
    return DEFAULT_DAYS, DEFAULT_DAYS + DEFAULT_TRAVEL_DAYS, _("no data: %(days)d days assumed") % {"days": DEFAULT_DAYS}


def rank_routes(case: Case, today: datetime.date | None = None, *, viewer: User | None = None) -> list[Route]:
    """Every open programme for `case`: ranked eligible routes first, then the rest with reasons.

    Pages pass the `viewer`, so the figures behind the ranking follow figures.compute's rule.
    """
    day = today or timezone.localdate()
    programmes = list(Programme.objects.filter(is_open=True).select_related("country"))
    figs = figures_module.compute(sorted({p.country_id for p in programmes}), day, viewer=viewer) if programmes else {}
    people = _people(case)
    principal_first = sorted(people, key=lambda pair: pair[1] != MemberRole.PRINCIPAL)
    applications = list(Application.objects.filter(case=case).order_by("created"))
    refused = {a.programme_id: a.last_moved for a in applications if a.status == ApplicationStatus.REFUSED}
    active = {a.programme_id: a for a in applications if a.status not in CLOSED_STATUSES}
    routes: list[Route] = []
    for programme in programmes:
        unmet = _eligibility(programme, case, principal_first, day)
        programme_figs = figs.get((programme.country_id, programme.pk))
        rate = programme_figs.rate if programme_figs else stats.grant_rate(0, 0)
        decision, arrival, source = _durations(programme, programme_figs, case.priority)
        p = rate.mean
        route = Route(
            programme=programme,
            eligible=not unmet,
            unmet=unmet,
            figures=programme_figs,
            grant_probability=p,
            interval=rate.interval,
            decision_days=decision,
            arrival_days=arrival,
            duration_source=source,
            expected_days=arrival + (1 - p) / p * decision,
            active_application=active.get(programme.pk),
            refused_before=refused.get(programme.pk),
        )
        if route.refused_before is not None:
            route.notes.append(
                _("refused for this case on %(date)s: ranked last, a new application needs new facts")
                % {"date": route.refused_before.isoformat()}
            )
        if route.active_application is not None:
            route.notes.append(_("already applied: %(status)s") % {"status": route.active_application.get_status_display()})
        routes.append(route)
    # Routes already under way are not offered again; refused ones go to the end of the list.
    candidates = [r for r in routes if r.eligible and r.active_application is None]
    candidates.sort(key=lambda r: (r.refused_before is not None, r.expected_days, r.programme.name))
    for position, route in enumerate(candidates, start=1):
        route.rank = position
    others = [r for r in routes if r.rank is None]
    others.sort(key=lambda r: (r.active_application is None, len(r.unmet), r.programme.country.name_en, r.programme.name))
    return candidates + others
