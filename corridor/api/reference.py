"""The API described for people: a JSON index at /api/v1/ and a reference page, both read from
the OpenAPI schema drf-spectacular generates, so neither can drift from what the API does."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool = False
    description: str = ""
    ref: str = ""


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    ref: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    group: str
    parameters: list[Field] = field(default_factory=list)
    body: str = ""
    answers: list[Answer] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "op-" + self.operation_id


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    description: str
    operations: list[Operation]
    schemas: dict[str, list[Field]]

    def groups(self) -> list[tuple[str, list[Operation]]]:
        grouped: dict[str, list[Operation]] = {}
        for operation in self.operations:
            grouped.setdefault(operation.group, []).append(operation)
        return list(grouped.items())


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    return str(ref).rsplit("/", 1)[-1] if ref else ""


def _kind(schema: dict[str, Any]) -> tuple[str, str]:
    """A short type for people ("array of Note", "string (date)", "one of: a, b") and the schema it names."""
    if not schema:
        return "any", ""
    if "$ref" in schema:
        name = _ref_name(schema)
        return name, name
    for combined in ("allOf", "oneOf", "anyOf"):
        if combined in schema:
            parts = [_kind(part) for part in schema[combined]]
            names = [kind for kind, _ref in parts if kind != "NullEnum"]
            refs = [ref for _kind_, ref in parts if ref and ref != "NullEnum"]
            return " or ".join(names) or "any", refs[0] if len(refs) == 1 else ""
    if "enum" in schema:
        return "one of: " + ", ".join(str(value) for value in schema["enum"] if value not in ("", None)), ""
    kind = str(schema.get("type", "object"))
    if kind == "array":
        inner, ref = _kind(schema.get("items", {}))
        return f"array of {inner}", ref
    if schema.get("format"):
        kind += f" ({schema['format']})"
    if schema.get("nullable"):
        kind += ", or null"
    return kind, ""


def _fields(schema: dict[str, Any]) -> list[Field]:
    if "enum" in schema:  # a choice set: its values are what there is to know
        return [Field("", _kind(schema)[0], True, str(schema.get("description", "")))]
    required = set(schema.get("required", []))
    fields = []
    for name, prop in schema.get("properties", {}).items():
        kind, ref = _kind(prop)
        if prop.get("readOnly"):
            kind += ", read-only"
        fields.append(Field(name, kind, name in required, str(prop.get("description", "")), ref))
    return fields


def _body(operation: dict[str, Any]) -> str:
    content: dict[str, dict[str, Any]] = operation.get("requestBody", {}).get("content", {})
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    return _kind(media.get("schema", {}))[0] if media else ""


def _answers(operation: dict[str, Any]) -> list[Answer]:
    answers = []
    for status, answer in sorted(operation.get("responses", {}).items()):
        media = answer.get("content", {}).get("application/json", {})
        kind, ref = _kind(media.get("schema", {})) if media else ("", "")
        answers.append(Answer(str(status), str(answer.get("description", "")), ref or kind))
    return answers


def _group(path: str) -> str:
    parts = [part for part in path.removeprefix("/api/v1/").split("/") if part and not part.startswith("{")]
    return parts[0] if parts else "me"


def build(schema: dict[str, Any]) -> Reference:
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            parameters = [
                Field(
                    str(p["name"]),
                    f"{p.get('in', '')}: {_kind(p.get('schema', {}))[0]}",
                    bool(p.get("required")),
                    str(p.get("description", "")),
                )
                for p in operation.get("parameters", [])
            ]
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=str(operation.get("operationId", f"{method}-{path}")),
                    summary=str(operation.get("summary", "")),
                    description=str(operation.get("description", "")),
                    group=_group(path),
                    parameters=parameters,
                    body=_body(operation),
                    answers=_answers(operation),
                )
            )
    schemas = {name: _fields(body) for name, body in sorted(schema.get("components", {}).get("schemas", {}).items())}
    info = schema.get("info", {})
    return Reference(
        str(info.get("title", "")), str(info.get("version", "")), str(info.get("description", "")), operations, schemas
    )


@functools.cache
def schema() -> dict[str, Any]:
    """The schema the API serves at /api/schema/, made once per process (it changes only with the code)."""
    generated: dict[str, Any] = SchemaGenerator().get_schema(request=None, public=True)
    return generated


def reference() -> Reference:
    return build(schema())
