"""Who holds a permission, without loading every user: the active staff `user.has_perm(perm)` is
true for, found by their role in the database and confirmed one by one with has_perm.

Why: notifications ask "who may triage?" on every request for help (and "who hears instance
events?" at every lockdown). Asking has_perm of every active user made each request's cost grow
with the staff. Here the database returns only the users who could hold the permission, and
has_perm still decides for each of them, so the answer is never wider than asking everyone.

It is never narrower either, because the database filter keeps every user whom anything other
than their role could give the permission:
- the rule's predicate (django-rules) is built only from accounts.rules' role predicates
  (`has_role(...)` combined with | & ^ ~), checked by its name when first used, so for a user with
  no object it depends on role and is_active alone; the roles that hold it are found by asking
  the rule of one unsaved, active user per role. A rule with any other predicate in it (a team,
  an object) takes the slow path: every active user asked;
- users whose stored role is none of Role's choices (never asked above) are always candidates;
- superusers (Django's own User.has_perm says yes to an active one for everything; Corridor's
  User.has_perm no longer does) and anyone with a permission or a group of Django's own (which a
  backend like ModelBackend would honour) are always candidates, whatever the backends decide.
tests: corridor/accounts/tests/test_holders.py compares it with asking every user.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

import rules
from django.db.models import Q
from rules.permissions import permissions as registered_rules

from corridor.accounts.models import Role, User
from corridor.accounts.rules import ROLE_PREDICATE_NAMES

# One role predicate's name, as accounts.rules._has_role names it.
_ROLE_TERM = re.compile(r"has_role\([a-z_|]+\)")
# What may stand between role predicates in a combined rule's name (rules' | & ^ and ~).
_OPERATORS = frozenset("()|&^~ ")

_roles_lock = threading.Lock()
# perm -> (the rule's predicate when the roles were found, those roles or None for "not role-only").
# Keyed on the predicate too: a rule replaced (rules.set_perm) is looked at again.
_roles: dict[str, tuple[object, frozenset[str] | None]] = {}
# sorted roles -> the candidates' SQL and parameters (_could_hold).
_compiled: dict[tuple[str, ...], tuple[str, tuple[object, ...]]] = {}


def _role_only(name: str) -> bool:
    """True when a predicate's name is made of role predicates and operators alone."""
    terms = _ROLE_TERM.findall(name)
    if not terms or any(term not in ROLE_PREDICATE_NAMES for term in terms):
        return False
    return set(_ROLE_TERM.sub("", name)) <= _OPERATORS


def roles_holding(perm: str) -> frozenset[str] | None:
    """The roles whose active members hold `perm` by its rule; None when the rule is not role-only."""
    predicate = registered_rules.get(perm)
    with _roles_lock:
        known = _roles.get(perm)
    if known is not None and known[0] is predicate:
        return known[1]
    found: frozenset[str] | None = None
    if predicate is not None and _role_only(str(predicate.name)):
        found = frozenset(role for role in Role.values if rules.has_perm(perm, User(role=role, is_active=True)))
    with _roles_lock:
        _roles[perm] = (predicate, found)
    return found


def _could_hold(roles: frozenset[str]) -> tuple[str, tuple[object, ...]]:
    """The SQL of "active users who could hold a permission held by `roles`", compiled once per
    role set (compiling it cost more than running it, on every request for help)."""
    key = tuple(sorted(roles))
    with _roles_lock:
        found = _compiled.get(key)
    if found is None:
        grants = User.user_permissions.through.objects.values("user_id")
        memberships = User.groups.through.objects.values("user_id")
        # A stored role outside the choices (blank, or removed by a later release) was never
        # asked in roles_holding, and a negated rule (~is_admin) says yes to it: a candidate too.
        unknown_role = ~Q(role__in=Role.values)
        could = Q(role__in=key) | unknown_role | Q(is_superuser=True) | Q(pk__in=grants) | Q(pk__in=memberships)
        sql, params = User.objects.filter(is_active=True).filter(could).order_by("pk").query.sql_with_params()
        found = (sql, tuple(params))
        with _roles_lock:
            _compiled[key] = found
    return found


def holders(perm: str) -> list[User]:
    """Active users for whom `user.has_perm(perm)` is true, in primary-key order."""
    roles = roles_holding(perm)
    if roles is None:
        candidates: Iterable[User] = User.objects.filter(is_active=True).order_by("pk")
    else:
        sql, params = _could_hold(roles)
        candidates = User.objects.raw(sql, params)
    return [user for user in candidates if user.has_perm(perm)]
