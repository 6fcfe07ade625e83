"""Read-only relocation helpers that pages, the API and the ranking share; nothing here writes."""

from __future__ import annotations

from corridor.cases.models import Case
from corridor.relocation.models import Application, ApplicationEvent, ChecklistItem, Referral, RelocationProfile


def profile_for(case: Case) -> RelocationProfile:
    """The case's profile, or an unsaved empty one (nothing is written by reading)."""
    try:
        return case.relocation_profile
    except RelocationProfile.DoesNotExist:
        return RelocationProfile(case=case, referral=Referral.NONE, family_ties=[])


def application_history(application: Application) -> tuple[list[ApplicationEvent], list[ChecklistItem]]:
    """An application's status events and checklist, each row sharing the application's loaded key."""
    events = list(application.events.select_related("by"))
    checklist = list(application.checklist.all())
    for event in events:
        event.application = application
    for item in checklist:
        item.application = application
    return events, checklist
