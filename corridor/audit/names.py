"""The audit log's vocabulary: every name an entry may carry is declared in an enumeration.

Each app lists the names it writes in a subclass of AuditAction in its `audit_names.py`
(cases: CaseAudit, …); `log.record` refuses anything else. A member's value is the name
stored in the entry, e.g. `case.status.active`; stored names never change, since the
entries that carry them are hashed into the log.
"""

from __future__ import annotations

import enum
from typing import TypeVar


class AuditAction(enum.StrEnum):
    """Base of every app's audit names."""


class LogAudit(AuditAction):
    """What the audit app itself writes."""

    READ = "read"
    ACCESS_ALLOW = "access.allow"
    ACCESS_DENY = "access.deny"
    VERIFY = "audit.verify"


class InstanceAudit(AuditAction):
    """What keys reports through its hook (corridor.keys never imports audit; see key_events.py)."""

    UNSEAL = "instance.unseal"
    UNSEAL_RESET_SHELL = "instance.unseal.reset.shell"
    UNSEAL_RESET_SHARE = "instance.unseal.reset.share"
    LOCKDOWN_ADMIN = "instance.lockdown.admin"
    LOCKDOWN_USER = "instance.lockdown.user"
    LOCKDOWN_CLI = "instance.lockdown.cli"
    DATAKEY_SHRED = "datakey.shred"
    EPOCH_ROTATE = "instance.epoch.rotate"
    EPOCH_REWRAP = "instance.epoch.rewrap"
    EPOCH_RETIRE = "instance.epoch.retire"
    EPOCH_DESTROY = "instance.epoch.destroy"


E = TypeVar("E", bound=enum.StrEnum)


def registered() -> dict[str, AuditAction]:
    """Every audit name the loaded apps declare, by stored name."""
    return collect(AuditAction)


def collect(root: type[E]) -> dict[str, E]:
    """The members of every subclass of `root`, by value; a value declared twice is an error."""
    found: dict[str, E] = {}
    pending = list(root.__subclasses__())
    while pending:
        names = pending.pop()
        pending.extend(names.__subclasses__())
        for member in names:
            if member.value in found and found[member.value] is not member:
                raise RuntimeError(f"audit name {member.value!r} is declared twice")
            found[member.value] = member
    return found


def name(value: str) -> AuditAction:
    """The registered name `value` (one built from a status, say); ValueError when there is none."""
    try:
        return registered()[value]
    except KeyError:
        raise ValueError(f"{value!r} is not a registered audit name") from None
