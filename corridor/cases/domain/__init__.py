"""Every state change of case work, one action each (corridor/audit/actions.py), grouped by area:
people, duplicates, cases (members, verification, risk, break-glass), workflow, consent,
safe houses, needs and tasks, documents, ownership.

Callers write `from corridor.cases import domain; domain.transition(...)`; the read-only
questions live in corridor/cases/queries.py and are named here too for the callers that ask
them through `domain`.
"""

from corridor.cases.domain.cases import (
    BREAK_GLASS_HOURS,
    EMERGENCY_FACTORS,
    URGENT_FACTORS,
    add_member,
    assess_risk,
    break_glass,
    create_person_in_case,
    create_person_with_case,
    open_case,
    record_verification,
    review_break_glass,
    set_priority,
    suggest_priority,
)
from corridor.cases.domain.consent import has_consent, record_consent, require_consent, withdraw_consent
from corridor.cases.domain.documents import DocumentPurpose, open_document, upload_document
from corridor.cases.domain.duplicates import (
    DUPLICATE_WINDOW,
    DuplicateCheckLimited,
    PossibleDuplicate,
    find_duplicates,
    review_duplicate,
)
from corridor.cases.domain.needs_tasks import add_need, add_note, add_task, complete_task, set_need_status
from corridor.cases.domain.ownership import assign_owner, release_ownership
from corridor.cases.domain.people import PERSON_FIELDS, create_person, erase_person, search_people, update_person
from corridor.cases.domain.safehouses import create_safe_house, end_placement, mark_compromised, place
from corridor.cases.domain.workflow import transition
from corridor.cases.queries import (
    TimelineEvent,
    allowed_transitions,
    birth_year_from,
    find_case_for_break_glass,
    members_lacking_consent,
    occupancy,
    owner_candidates,
    ownerless_cases,
    pending_break_glass,
    pending_duplicate_count,
    pending_duplicate_reviews,
    timeline,
)

__all__ = [
    "BREAK_GLASS_HOURS",
    "DUPLICATE_WINDOW",
    "EMERGENCY_FACTORS",
    "PERSON_FIELDS",
    "URGENT_FACTORS",
    "DocumentPurpose",
    "DuplicateCheckLimited",
    "PossibleDuplicate",
    "TimelineEvent",
    "add_member",
    "add_need",
    "add_note",
    "add_task",
    "allowed_transitions",
    "assess_risk",
    "assign_owner",
    "birth_year_from",
    "break_glass",
    "complete_task",
    "create_person",
    "create_person_in_case",
    "create_person_with_case",
    "create_safe_house",
    "end_placement",
    "erase_person",
    "find_case_for_break_glass",
    "find_duplicates",
    "has_consent",
    "mark_compromised",
    "members_lacking_consent",
    "occupancy",
    "open_case",
    "open_document",
    "owner_candidates",
    "ownerless_cases",
    "pending_break_glass",
    "pending_duplicate_count",
    "pending_duplicate_reviews",
    "place",
    "record_consent",
    "record_verification",
    "release_ownership",
    "require_consent",
    "review_break_glass",
    "review_duplicate",
    "search_people",
    "set_need_status",
    "set_priority",
    "suggest_priority",
    "timeline",
    "transition",
    "update_person",
    "upload_document",
    "withdraw_consent",
]
