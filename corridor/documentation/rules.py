"""Named permissions for documentation of abuses (django `rules`); which event, source or
victim a user sees is in access.py.

The names are constants here, so access helpers, actions, pages and the API all say the same one.
"""

from __future__ import annotations

import rules

from corridor.accounts.rules import is_documentation

VIEW_EVENTS = "documentation.view_events"
MANAGE_EVENTS = "documentation.manage_events"
MANAGE_VOCABULARY = "documentation.manage_vocabulary"
EXPORT_EVENTS = "documentation.export_events"

# Events, acts, perpetrators, sources and evidence are the documentation officers' work, and
# theirs alone. Caseworkers do NOT read events, not even those their cases' people are victims
# in: an event names other victims, perpetrators and the sources who spoke (witnesses whose
# safety depends on not being known), and a caseworker's need to know is the person and the
# case, which the case's own notes and documents already hold. A caseworker who needs an
# event asks the documentation team, who decide what to pass on.
documents = is_documentation
rules.add_perm(VIEW_EVENTS, documents)
rules.add_perm(MANAGE_EVENTS, documents)
# The vocabularies (types of act, methods) are the team's shared words: whoever documents may
# add and translate them; codes never change once used, so exports stay stable.
rules.add_perm(MANAGE_VOCABULARY, documents)
# Exports leave the instance: still the documentation officers, and only what consent and
# confidentiality allow (exports.py decides what is left out).
rules.add_perm(EXPORT_EVENTS, documents)
