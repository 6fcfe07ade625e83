"""Named permissions for statistics (django `rules`): who drafts a report, who approves and
publishes it, who exports, and who may relax disclosure control below the floor."""

from __future__ import annotations

import rules

from corridor.accounts.rules import is_admin, is_caseworker, is_documentation, is_relocation

DRAFT_REPORTS = "statistics.draft_reports"
APPROVE_REPORTS = "statistics.approve_reports"
VIEW_REPORTS = "statistics.view_reports"
RELAX_DISCLOSURE = "statistics.relax_disclosure"

# The staff whose work the numbers are drafts and reviews them; approval additionally needs
# a second person (the domain action refuses the author).
reporters = is_admin | is_caseworker | is_relocation | is_documentation
rules.add_perm(DRAFT_REPORTS, reporters)
rules.add_perm(APPROVE_REPORTS, reporters)
rules.add_perm(VIEW_REPORTS, reporters)
# Below the floor (settings.CORRIDOR_STATISTICS_MIN_THRESHOLD) only an administrator goes.
rules.add_perm(RELAX_DISCLOSURE, is_admin)
