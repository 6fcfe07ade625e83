"""Corroboration of an act: how many independent sources speak of it, and how well the key facts
they give (dates, place, perpetrators) agree, with the reasons in words.

Independence: a source derived from another (a report that copies a report, a retelling of a
testimony) is not new evidence. Sources are grouped by their **root** (follow `derived_from`
to the original); a group counts once however long its chain. Two testimonies given by the
same person are one group too: one memory, told twice. A testimony by the victim and one by
a witness are two groups, since neither derives from the other.

Consistency compares the groups, not the sources: a copy that repeats a wrong date does not
make it more likely, and a copy cannot outvote an independent source either. Each group's
facts are what its members give (a date range is the span of the dates they give, places
and perpetrators the union). The score starts at 1 and loses a share for each fact on which
the groups disagree; every loss comes with a reason a person can check.

The core (`corroborate`) is a pure function over plain `Report`s, so it is tested without a
database and runs in bulk: `for_acts` loads many acts' information in a handful of queries
(one for the information, one for the sources' derivation links, one for the perpetrators
they name) and computes in memory.
"""

from __future__ import annotations

import datetime
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from corridor.documentation import nearduplicates
from corridor.documentation.models import Act, HowKnown, Information, Source, SourceKind
from corridor.keys.fields import preload_keys

# How far apart the first days two independent groups give may be before it counts against
# consistency, and how much each disagreement costs. Dates in testimony are often remembered
# to within a few days ("early March"); weeks apart is a real difference worth a person's look.
DATES_CLOSE_DAYS = 3
DATES_FAR_DAYS = 30
PENALTY_DATES_NEAR = 0.15
PENALTY_DATES_FAR = 0.35
PENALTY_PLACES = 0.25
PENALTY_PERPETRATORS_DISJOINT = 0.3
PENALTY_PERPETRATORS_PARTIAL = 0.1
FIRST_HAND = frozenset({HowKnown.VICTIM, HowKnown.WITNESS})


@dataclass(frozen=True, slots=True)
class SourceNode:
    """What independence needs to know of a source: where it derives from, and who gave it."""

    id: Hashable
    derived_from: Hashable | None = None
    kind: str = SourceKind.MEDIA
    person: Hashable | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """One piece of information about an act: which source, and the key facts it gives."""

    source: Hashable
    start: datetime.date | None = None
    end: datetime.date | None = None
    place: str | None = None
    perpetrators: frozenset[Hashable] = frozenset()
    how_known: str = ""
    reliability: str = ""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the score is what it is: a code for machines, `text` (in the active language) for people."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    @property
    def text(self) -> str:
        return _reason_text(self.code, dict(self.params))

    def __str__(self) -> str:
        return self.text


@dataclass(slots=True)
class Group:
    """Sources that count as one: an original and everything derived from it."""

    key: Hashable
    sources: list[Hashable] = field(default_factory=list)


@dataclass(slots=True)
class Corroboration:
    independent: int
    sources: int
    groups: list[Group]
    # 0..1, or None when fewer than two independent groups give anything to compare.
    score: float | None
    reasons: list[Reason]
    # Independent groups with at least one first-hand account (the victim or a direct witness).
    first_hand: int = 0

    @property
    def score_percent(self) -> int | None:
        return None if self.score is None else round(self.score * 100)

    @property
    def reason_texts(self) -> list[str]:
        return [reason.text for reason in self.reasons]


# -- independence ---------------------------------------------------------------------------------


def roots(nodes: Mapping[Hashable, SourceNode], found: dict[Hashable, Hashable] | None = None) -> dict[Hashable, Hashable]:
    """The root of every source in `nodes` (itself when it derives from nothing known).

    Iterative with memoisation: each chain is walked once, however many sources hang from it;
    `found` (the roots known so far) is extended in place when given, so a bulk run that learns
    the graph chunk by chunk never walks a chain twice. A loop (refused by the actions, but a
    database can hold anything) ends at the first source met twice, so it still yields one group.
    """
    if found is None:
        found = {}
    for start in nodes:
        if start in found:
            continue
        path: list[Hashable] = []
        on_path: set[Hashable] = set()
        current: Hashable = start
        while True:
            if current in found:
                root = found[current]
                break
            if current in on_path:
                root = current
                break
            path.append(current)
            on_path.add(current)
            parent = nodes[current].derived_from if current in nodes else None
            if parent is None or parent not in nodes:
                root = current
                break
            current = parent
        for member in path:
            found[member] = root
    return found


def group_key(root: Hashable, nodes: Mapping[Hashable, SourceNode]) -> Hashable:
    """Testimonies whose originals were given by one person are one group; any other root is its own."""
    node = nodes.get(root)
    if node is not None and node.kind == SourceKind.TESTIMONY and node.person is not None:
        return ("person", node.person)
    return ("source", root)


# -- consistency ----------------------------------------------------------------------------------


def _normal_place(place: str) -> str:
    text = unicodedata.normalize("NFKC", place).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


@dataclass(slots=True)
class _Facts:
    starts: list[datetime.date] = field(default_factory=list)
    places: set[str] = field(default_factory=set)
    perpetrators: set[Hashable] = field(default_factory=set)


def _span(days: int) -> tuple[str, int]:
    """A distance in days as the unit a person would say it in: days, weeks or months."""
    if days < 14:
        return "days", days
    if days < 60:
        return "weeks", round(days / 7)
    return "months", round(days / 30.44)


def corroborate(
    reports: Iterable[Report], nodes: Mapping[Hashable, SourceNode], root_of: Mapping[Hashable, Hashable] | None = None
) -> Corroboration:
    """Independence and consistency of the `reports` about one act.

    `nodes` knows every source's parent; `root_of` (from `roots(nodes)`) is passed in when many
    acts share one graph, so the chains are walked once for all of them.
    """
    listed = list(reports)
    if root_of is None:
        root_of = roots(nodes)
    groups: dict[Hashable, Group] = {}
    facts: dict[Hashable, _Facts] = {}
    first_hand: set[Hashable] = set()
    for report in listed:
        key = group_key(root_of.get(report.source, report.source), nodes)
        group = groups.setdefault(key, Group(key=key))
        if report.source not in group.sources:
            group.sources.append(report.source)
        fact = facts.setdefault(key, _Facts())
        if report.start is not None:
            fact.starts.append(report.start)
        if report.place:
            normal = _normal_place(report.place)
            if normal:
                fact.places.add(normal)
        fact.perpetrators |= report.perpetrators
        if report.how_known in FIRST_HAND:
            first_hand.add(key)
    sources = len({report.source for report in listed})
    ordered = sorted(groups.values(), key=lambda g: str(g.key))
    reasons: list[Reason] = []
    if sources > len(groups):
        reasons.append(Reason("derived", (("sources", sources), ("independent", len(groups)))))
    score, fact_reasons = _consistency([facts[g.key] for g in ordered])
    reasons.extend(fact_reasons)
    return Corroboration(
        independent=len(groups), sources=sources, groups=ordered, score=score, reasons=reasons, first_hand=len(first_hand)
    )


def _consistency(groups: list[_Facts]) -> tuple[float | None, list[Reason]]:
    reasons: list[Reason] = []
    penalty = 0.0
    compared = False

    dated = [min(g.starts) for g in groups if g.starts]
    if len(dated) >= 2:
        compared = True
        spread = (max(dated) - min(dated)).days
        if spread <= DATES_CLOSE_DAYS:
            reasons.append(Reason("dates_agree", (("count", len(dated)), ("days", DATES_CLOSE_DAYS))))
        else:
            unit, amount = _span(spread)
            penalty += PENALTY_DATES_FAR if spread > DATES_FAR_DAYS else PENALTY_DATES_NEAR
            reasons.append(Reason(f"dates_apart_{unit}", (("count", len(dated)), ("amount", amount))))
    elif len(groups) >= 2:
        reasons.append(Reason("dates_single", (("count", len(dated)),)))

    placed = [g.places for g in groups if g.places]
    if len(placed) >= 2:
        compared = True
        common = set.intersection(*placed)
        if common:
            reasons.append(Reason("places_agree", (("count", len(placed)),)))
        else:
            penalty += PENALTY_PLACES
            reasons.append(Reason("places_differ", (("count", len(placed)),)))

    named = [g.perpetrators for g in groups if g.perpetrators]
    if len(named) >= 2:
        compared = True
        if set.intersection(*named):
            if all(n == named[0] for n in named):
                reasons.append(Reason("perpetrators_agree", (("count", len(named)),)))
            else:
                penalty += PENALTY_PERPETRATORS_PARTIAL
                reasons.append(Reason("perpetrators_partial", (("count", len(named)),)))
        else:
            penalty += PENALTY_PERPETRATORS_DISJOINT
            reasons.append(Reason("perpetrators_differ", (("count", len(named)),)))

    if len(groups) < 2:
        reasons.append(Reason("single_source", (("count", len(groups)),)))
        return None, reasons
    if not compared:
        return None, reasons
    return round(max(0.0, 1.0 - penalty), 2), reasons


def _reason_text(code: str, p: dict[str, Any]) -> str:
    count = int(p.get("count", 0))
    if code == "derived":
        return ngettext(
            "%(sources)d sources, but they trace back to %(independent)d original.",
            "%(sources)d sources, but they trace back to %(independent)d independent originals.",
            int(p["independent"]),
        ) % {"sources": p["sources"], "independent": p["independent"]}
    if code == "single_source":
        if count == 0:
            return _("No source speaks of this act yet.")
        return _("Only one independent source: nothing to compare it with.")
    if code == "dates_agree":
        return ngettext(
            "%(count)d independent source gives dates within %(days)d days of each other.",
            "%(count)d independent sources give dates within %(days)d days of each other.",
            count,
        ) % {"count": count, "days": p["days"]}
    if code == "dates_apart_days":
        return ngettext(
            "%(count)d sources give dates %(amount)d day apart.",
            "%(count)d sources give dates %(amount)d days apart.",
            int(p["amount"]),
        ) % {"count": count, "amount": p["amount"]}
    if code == "dates_apart_weeks":
        return ngettext(
            "%(count)d sources give dates %(amount)d week apart.",
            "%(count)d sources give dates %(amount)d weeks apart.",
            int(p["amount"]),
        ) % {"count": count, "amount": p["amount"]}
    if code == "dates_apart_months":
        return ngettext(
            "%(count)d sources give dates %(amount)d month apart.",
            "%(count)d sources give dates %(amount)d months apart.",
            int(p["amount"]),
        ) % {"count": count, "amount": p["amount"]}
    if code == "dates_single":
        return _("Fewer than two independent sources give a date.")
    if code == "places_agree":
        return ngettext(
            "%(count)d independent source names the same place.",
            "%(count)d independent sources name the same place.",
            count,
        ) % {"count": count}
    if code == "places_differ":
        return ngettext(
            "%(count)d independent source names different places.",
            "%(count)d independent sources name different places.",
            count,
        ) % {"count": count}
    if code == "perpetrators_agree":
        return ngettext(
            "%(count)d independent source names the same perpetrators.",
            "%(count)d independent sources name the same perpetrators.",
            count,
        ) % {"count": count}
    if code == "perpetrators_partial":
        return ngettext(
            "%(count)d independent source names the perpetrators only partly alike.",
            "%(count)d independent sources name the perpetrators only partly alike.",
            count,
        ) % {"count": count}
    if code == "perpetrators_differ":
        return ngettext(
            "%(count)d independent source names no perpetrator in common.",
            "%(count)d independent sources name no perpetrator in common.",
            count,
        ) % {"count": count}
    raise ValueError(f"unknown reason {code!r}")


# -- from the database, in bulk -------------------------------------------------------------------


def _act_ids(acts: Iterable[Act | uuid.UUID] | QuerySet[Act]) -> list[Any]:
    if isinstance(acts, QuerySet):
        return list(acts.values_list("pk", flat=True))
    return [a.pk if isinstance(a, Model) else a for a in acts]


def load(
    act_ids: list[Any], *, places: bool = True, known: Mapping[Hashable, SourceNode] | None = None
) -> tuple[dict[Any, list[Report]], dict[Hashable, SourceNode]]:
    """The reports about each act, and the derivation graph of the sources they cite that `known`
    does not hold yet.

    Queries per chunk of acts: the information (clear columns), the perpetrators each names,
    and the sources with, walking up, those they derive from (one query per level of
    derivation, usually one or two). With `places` the places the sources give are decrypted
    too (their keys unwrapped in one keyring call); without, consistency compares dates and
    perpetrators only. Ids go to the database in chunks, under every backend's parameter limit.
    """
    info: list[tuple[Any, ...]] = []
    named: dict[Any, set[Hashable]] = defaultdict(set)
    place_of: dict[Any, str | None] = {}
    through = Information.reported_perpetrators.through
    for chunk in _chunks(act_ids):
        info.extend(
            Information.objects.filter(act__in=chunk).values_list(
                "pk", "act_id", "source_id", "reported_start", "how_known", "reliability"
            )
        )
        pairs = through.objects.filter(information__act__in=chunk).values_list("information_id", "perpetrator_id")
        for information_id, perpetrator_id in pairs:
            named[information_id].add(perpetrator_id)
        if places:
            with_place = list(
                Information.objects.filter(act__in=chunk, reported_place__isnull=False)
                .select_related("source__data_key")
                .only("pk", "reported_place", "source__data_key")
            )
            preload_keys(with_place)
            place_of |= {row.pk: row.reported_place for row in with_place}
    nodes = _source_nodes({row[2] for row in info}, known or {})
    reports: dict[Any, list[Report]] = defaultdict(list)
    nobody: frozenset[Hashable] = frozenset()
    for pk, act_id, source_id, start, how_known, reliability in info:
        names = named.get(pk)
        reports[act_id].append(
            Report(
                source=source_id,
                start=start,
                place=place_of.get(pk),
                perpetrators=frozenset(names) if names else nobody,
                how_known=how_known,
                reliability=reliability,
            )
        )
    return reports, nodes


CHUNK = 5_000


def _chunks(values: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _source_nodes(wanted: set[Any], known: Mapping[Hashable, SourceNode]) -> dict[Hashable, SourceNode]:
    nodes: dict[Hashable, SourceNode] = {}
    pending = sorted((pk for pk in wanted if pk not in known), key=str)
    while pending:
        parents: set[Any] = set()
        for chunk in _chunks(pending):
            for pk, parent, kind, person in Source.objects.filter(pk__in=chunk).values_list(
                "pk", "derived_from_id", "kind", "person_id"
            ):
                nodes[pk] = SourceNode(id=pk, derived_from=parent, kind=kind, person=person)
                if parent is not None:
                    parents.add(parent)
        pending = sorted((pk for pk in parents if pk not in nodes and pk not in known), key=str)
    return nodes


def for_acts(acts: Iterable[Act | uuid.UUID] | QuerySet[Act], *, places: bool = True) -> dict[Any, Corroboration]:
    """Corroboration of each act (by primary key); an act nobody reported has zero sources."""
    ids = _act_ids(acts)
    nodes: dict[Hashable, SourceNode] = {}
    root_of: dict[Hashable, Hashable] = {}
    results: dict[Any, Corroboration] = {}
    # Chunk by chunk, so memory holds one chunk's reports (and the results), not every report.
    for chunk in _chunks(ids):
        reports, new = load(chunk, places=places, known=nodes)
        nodes |= new
        roots(nodes, root_of)
        for pk in chunk:
            results[pk] = corroborate(reports.get(pk, []), nodes, root_of)
    return results


def for_act(act: Act) -> Corroboration:
    return for_acts([act])[act.pk]


def near_duplicate_flags(user: Any, event: Any) -> list[nearduplicates.Flag]:
    """Near-duplicate flags among the sources of `event` that `user` may see (see nearduplicates)."""
    return nearduplicates.flags_for_event(user, event)
