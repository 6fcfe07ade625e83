"""Events (what happened, when and where) and their chains (detention -> transfer -> release)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import Team, User
from corridor.audit.actions import act, lock
from corridor.cases.models import DatePrecision
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
from corridor.documentation.models import Confidentiality, Event
from corridor.documentation.rules import MANAGE_EVENTS
from corridor.keys.api import DataKey

EVENT_FIELDS = (
    "title",
    "start",
    "start_precision",
    "end",
    "end_precision",
    "region",
    "place",
    "description",
    "confidentiality",
)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """`values` checked together (the whole event, old values with the new) and normalised."""
    unknown = set(values) - set(EVENT_FIELDS)
    if unknown:
        raise TypeError(f"unknown event fields: {sorted(unknown)}")
    cleaned = dict(values)
    cleaned["title"] = required_text(values.get("title"), "title", _("Give the event a title."))
    if len(cleaned["title"]) > 300:
        raise ValidationError({"title": _("Keep the title under 300 characters.")})
    if values.get("start") is None:
        raise ValidationError({"start": _("Say when it happened, at least the year.")})
    check_happened(values.get("start"), values.get("end"))
    check_choice(values.get("start_precision"), DatePrecision, "start_precision")
    check_choice(values.get("end_precision"), DatePrecision, "end_precision")
    check_choice(values.get("confidentiality"), Confidentiality, "confidentiality")
    region = str(values.get("region") or "").strip()
    # The region is in clear only when the organisation chose so (as for people).
    if region and not settings.CORRIDOR_REGION_IN_CLEAR:
        raise ValidationError(
            {"region": _("This organisation does not keep a region unencrypted; write it under the exact place.")}
        )
    if len(region) > 80:
        raise ValidationError({"region": _("Keep the region under 80 characters.")})
    cleaned["region"] = region
    cleaned["place"] = optional_text(values.get("place"))
    cleaned["description"] = optional_text(values.get("description"))
    return cleaned


def create_event(
    actor: User,
    *,
    team: Team,
    title: str,
    start: datetime.date,
    start_precision: str = DatePrecision.EXACT,
    end: datetime.date | None = None,
    end_precision: str = DatePrecision.EXACT,
    region: str = "",
    place: str = "",
    description: str = "",
    confidentiality: str = Confidentiality.INTERNAL,
    follows: Event | None = None,
) -> Event:
    with act(actor, MANAGE_EVENTS) as action:
        if not team.members.filter(pk=actor.pk).exists():
            raise ValidationError({"team": _("Record the event for one of your own teams.")})
        values = _clean(
            {
                "title": title,
                "start": start,
                "start_precision": start_precision,
                "end": end,
                "end_precision": end_precision,
                "region": region,
                "place": place,
                "description": description,
                "confidentiality": confidentiality,
            }
        )
        if follows is not None and follows.team_id != team.pk:
            raise ValidationError({"follows": _("An event can only follow an event of the same team.")})
        event = Event(data_key=DataKey.create("event"), team=team, follows=follows, created_by=actor, **values)
        event.save()
        action.record(DocumentationAudit.EVENT_CREATE, event)
    return event


def update_event(actor: User, event: Event, *, seen: datetime.datetime | None = None, **values: Any) -> Event:
    """The event as changed; `values` are checked with what it holds now, under the lock.

    `seen` is the `updated` stamp the editor read: a change from an older copy is a Conflict.
    """
    with act(actor, MANAGE_EVENTS, event) as action:
        locked = lock(event)
        check_seen(locked, seen)
        current = {name: getattr(locked, name) for name in EVENT_FIELDS}
        # A stored region the caller does not touch is not checked against today's setting.
        untouched_region = {} if "region" in values else {"region": ""}
        cleaned = _clean(current | values | untouched_region)
        changed = {name: cleaned[name] for name in values}
        locked.save(update_fields=apply(locked, changed))
        action.record(DocumentationAudit.EVENT_UPDATE, locked, details={"fields": sorted(values)})
    copy_back(event, locked)
    return event


def _chain_reaches(start: Event | None, target: Event) -> bool:
    """Whether following `follows` from `start` arrives at `target` (bounded: chains are short)."""
    seen: set[Any] = set()
    current = start
    while current is not None and current.pk not in seen:
        if current.pk == target.pk:
            return True
        seen.add(current.pk)
        current = Event.objects.filter(pk=current.follows_id).first() if current.follows_id else None
    return False


def link_events(actor: User, event: Event, follows: Event | None) -> Event:
    """`event` follows `follows` in a chain (None unlinks it); a link that closes a loop is refused."""
    with act(actor, MANAGE_EVENTS, event) as action:
        locked = lock(event)
        if follows is not None:
            if follows.team_id != locked.team_id:
                raise ValidationError({"follows": _("An event can only follow an event of the same team.")})
            if _chain_reaches(follows, locked):
                raise ValidationError({"follows": _("This link would make the chain of events go round in a circle.")})
        if locked.follows_id == (follows.pk if follows else None):
            action.unchanged()
        else:
            locked.follows = follows
            locked.save(update_fields=["follows", "updated"])
            action.record(DocumentationAudit.EVENT_LINK, locked)
    copy_back(event, locked)
    return event
