"""One way to act: a state change is a domain action that checks, locks, writes and audits in
one durable transaction.

Audit names are a registered enumeration (names.py), not free strings. A domain action has
this shape and no other:

    def transition(actor: User, case: Case, new: str, reason: str) -> StatusChange:
        with act(actor, "cases.change_case", case) as action:
            case = lock(case)                       # rows the decision depends on
            ...validate against the locked rows...  # ValidationError / Conflict
            ...write...
            action.record(CaseAudit.STATUS, case)   # at least one entry, or it raises
        return change

Views, the API, commands and the demo call actions; they never re-check the permission nor
write models themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from corridor.audit import log
from corridor.audit.models import AuditEntry
from corridor.audit.names import AuditAction

# The action this thread is in, if any: only the outermost one opens a durable transaction.
_current: ContextVar[Action | None] = ContextVar("corridor_current_action", default=None)


class Action:
    """What an action body holds: who acts, and the audit entries it has written."""

    def __init__(self, actor: Any, outer: Action | None = None) -> None:
        self.actor = actor
        self.outer = outer
        self.entries: list[AuditEntry] = []
        self._unchanged = False

    def record(self, action: AuditAction, obj: Any = None, details: Mapping[str, Any] | None = None) -> AuditEntry:
        entry = log.record(actor=self.actor, action=action, obj=obj, details=details)
        # An entry counts for every enclosing action too: one made of inner actions is audited by theirs.
        current: Action | None = self
        while current is not None:
            current.entries.append(entry)
            current = current.outer
        return entry

    def unchanged(self) -> None:
        """The state asked for was already there (adding a member twice): nothing to record."""
        self._unchanged = True

    def unaudited(self, why: str) -> None:
        """A change the system makes without an entry on purpose, for the reason `why`.

        Only the system may (actor None): the intake's anonymous door writes no entry,
        because an entry's exact time would tell when someone asked for help.
        """
        if self.actor is not None or not why:
            raise ValueError("only the system, with a reason, changes state without an audit entry")
        self._unchanged = True


class NothingRecorded(RuntimeError):
    """A programming error: an action finished without an audit entry and without saying why."""


@contextmanager
def act(actor: Any, perm: str | None, obj: Any = None) -> Iterator[Action]:
    """Check `perm` on `obj` for `actor`, then run the body in one transaction that must audit.

    `perm` None is only for the system itself (actor None: a command, the intake's anonymous
    door, a scheduled purge); a signed-in user always acts under a named permission. Refusal
    is PermissionDenied before anything is read or written. The outermost action's
    transaction is durable: when it returns, the change and its entries are committed.
    """
    if perm is None:
        if actor is not None and getattr(actor, "is_authenticated", False):
            raise ValueError("a signed-in user acts only under a named permission")
    elif actor is None or not actor.has_perm(perm, obj):
        raise PermissionDenied(perm)
    outer = _current.get()
    action = Action(actor, outer)
    token = _current.set(action)
    try:
        with transaction.atomic(durable=outer is None):
            yield action
            if not action.entries and not action._unchanged:
                raise NothingRecorded(f"an action under {perm!r} changed state without an audit entry")
    finally:
        _current.reset(token)


M = TypeVar("M", bound=models.Model)


def lock(obj: M) -> M:
    """`obj` read again under a row lock (SELECT … FOR UPDATE) inside the action's transaction.

    Decide on what this returns, never on the caller's copy: that copy may be minutes old.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock() outside an action's transaction would hold nothing")
    return type(obj)._default_manager.select_for_update().get(pk=obj.pk)


def stamp_once(action: Action, obj: M, field: str, refusal: Exception, entry: AuditAction) -> M:
    """Set `obj`'s one-way time `field` (reviewed, revoked) to now and record `entry`.

    Decides on the row locked again: if the field is set already (someone did it meanwhile),
    raises `refusal` and writes nothing. The caller's copy gets the new value too.
    """
    locked = lock(obj)
    if getattr(locked, field) is not None:
        raise refusal
    setattr(locked, field, timezone.now())
    locked.save(update_fields=[field])
    action.record(entry, locked)
    setattr(obj, field, getattr(locked, field))
    return locked
