"""Sources (testimony, document, media report, another organisation's report), what each is
derived from, and the information that ties a source to an event or an act."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.audit.actions import act, lock
from corridor.cases.access import people_visible_to
from corridor.cases.models import Person
from corridor.documentation.audit_names import DocumentationAudit
from corridor.documentation.domain.checks import (
    apply,
    check_choice,
    check_happened,
    check_seen,
    copy_back,
    optional_text,
    required_text,
)
from corridor.documentation.models import Act, Event, HowKnown, Information, Perpetrator, Reliability, Source, SourceKind
from corridor.documentation.rules import MANAGE_EVENTS
from corridor.keys.api import DataKey

SOURCE_FIELDS = ("kind", "person", "title", "text", "url", "author", "published")
# A source's text is compared in memory (near-duplicates); a bound keeps that cheap and bounded.
MAX_SOURCE_TEXT = 200_000


def _clean(actor: User, values: dict[str, Any], *, new_person: bool) -> dict[str, Any]:
    unknown = set(values) - set(SOURCE_FIELDS)
    if unknown:
        raise TypeError(f"unknown source fields: {sorted(unknown)}")
    check_choice(values.get("kind"), SourceKind, "kind")
    cleaned = dict(values)
    cleaned["title"] = required_text(values.get("title"), "title", _("Give the source a title."))
    if len(cleaned["title"]) > 300:
        raise ValidationError({"title": _("Keep the title under 300 characters.")})
    for name in ("text", "url", "author"):
        cleaned[name] = optional_text(values.get(name))
    if cleaned["text"] and len(cleaned["text"]) > MAX_SOURCE_TEXT:
        raise ValidationError({"text": _("The text is too long; attach the full document as evidence instead.")})
    url = cleaned["url"]
    if url and not url.startswith(("https://", "http://")):
        raise ValidationError({"url": _("Give the address starting with https:// or http://.")})
    published = values.get("published")
    if published is not None:
        if not isinstance(published, datetime.date):
            raise ValidationError({"published": _("Give a date.")})
        if published > timezone.localdate():
            raise ValidationError({"published": _("A source cannot be published in the future.")})
    person = values.get("person")
    if values.get("kind") == SourceKind.TESTIMONY:
        if person is None:
            raise ValidationError({"person": _("A testimony names the person who gave it.")})
    elif person is not None:
        raise ValidationError({"person": _("Only a testimony is given by a person.")})
    if person is not None and new_person and not people_visible_to(actor).filter(pk=person.pk).exists():
        raise ValidationError({"person": _("Choose a person from a case you can see.")})
    return cleaned


def create_source(
    actor: User,
    *,
    team: Team,
    kind: str,
    title: str,
    text: str = "",
    url: str = "",
    author: str = "",
    published: datetime.date | None = None,
    person: Person | None = None,
    derived_from: Source | None = None,
) -> Source:
    with act(actor, MANAGE_EVENTS) as action:
        if not team.members.filter(pk=actor.pk).exists():
            raise ValidationError({"team": _("Record the source for one of your own teams.")})
        values = _clean(
            actor,
            {"kind": kind, "person": person, "title": title, "text": text, "url": url, "author": author, "published": published},
            new_person=True,
        )
        if derived_from is not None and derived_from.team_id != team.pk:
            raise ValidationError({"derived_from": _("A source can only be derived from a source of the same team.")})
        source = Source(data_key=DataKey.create("source"), team=team, derived_from=derived_from, created_by=actor, **values)
        source.save()
        action.record(DocumentationAudit.SOURCE_CREATE, source)
    return source


def update_source(actor: User, source: Source, *, seen: datetime.datetime | None = None, **values: Any) -> Source:
    with act(actor, MANAGE_EVENTS, source) as action:
        locked = lock(source)
        check_seen(locked, seen)
        current = {name: getattr(locked, name) for name in SOURCE_FIELDS}
        new_person = "person" in values and getattr(values["person"], "pk", None) != locked.person_id
        cleaned = _clean(actor, current | values, new_person=new_person)
        locked.save(update_fields=apply(locked, {name: cleaned[name] for name in values}))
        action.record(DocumentationAudit.SOURCE_UPDATE, locked, details={"fields": sorted(values)})
    copy_back(source, locked)
    return source


def root_of(source: Source) -> Source:
    """The original a source traces back to through `derived_from` (itself when it is one)."""
    visited: set[Any] = set()
    current = source
    while current.derived_from_id is not None and current.pk not in visited:
        visited.add(current.pk)
        parent = Source.objects.filter(pk=current.derived_from_id).first()
        if parent is None:
            break
        current = parent
    return current


def mark_derived(actor: User, source: Source, derived_from: Source | None) -> Source:
    """`source` copies or retells `derived_from` (None: it is an original). A loop is refused."""
    with act(actor, MANAGE_EVENTS, source) as action:
        locked = lock(source)
        if derived_from is not None:
            if derived_from.team_id != locked.team_id:
                raise ValidationError({"derived_from": _("A source can only be derived from a source of the same team.")})
            # Locked too, so two marks made at once (a from b, b from a) cannot both pass the check.
            lock(derived_from)
            if _passes_through(derived_from, locked):
                raise ValidationError(
                    {"derived_from": _("A source cannot be derived from itself, not even through other sources.")}
                )
        if locked.derived_from_id == (derived_from.pk if derived_from else None):
            action.unchanged()
        else:
            locked.derived_from = derived_from
            locked.save(update_fields=["derived_from", "updated"])
            action.record(DocumentationAudit.SOURCE_DERIVED, locked)
    copy_back(source, locked)
    return source


def _passes_through(start: Source, target: Source) -> bool:
    visited: set[Any] = set()
    current: Source | None = start
    while current is not None and current.pk not in visited:
        if current.pk == target.pk:
            return True
        visited.add(current.pk)
        current = Source.objects.filter(pk=current.derived_from_id).first() if current.derived_from_id else None
    return False


def link_information(
    actor: User,
    source: Source,
    *,
    event: Event | None = None,
    act_: Act | None = None,
    how_known: str,
    reliability: str = Reliability.UNKNOWN,
    reported_start: datetime.date | None = None,
    reported_end: datetime.date | None = None,
    reported_place: str = "",
    reported_perpetrators: Iterable[Perpetrator] = (),
    note: str = "",
) -> Information:
    """What `source` says about one event or one act (`act_`, as `act` names the action helper)."""
    with act(actor, MANAGE_EVENTS, source) as action:
        if event is not None and act_ is None:
            target_event = event
        elif act_ is not None and event is None:
            target_event = act_.event
        else:
            raise ValidationError({"target": _("Link the information to an event or to an act, not both.")})
        if target_event.team_id != source.team_id:
            raise ValidationError({"target": _("Link a source only to events of its own team.")})
        check_choice(how_known, HowKnown, "how_known")
        check_choice(reliability, Reliability, "reliability")
        check_happened(reported_start, reported_end, start_field="reported_start", end_field="reported_end")
        information = Information(
            source=source,
            event=event,
            act=act_,
            how_known=how_known,
            reliability=reliability,
            reported_start=reported_start,
            reported_end=reported_end,
            reported_place=optional_text(reported_place),
            note=optional_text(note),
        )
        information.save()
        information.reported_perpetrators.set(list(reported_perpetrators))
        action.record(DocumentationAudit.INFORMATION_LINK, information)
    return information


def import_media_reports(actor: User, team: Team, reports: Iterable[dict[str, Any]]) -> list[Source]:
    """Many media reports at once, each a new source of `team`: all of them or none.

    Each report is a dict of create_source's fields (title, text, url, author, published). The
    near-duplicate flags are computed by the caller (corridor/documentation/imports.py) before
    and after: they are for a person to judge, not a reason to refuse.
    """
    listed = list(reports)
    with act(actor, MANAGE_EVENTS) as action:
        if not listed:
            raise ValidationError({"reports": _("There is nothing to import.")})
        created = []
        for index, report in enumerate(listed):
            try:
                created.append(create_source(actor, team=team, kind=SourceKind.MEDIA, **report))
            except ValidationError as refused:
                # Say which report: "reports[3].url", as the API names nested fields.
                fields = refused.message_dict if hasattr(refused, "error_dict") else {"report": refused.messages}
                raise ValidationError({f"reports[{index}].{name}": messages for name, messages in fields.items()}) from None
        action.record(DocumentationAudit.IMPORT_MEDIA, None, details={"sources": [str(source.pk) for source in created]})
    return created
