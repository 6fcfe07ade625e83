"""Named permissions for relocation work (django `rules`); which case is visible is in access.py.

The names are constants here, so access helpers, actions, pages and the API all say the same one.
"""

from __future__ import annotations

import rules

from corridor.accounts.rules import is_caseworker, is_relocation

VIEW_PROGRAMMES = "relocation.view_programmes"
MANAGE_PROGRAMMES = "relocation.manage_programmes"
VIEW_APPLICATIONS = "relocation.view_applications"
MANAGE_APPLICATIONS = "relocation.manage_applications"
VIEW_ENGAGEMENTS = "relocation.view_engagements"
MANAGE_ENGAGEMENTS = "relocation.manage_engagements"
VIEW_ALERTS = "relocation.view_alerts"

# Programmes, countries and the organisation's figures: the people who choose routes.
rules.add_perm(VIEW_PROGRAMMES, is_relocation | is_caseworker)
rules.add_perm(MANAGE_PROGRAMMES, is_relocation)
# Applications of cases the user can see (access.py narrows to the case's team).
sees_applications = is_relocation | is_caseworker
rules.add_perm(VIEW_APPLICATIONS, sees_applications)
rules.add_perm(MANAGE_APPLICATIONS, is_relocation | is_caseworker)
# Contacts and negotiations are the coordinators' work; caseworkers do not need the names.
sees_engagements = is_relocation
rules.add_perm(VIEW_ENGAGEMENTS, sees_engagements)
rules.add_perm(MANAGE_ENGAGEMENTS, is_relocation)
# What needs attention: whoever sees applications or engagements (each alert only of those).
rules.add_perm(VIEW_ALERTS, sees_applications | sees_engagements)
