"""What a view says about itself: reachable without signing in, by a trustee, while sealed;
whether its address may be shown in a log.

The markers are attributes only; the middlewares that read them decide (corridor.core.middleware
for the sealed wall, corridor.accounts.middleware for the staff session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

V = TypeVar("V", bound=Callable[..., Any])


def public(view: V) -> V:
    """No session needed: sign-in, enrolment, the intake form."""
    view.corridor_public = True  # type: ignore[attr-defined]  # a marker attribute on the function object
    return view


def trustee_allowed(view: V) -> V:
    """A trustee (who holds one unseal share and does nothing else) may open this page."""
    view.corridor_trustee = True  # type: ignore[attr-defined]  # a marker attribute on the function object
    return view


def works_sealed(view: V) -> V:
    """The view answers while no root key is held (unseal, lockdown, the intake form)."""
    view.corridor_works_sealed = True  # type: ignore[attr-defined]  # a marker attribute on the function object
    return view


def address_withheld(label: str) -> Callable[[V], V]:
    """The view's address is itself a secret (an unguessable path): logs show `label` instead."""

    def mark(view: V) -> V:
        view.corridor_address_label = label  # type: ignore[attr-defined]  # a marker attribute on the function object
        return view

    return mark


def is_public(view: Any) -> bool:
    return bool(getattr(view, "corridor_public", False))


def is_trustee_allowed(view: Any) -> bool:
    return bool(getattr(view, "corridor_trustee", False))


def works_while_sealed(view: Any) -> bool:
    return bool(getattr(view, "corridor_works_sealed", False))


def withheld_address_label(view: Any) -> str | None:
    label = getattr(view, "corridor_address_label", None)
    return label if isinstance(label, str) else None


def is_api_view(view: Any) -> bool:
    """A DRF view: it authenticates itself, so the staff-session gate leaves it alone."""
    return getattr(view, "cls", None) is not None and hasattr(view.cls, "authentication_classes")
