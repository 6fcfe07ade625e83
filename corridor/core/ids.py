"""Ids as they arrive in URLs and API paths: parsed once, the same way, into a 404 when malformed.

A malformed id answers exactly like an id that exists nowhere, so a probe learns nothing
from the difference (Invariant 5).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404


def parse_id(value: Any) -> uuid.UUID:
    """`value` as a UUID (a UUID, or its text in any form uuid.UUID accepts); Http404 otherwise."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise Http404 from None
