"""Read-only relocation helpers that pages, the API and the ranking share; nothing here writes."""

from __future__ import annotations

from corridor.cases.models import Case
from corridor.relocation.models import Referral, RelocationProfile


def profile_for(case: Case) -> RelocationProfile:
    """The case's profile, or an unsaved empty one (nothing is written by reading)."""
    try:
        return case.relocation_profile
    except RelocationProfile.DoesNotExist:
        return RelocationProfile(case=case, referral=Referral.NONE, family_ties=[])
