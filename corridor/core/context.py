"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def corridor(request: HttpRequest) -> dict[str, Any]:
    return {"organisation_name": getattr(settings, "ORGANISATION_NAME", "Corridor")}
