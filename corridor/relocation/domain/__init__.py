"""Every state change of relocation work, one action each (corridor/audit/actions.py): the
permission, the rows it depends on locked, its checks, writes and audit entry in one durable
transaction. Views, the API and tests call these; grouped by area:

- programmes.py: programmes (the coordinators' catalogue);
- profiles.py: a case's referral and family ties;
- applications.py: applications, their status moves and checklists;
- engagements.py: contacts and the approaches made to them.
"""

from corridor.relocation.domain.applications import (
    DEFAULT_CHECKLIST,
    create_application,
    set_checklist_item,
    transition_application,
)
from corridor.relocation.domain.engagements import close_commitment, create_contact, log_engagement
from corridor.relocation.domain.profiles import set_profile
from corridor.relocation.domain.programmes import PROGRAMME_FIELDS, create_programme, update_programme
from corridor.relocation.queries import profile_for

__all__ = [
    "DEFAULT_CHECKLIST",
    "PROGRAMME_FIELDS",
    "close_commitment",
    "create_application",
    "create_contact",
    "create_programme",
    "log_engagement",
    "profile_for",
    "set_checklist_item",
    "set_profile",
    "transition_application",
    "update_programme",
]
