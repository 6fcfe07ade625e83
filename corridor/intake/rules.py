"""Who may triage anonymous requests: hotline operators, and no one else (not even admins)."""

from __future__ import annotations

import rules

from corridor.accounts.rules import is_hotline

rules.add_perm("intake.triage", is_hotline)
