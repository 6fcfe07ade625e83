"""One error body for the whole API: {"error": {"code", "message", "fields"}}.

Scripts can rely on `code`; `message` is for people and follows the request language.
ERROR_SCHEMA is that body in OpenAPI terms; corridor/api/schema.py declares it on every operation.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from corridor.core.errors import Conflict


def _collect(value: Any, key: str, out: dict[str, list[str]]) -> None:
    """Nested errors (a list of names, one of them wrong) as flat keys: names.1.name, never a repr."""
    if isinstance(value, dict):
        for name, inner in value.items():
            _collect(inner, key if name == "non_field_errors" else f"{key}.{name}", out)
    elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        for index, item in enumerate(value):
            if item:
                _collect(item, f"{key}[{index}]", out)
    elif isinstance(value, list):
        out.setdefault(key, []).extend(str(item) for item in value)
    else:
        out.setdefault(key, []).append(str(value))


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Conflict):
        exc = ConflictError(detail=" ".join(exc.messages))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    response = drf_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    fields: dict[str, list[str]] = {}
    message = ""
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        for key, value in response.data.items():
            _collect(value, str(key), fields)
        message = "The request has invalid fields."
        if "non_field_errors" in fields:
            message = " ".join(fields.pop("non_field_errors"))
    elif isinstance(exc, exceptions.ValidationError):
        message = " ".join(str(item) for item in response.data) if isinstance(response.data, list) else str(response.data)
    elif isinstance(response.data, dict) and "detail" in response.data:
        message = str(response.data["detail"])
    if response.status_code == status.HTTP_404_NOT_FOUND:
        code, message = "not_found", "Not found."
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response


# The body above as an OpenAPI schema. `fields` is empty unless the input was refused; the
# sealed wall (corridor/core/middleware.py) answers before DRF and leaves it out.
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "Stable, for scripts: invalid, not_found, sealed, ..."},
                "message": {"type": "string", "description": "For people, in the request's language."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Which input fields were refused, and why.",
                },
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
