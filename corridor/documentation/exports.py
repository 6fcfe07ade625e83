"""Exports for partners: events, acts and sources as CSV that Uwazi's CSV import accepts, and as
JSON in the shape of the HURIDOCS Events Standard Formats. Only what confidentiality and consent
allow leaves the instance.

What is left out, and why:
- Events marked internal never leave. A partner export takes events marked "partners" or
  "public"; a public export only "public" ones, without the exact place (the region only).
- An act leaves only when its victim has a standing consent: to sharing with the named partner
  (cases ConsentScope.SHARE, partner named, not withdrawn) for a partner export, to anonymised
  use (ConsentScope.STATISTICS) for a public one. Without it the act is left out entirely, its
  consequences and stated reason too: they describe a person.
- The victim is named by codename in a partner export and not at all in a public one; names
  travel only in referral bundles. A victim whose case the exporting user cannot see is not
  named either (the rule of access.victim_label).
- A testimony leaves only under the same consent of the person who gave it; documents and
  reports of organisations only to partners; media reports to both. Source texts never leave.
- Only what the exporting user may see (access.py) is considered at all.

Uwazi CSV (docs.uwazi.io, "Reference > CSV import" and "How to import entities from a CSV
file"; HURIDOCS python_uwazi_API "uwazi_csv_conventions.md"): UTF-8, comma separated, the first
row names the template's properties (snake_case, which Uwazi also matches from "My Property"),
`title` required on every row; several values in one cell separated by "|"; dates as YYYY/MM/DD
and a date range as start:end with no spaces ("2017/03/01:2017/03/10", a missing end left
empty); select values by their exact label; relationships by the exact title of the entity they
point to. One file per template (events, acts, sources), imported in that order.
"""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit import log as audit
from corridor.cases.access import people_visible_to
from corridor.cases.models import Consent, ConsentScope, DatePrecision
from corridor.documentation import access, corroboration
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.domain.vocabulary import label
from corridor.documentation.models import (
    Act,
    Confidentiality,
    Event,
    Information,
    Involvement,
    Perpetrator,
    Source,
    SourceKind,
)
from corridor.documentation.rules import EXPORT_EVENTS
from corridor.keys.fields import preload_keys


class Audience:
    PARTNER = "partner"
    PUBLIC = "public"
    ALL = (PARTNER, PUBLIC)


ALLOWED_CONFIDENTIALITY = {
    Audience.PARTNER: (Confidentiality.PARTNERS, Confidentiality.PUBLIC),
    Audience.PUBLIC: (Confidentiality.PUBLIC,),
}
SOURCE_KINDS = {
    Audience.PARTNER: (SourceKind.TESTIMONY, SourceKind.DOCUMENT, SourceKind.MEDIA, SourceKind.ORGANISATION),
    Audience.PUBLIC: (SourceKind.TESTIMONY, SourceKind.MEDIA),
}
# HURIDOCS date types for Corridor's precisions.
DATE_TYPE: dict[str, str] = {
    DatePrecision.EXACT: "exact",
    DatePrecision.YEAR: "year only",
    DatePrecision.APPROXIMATE: "estimated",
}


class ExportRefused(ValueError):
    """The export was asked for wrongly (a partner export with no partner named)."""


@dataclass
class Export:
    """What may leave, decided once; the CSV and JSON writers only format it."""

    audience: str
    partner: str
    language: str
    events: list[Event] = field(default_factory=list)
    acts: dict[uuid.UUID, list[Act]] = field(default_factory=dict)
    involvements: dict[uuid.UUID, list[Involvement]] = field(default_factory=dict)
    information: dict[uuid.UUID, list[Information]] = field(default_factory=dict)  # by act or event id
    sources: list[Source] = field(default_factory=list)
    victims: dict[uuid.UUID, str] = field(default_factory=dict)  # act id -> how the victim is named
    corroboration: dict[Any, corroboration.Corroboration] = field(default_factory=dict)
    left_out: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def public(self) -> bool:
        return self.audience == Audience.PUBLIC


def _consenting(person_ids: set[uuid.UUID], audience: str, partner: str) -> set[uuid.UUID]:
    """Which people have a standing consent for this audience (one query)."""
    if not person_ids:
        return set()
    scope = ConsentScope.SHARE if audience == Audience.PARTNER else ConsentScope.STATISTICS
    consents = Consent.objects.filter(person_id__in=person_ids, scope=scope, withdrawn__isnull=True).select_related(
        "case__data_key"
    )
    found: set[uuid.UUID] = set()
    rows = list(consents)
    preload_keys(rows)
    for consent in rows:
        if audience == Audience.PARTNER and (consent.partner or "").strip().casefold() != partner.strip().casefold():
            continue
        found.add(consent.person_id)
    return found


def build(user: User, *, audience: str, partner: str = "", language: str = "en", events: Iterable[Any] | None = None) -> Export:
    """Decide what may leave for `audience` (and `partner`): see the module's docstring.

    `events` narrows the export to those ids (a page's filter); only visible ones count anyway.
    Raises NotPermitted for a role that may not export, ExportRefused for a wrong request.
    """
    access.permit(user, EXPORT_EVENTS)
    if audience not in Audience.ALL:
        raise ExportRefused(_("Choose who the export is for."))
    if audience == Audience.PARTNER and not partner.strip():
        raise ExportRefused(_("Name the partner the export is for: consent to share names a partner."))
    export = Export(audience=audience, partner=partner.strip(), language=language)
    visible = access.events_visible_to(user)
    if events is not None:
        visible = visible.filter(pk__in=list(events))
    export.left_out["events"] = visible.exclude(confidentiality__in=ALLOWED_CONFIDENTIALITY[audience]).count()
    allowed = visible.filter(confidentiality__in=ALLOWED_CONFIDENTIALITY[audience])
    chosen = list(allowed.select_related("data_key").order_by("start", "created"))
    preload_keys(chosen)
    export.events = chosen
    acts = list(
        Act.objects.filter(event__in=chosen)
        .select_related("event__data_key", "act_type", "victim")
        .prefetch_related("methods")
        .order_by("start", "created")
    )
    cited = list(
        Information.objects.filter(Q(event__in=chosen) | Q(act__in=acts))
        .select_related("source__data_key")
        .prefetch_related("reported_perpetrators")
    )
    people = {act.victim_id for act in acts} | {info.source.person_id for info in cited if info.source.person_id}
    consenting = _consenting(people, audience, export.partner)
    seen_by_user = set(people_visible_to(user).filter(pk__in=people).values_list("pk", flat=True))
    kept_acts = []
    for act in acts:
        if act.victim_id not in consenting:
            export.left_out["acts"] += 1
            continue
        kept_acts.append(act)
        if export.public or act.victim_id not in seen_by_user:
            export.victims[act.pk] = ""
        else:
            export.victims[act.pk] = act.victim.codename
        export.acts.setdefault(act.event_id, []).append(act)
    preload_keys(kept_acts)
    involvements = list(
        Involvement.objects.filter(act__in=kept_acts).select_related("perpetrator__data_key", "act__event__data_key")
    )
    preload_keys(involvements)
    for involvement in involvements:
        export.involvements.setdefault(involvement.act_id, []).append(involvement)
    kept_ids = {act.pk for act in kept_acts}
    sources: dict[uuid.UUID, Source] = {}
    for info in cited:
        source = info.source
        if info.act_id is not None and info.act_id not in kept_ids:
            continue
        if source.kind not in SOURCE_KINDS[audience] or (source.person_id is not None and source.person_id not in consenting):
            export.left_out["sources"] += 1
            continue
        target = info.act_id or info.event_id
        if target is not None:
            export.information.setdefault(target, []).append(info)
        sources[source.pk] = source
    export.sources = sorted(sources.values(), key=lambda s: (s.published or s.created.date(), str(s.pk)))
    preload_keys(export.sources)
    export.corroboration = corroboration.for_acts(kept_acts)
    return export


def export_for(
    user: User, *, audience: str, partner: str = "", language: str = "en", kind: str, events: Iterable[Any] | None = None
) -> Export:
    """build(), audited: who exported what for whom (counts only; the partner's name is encrypted in the details)."""
    export = build(user, audience=audience, partner=partner, language=language, events=events)
    entry = DocumentationAudit.EXPORT_JSON if kind == "json" else DocumentationAudit.EXPORT_CSV
    details = {
        "audience": audience,
        "partner": export.partner,
        "events": len(export.events),
        "acts": sum(len(acts) for acts in export.acts.values()),
        "sources": len(export.sources),
        "left_out": dict(export.left_out),
        "format": kind,
    }
    audit.record(actor=user, action=entry, obj=None, details=details)
    return export


# -- formats ------------------------------------------------------------------------------------


def _uwazi_date(value: datetime.date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else ""


def _uwazi_range(start: datetime.date | None, end: datetime.date | None) -> str:
    if start is None and end is None:
        return ""
    return f"{_uwazi_date(start)}:{_uwazi_date(end)}"


def _cell(value: Any) -> str:
    """A cell as text, safe to open in a spreadsheet: a leading = + - @ would run as a formula
    (OWASP "CSV injection"), so it gets a leading apostrophe, which spreadsheets hide."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _event_title(event: Event) -> str:
    return str(event.title)


def _act_title(export: Export, act: Act) -> str:
    return f"{label(act.act_type, export.language)} — {_event_title(act.event)}"


def _perpetrators(export: Export, act: Act) -> list[str]:
    return [f"{inv.perpetrator.name} ({inv.get_degree_display()})" for inv in export.involvements.get(act.pk, [])]


UWAZI_TEMPLATES = ("events", "acts", "sources")


def uwazi_csv(export: Export, template: str) -> str:
    """One Uwazi template's CSV: `events`, `acts` or `sources` (see the module docstring)."""
    if template == "events":
        titles = {event.pk: _event_title(event) for event in export.events}
        header = [
            "title",
            "date",
            "date_precision",
            "region",
            "place",
            "description",
            "confidentiality",
            "follows",
            "corridor_id",
        ]
        rows = [
            [
                _event_title(event),
                _uwazi_range(event.start, event.end),
                DATE_TYPE.get(event.start_precision, ""),
                event.region,
                "" if export.public else (event.place or ""),
                event.description or "",
                event.get_confidentiality_display(),
                titles.get(event.follows_id, "") if event.follows_id else "",
                str(event.pk),
            ]
            for event in export.events
        ]
        return _csv(header, rows)
    if template == "acts":
        header = [
            "title",
            "event",
            "victim",
            "type_of_act",
            "methods",
            "date",
            "place",
            "stated_reason",
            "physical_consequences",
            "psychological_consequences",
            "status_at_end",
            "perpetrators",
            "independent_sources",
            "corridor_id",
        ]
        act_rows = []
        for event in export.events:
            for act in export.acts.get(event.pk, []):
                result = export.corroboration.get(act.pk)
                act_rows.append(
                    [
                        _act_title(export, act),
                        _event_title(event),
                        export.victims.get(act.pk, ""),
                        label(act.act_type, export.language),
                        "|".join(sorted(label(m, export.language) for m in act.methods.all())),
                        _uwazi_range(act.start, act.end),
                        "" if export.public else (act.place or ""),
                        "" if export.public else (act.stated_reason or ""),
                        "" if export.public else (act.physical_consequences or ""),
                        "" if export.public else (act.psychological_consequences or ""),
                        act.get_end_status_display(),
                        "|".join(_perpetrators(export, act)),
                        result.independent if result else 0,
                        str(act.pk),
                    ]
                )
        return _csv(header, act_rows)
    if template == "sources":
        header = ["title", "kind", "author", "address", "published", "derived_from", "corridor_id"]
        titles = {source.pk: source.title for source in export.sources}
        rows = [
            [
                source.title,
                source.get_kind_display(),
                "" if source.kind == SourceKind.TESTIMONY else (source.author or ""),
                "" if source.kind == SourceKind.TESTIMONY else (source.url or ""),
                _uwazi_date(source.published),
                titles.get(source.derived_from_id, "") if source.derived_from_id else "",
                str(source.pk),
            ]
            for source in export.sources
        ]
        return _csv(header, rows)
    raise ValueError(f"unknown Uwazi template {template!r}")


def _information_json(export: Export, info: Information) -> dict[str, Any]:
    return {
        "source": str(info.source_id),
        "connection_with_event": info.how_known,
        "reliability_of_information": info.reliability,
        "date_of_information": info.reported_start.isoformat() if info.reported_start else None,
        "remarks": None if export.public else info.note,
    }


def huridocs_json(export: Export) -> dict[str, Any]:
    """The export as HURIDOCS Events Standard Formats records (field names as in the formats and
    HURIDOCS' OpenEvSys): events with their acts, each act with its involvements and information;
    the sources and perpetrators they refer to, by id."""
    perpetrators: dict[uuid.UUID, Perpetrator] = {}
    events = []
    for event in export.events:
        acts = []
        for act in export.acts.get(event.pk, []):
            involvements = []
            for inv in export.involvements.get(act.pk, []):
                perpetrators[inv.perpetrator_id] = inv.perpetrator
                involvements.append({"perpetrator": str(inv.perpetrator_id), "degree_of_involvement": inv.degree})
            result = export.corroboration.get(act.pk)
            acts.append(
                {
                    "act_record_number": str(act.pk),
                    "victim": export.victims.get(act.pk) or None,
                    "type_of_act": act.act_type.code,
                    "method_of_violence": sorted(m.code for m in act.methods.all()),
                    "initial_date": act.start.isoformat() if act.start else None,
                    "initial_date_type": DATE_TYPE.get(act.start_precision),
                    "final_date": act.end.isoformat() if act.end else None,
                    "final_date_type": DATE_TYPE.get(act.end_precision),
                    "exact_location": None if export.public else act.place,
                    "stated_reason": None if export.public else act.stated_reason,
                    "physical_consequences": None if export.public else act.physical_consequences,
                    "psychological_consequences": None if export.public else act.psychological_consequences,
                    "status_at_end_of_act": act.end_status,
                    "involvements": involvements,
                    "information": [_information_json(export, info) for info in export.information.get(act.pk, [])],
                    "corroboration": {
                        "independent_sources": result.independent if result else 0,
                        "consistency": result.score if result else None,
                        "reasons": [reason.code for reason in result.reasons] if result else [],
                    },
                }
            )
        events.append(
            {
                "event_record_number": str(event.pk),
                "event_title": event.title,
                "initial_date": event.start.isoformat(),
                "initial_date_type": DATE_TYPE.get(event.start_precision),
                "final_date": event.end.isoformat() if event.end else None,
                "final_date_type": DATE_TYPE.get(event.end_precision),
                "geographical_term": event.region or None,
                "local_geographical_area": None if export.public else event.place,
                "event_description": event.description,
                "confidentiality": event.confidentiality,
                "chain_of_events": (
                    [{"related_event": str(event.follows_id), "type_of_chain_of_events": "follows"}]
                    if event.follows_id and any(e.pk == event.follows_id for e in export.events)
                    else []
                ),
                "acts": acts,
                "information": [_information_json(export, info) for info in export.information.get(event.pk, [])],
            }
        )
    preload_keys(perpetrators.values())
    return {
        "format": "HURIDOCS Events Standard Formats",
        "exported": timezone.now().isoformat(),
        "audience": export.audience,
        "events": events,
        "sources": [
            {
                "source_record_number": str(source.pk),
                "title": source.title,
                "type_of_source": source.kind,
                "author": None if source.kind == SourceKind.TESTIMONY else source.author,
                "url": None if source.kind == SourceKind.TESTIMONY else source.url,
                "date_of_source_material": source.published.isoformat() if source.published else None,
                "derived_from": str(source.derived_from_id) if source.derived_from_id else None,
            }
            for source in export.sources
        ],
        "perpetrators": [
            {"perpetrator_record_number": str(p.pk), "name": p.name, "type_of_perpetrator": p.kind}
            for p in sorted(perpetrators.values(), key=lambda p: str(p.pk))
        ],
        "left_out": dict(export.left_out),
    }
