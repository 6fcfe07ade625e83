"""Which roles make up which group: the one place the role sets live.

Permissions (rules.py, each app's rules.py) and visibility (each app's access.py) are built
from these; nothing else compares `user.role` with a list of its own.
"""

from __future__ import annotations

from corridor.accounts.models import Role

# Roles that work with cases at all; the others (admin, auditor, trustee) see no case by default.
CASE_ROLES: frozenset[str] = frozenset({Role.CASEWORKER, Role.HOTLINE, Role.RELOCATION, Role.DOCUMENTATION})

# Everyone who uses the staff pages: every role but the trustee, who only unseals.
STAFF_ROLES: frozenset[str] = frozenset(Role.values) - {Role.TRUSTEE}
