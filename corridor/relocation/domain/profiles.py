"""A case's relocation profile: who referred it and where family lives (eligibility needs both)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from corridor.accounts.models import User
from corridor.audit.actions import act, lock
from corridor.cases.models import Case
from corridor.relocation.audit_names import RelocationAudit
from corridor.relocation.models import Country, Referral, RelocationProfile
from corridor.relocation.rules import MANAGE_APPLICATIONS


def set_profile(actor: User, case: Case, *, referral: str, family_ties: Sequence[str]) -> RelocationProfile:
    with act(actor, MANAGE_APPLICATIONS, case) as action:
        if referral not in (Referral.NONE, Referral.UNHCR, Referral.PARTNER):
            raise ValidationError({"referral": _("Unknown referral.")})
        codes = sorted({code.upper() for code in family_ties})
        known = set(Country.objects.filter(pk__in=codes).values_list("pk", flat=True))
        if set(codes) - known:
            raise ValidationError({"family_ties": _("Unknown country.")})
        # The case's row serialises two first saves of its profile (one profile per case).
        locked = lock(case)
        profile = RelocationProfile.objects.select_for_update().filter(case=locked).first() or RelocationProfile(case=locked)
        profile.case = case  # the caller's copy carries the loaded data key
        profile.referral = referral
        profile.family_ties = codes
        profile.save()
        action.record(RelocationAudit.PROFILE_UPDATE, case)
    return profile
