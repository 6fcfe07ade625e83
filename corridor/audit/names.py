"""The audit log's vocabulary: every name an entry may carry is declared in an enumeration.

Each app lists the names it writes in a subclass of AuditAction in its `audit_names.py`
(cases: CaseAudit, …); `log.record` refuses anything else. A member's value is the name
stored in the entry, e.g. `case.status.active`; stored names never change, since the
entries that carry them are hashed into the log. What the auditor reads is the member's
label, in words and in the page's language: each app passes its labels to `label_names`
right after its enumeration (a test fails when a member has none).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class AuditAction(enum.StrEnum):
    """Base of every app's audit names."""


class LogAudit(AuditAction):
    """What the audit app itself writes."""

    READ = "read"
    # A read through /api/v1/ rather than a page (the channel is set by ReadChannelMiddleware).
    READ_API = "read.api"
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


# Stored name -> label (gettext_lazy, so each page shows its own language).
_LABELS: dict[str, Promise] = {}


def label_names(names: type[AuditAction], labels: Mapping[AuditAction, Promise]) -> None:
    """Give the members of `names` their labels; a label for another enumeration's member is refused."""
    for member, text in labels.items():
        if not isinstance(member, names):
            raise ValueError(f"{member!r} is not a member of {names.__name__}")
        _LABELS[member.value] = text


def label(value: str) -> str:
    """What an entry's stored name means, in words, in the active language (the name itself
    when it has no label: an entry written under a name no longer declared stays readable)."""
    text = _LABELS.get(value)
    return str(text) if text is not None else value


def unlabelled(names: Mapping[str, AuditAction] | None = None) -> list[str]:
    """Registered names without a label (of every app's, or of `names`)."""
    found = registered() if names is None else names
    return sorted(value for value in found if value not in _LABELS)


@dataclass(frozen=True)
class ObjectPage:
    """Where the auditor's page links an entry's object: a URL name taking the pk, shown only
    to a viewer who has `perm` on the object."""

    url_name: str
    perm: str


# Model label ("cases.case") -> its page. Apps declare theirs next to their audit names; the
# audit app knows no pages of its own.
_PAGES: dict[str, ObjectPage] = {}


def object_page(model_label: str, url_name: str, perm: str) -> None:
    _PAGES[model_label] = ObjectPage(url_name, perm)


def page_for(model_label: str) -> ObjectPage | None:
    return _PAGES.get(model_label)


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


label_names(
    LogAudit,
    {
        LogAudit.READ: _("Viewed on a page"),
        LogAudit.READ_API: _("Read through the API"),
        LogAudit.ACCESS_ALLOW: _("Access granted"),
        LogAudit.ACCESS_DENY: _("Access refused"),
        LogAudit.VERIFY: _("Audit log verified"),
    },
)
label_names(
    InstanceAudit,
    {
        InstanceAudit.UNSEAL: _("Instance unsealed"),
        InstanceAudit.UNSEAL_RESET_SHELL: _("Unseal restarted (on the server)"),
        InstanceAudit.UNSEAL_RESET_SHARE: _("Unseal restarted (by a trustee's share, from the web)"),
        InstanceAudit.LOCKDOWN_ADMIN: _("Lockdown by an administrator"),
        InstanceAudit.LOCKDOWN_USER: _("Lockdown by a duress password"),
        InstanceAudit.LOCKDOWN_CLI: _("Lockdown from the command line"),
        InstanceAudit.DATAKEY_SHRED: _("Data key destroyed (data erased)"),
        InstanceAudit.EPOCH_ROTATE: _("New key epoch started"),
        InstanceAudit.EPOCH_REWRAP: _("Data keys re-wrapped"),
        InstanceAudit.EPOCH_RETIRE: _("Key epoch retired"),
        InstanceAudit.EPOCH_DESTROY: _("Key epoch destroyed"),
    },
)
