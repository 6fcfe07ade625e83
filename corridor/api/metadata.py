"""What OPTIONS answers on every API endpoint: the methods (in `Allow`) and where the schema is.

DRF's default metadata introspects a serializer per method, which the view sets here do not
declare (their shapes live in the OpenAPI schema), so OPTIONS answered 500 on every view set.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework.metadata import BaseMetadata
from rest_framework.request import Request


class SchemaPointerMetadata(BaseMetadata):
    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        return {"name": view.get_view_name(), "schema": reverse("api-schema")}
