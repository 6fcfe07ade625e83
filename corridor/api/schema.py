"""OpenAPI descriptions of Corridor's two ways to authenticate (drf-spectacular extensions), and the
error answers every operation declares (a postprocessing hook, so no view repeats them)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from corridor.api.errors import ERROR_SCHEMA


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "corridor.accounts.api_auth.TokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `corridor token create USER` or the My security page (prefix crd_).",
        }


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "corridor.accounts.api_auth.VerifiedSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid", "description": "A signed-in session with a verified second factor."}


# -- the error answers every operation can give, declared once -------------------------------

# What each status means in this API; every one carries the body of corridor/api/errors.py.
ERROR_ANSWERS = {
    400: "The input was refused: it does not fit this schema, or a rule about the data refuses it. "
    "`fields` says which field and why; nothing was changed.",
    401: "Not authenticated: no token, or a token that is unknown, revoked or suspended.",
    403: "Your role may not do this (`permission_denied`, or a code naming the missing step), or, with a "
    "session, the CSRF check failed (`csrf_failed`: send the X-CSRFToken header, or use a token).",
    404: "Not found, or not yours: the two are indistinguishable.",
    409: "Someone else changed this object at the same moment; nothing was changed. Read it again and retry.",
    415: "The body must be JSON (Content-Type: application/json).",
    429: "Too many requests; wait as long as Retry-After says.",
    503: "The instance is sealed (trustees must unseal it) or the key service is unavailable; retry after Retry-After.",
}
_METHODS = {"get", "put", "post", "patch", "delete", "head"}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    takes_query = any(p.get("in") == "query" for p in parameters)
    statuses = [401, 403, 429, 503]
    # Input that does not fit, or any write a rule about the data refuses (even one with no body:
    # closing a next step that is already closed).
    if "requestBody" in operation or takes_query or method in {"post", "put", "patch", "delete"}:
        statuses.append(400)
    if method in {"post", "put", "patch", "delete"}:
        statuses.append(409)
    if "requestBody" in operation:
        statuses.append(415)
    # Objects named in the path, and pages past the end of a list, are 404.
    if "{" in path or any(p.get("in") == "query" and p.get("name") == "page" for p in parameters):
        statuses.append(404)
    return sorted(statuses)


def declare_error_answers(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: add the common error answers to every operation.

    Views declare only their own answers (and special bodies, such as the 409 with possible
    duplicates); an answer a view already declares is kept as it is.
    """
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses.setdefault(str(status), {"content": body, "description": ERROR_ANSWERS[status]})
            operation["responses"] = dict(sorted(responses.items()))
    return result
