"""Named permissions for relocation work (django `rules`); which case is visible is in access.py."""

from __future__ import annotations

import rules

from corridor.accounts.rules import is_caseworker, is_relocation

# Programmes, countries and the organisation's figures: the people who choose routes.
rules.add_perm("relocation.view_programmes", is_relocation | is_caseworker)
rules.add_perm("relocation.manage_programmes", is_relocation)
# Applications of cases the user can see (access.py narrows to the case's team).
sees_applications = is_relocation | is_caseworker
rules.add_perm("relocation.view_applications", sees_applications)
rules.add_perm("relocation.manage_applications", is_relocation | is_caseworker)
# Contacts and negotiations are the coordinators' work; caseworkers do not need the names.
sees_engagements = is_relocation
rules.add_perm("relocation.view_engagements", sees_engagements)
rules.add_perm("relocation.manage_engagements", is_relocation)
# What needs attention: whoever sees applications or engagements (each alert only of those).
rules.add_perm("relocation.view_alerts", sees_applications | sees_engagements)
