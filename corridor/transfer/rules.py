"""Named permissions for moving data (django `rules`); which case is visible is cases/access.py.

Each part of the transfer app keeps its names in its own block.
"""

from __future__ import annotations

import rules

from corridor.accounts.rules import is_admin, is_caseworker

# -- referrals (K) --
VIEW_PARTNERS = "transfer.view_partners"
MANAGE_PARTNERS = "transfer.manage_partners"
PREPARE_REFERRAL = "transfer.prepare_referral"
APPROVE_REFERRAL = "transfer.approve_referral"
IMPORT_REFERRAL = "transfer.import_referral"

# Partners and their keys are the administrators' to register and verify; caseworkers see the
# list to choose where a referral goes.
rules.add_perm(VIEW_PARTNERS, is_admin | is_caseworker)
rules.add_perm(MANAGE_PARTNERS, is_admin)
# A referral is prepared, approved (by someone else: the action checks) and exported by the
# caseworkers of a case they can see (the views reach the case through cases/access.py).
rules.add_perm(PREPARE_REFERRAL, is_caseworker)
rules.add_perm(APPROVE_REFERRAL, is_caseworker)
# An incoming bundle becomes a case of one of the importer's teams.
rules.add_perm(IMPORT_REFERRAL, is_caseworker)
# -- end referrals (K) --

# -- legacy import (M) --
IMPORT_SPREADSHEET = "transfer.import_spreadsheet"

# People and cases from an organisation's old spreadsheet become cases of the importer's own
# teams: the caseworkers', as when they open cases one by one (cases.add_case).
rules.add_perm(IMPORT_SPREADSHEET, is_caseworker)
# -- end legacy import (M) --
