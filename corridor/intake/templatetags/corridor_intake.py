"""Template helpers of the intake's staff pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def answers_of(summaries: dict[Any, list[tuple[str, str]]] | None, pk: Any) -> list[tuple[str, str]]:
    """The triage list's summary answers of one request (none when it has none)."""
    return (summaries or {}).get(pk, [])
