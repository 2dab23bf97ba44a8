"""JSON schemas (JSON Schema documents): structural validation and a subset of Confluent's rules.

Confluent judges JSON Schema changes by the differences from the writer's (original) schema to
the reader's (updated) one. This module implements these differences:

- TYPE_NARROWED: the reader accepts fewer JSON types (`integer` counts as part of `number`).
- PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL: the reader names a property the writer did not, while
  the writer allowed any extra property (the writer's `additionalProperties` schema, if any,
  must be readable as the new property instead).
- REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL: a new required property under a writer that
  allowed no extra properties.
- PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL: the reader drops a property and allows no extras.
- REQUIRED_ATTRIBUTE_ADDED: an existing property becomes required.
- ADDITIONAL_PROPERTIES_REMOVED / ADDITIONAL_PROPERTIES_NARROWED: the reader closes an open
  content model, or narrows the schema of extra properties.
- ENUM_ARRAY_NARROWED: the reader's enum lacks a writer value.
- MAX_LENGTH_DECREASED, MIN_LENGTH_INCREASED, MAXIMUM_DECREASED, MINIMUM_INCREASED, and the same
  for maxItems/minItems: tighter bounds.
- Array `items` and nested object properties are compared recursively; local `$ref`s
  (`#/definitions/...`, `#/$defs/...`) are followed, external ones compared as written.

Not covered: combined schemas (allOf/anyOf/oneOf beyond equality), patternProperties,
dependencies, conditionals.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ksql.schemas.kind import Incompatibility, ParsedSchema
from ksql.schemas.model import Dependency

_TYPES = frozenset(("null", "boolean", "object", "array", "number", "string", "integer"))

_SCHEMA_KEYS = ("items", "additionalProperties", "not", "additionalItems", "contains")
_SCHEMA_MAP_KEYS = ("properties", "definitions", "$defs", "patternProperties")
_SCHEMA_LIST_KEYS = ("allOf", "anyOf", "oneOf")

# (keyword, error type when the reader's value is tighter, True when a larger value is tighter)
_BOUNDS = (
    ("maxLength", "MAX_LENGTH_DECREASED", False),
    ("minLength", "MIN_LENGTH_INCREASED", True),
    ("maximum", "MAXIMUM_DECREASED", False),
    ("minimum", "MINIMUM_INCREASED", True),
    ("maxItems", "MAX_ITEMS_DECREASED", False),
    ("minItems", "MIN_ITEMS_INCREASED", True),
)


class JsonSchemaKind:
    """The JSON schema type."""

    def parse(self, text: str, dependencies: Sequence[Dependency]) -> ParsedSchema:
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"Invalid JSON: {e}") from None
        _validate(doc, "#")
        return ParsedSchema(json.dumps(doc, separators=(",", ":")), doc)

    def incompatibilities(
        self, reader: ParsedSchema, writer: ParsedSchema, reader_label: str, writer_label: str
    ) -> list[Incompatibility]:
        diff = _Diff(writer.model, reader.model, reader_label, writer_label)
        diff.compare(writer.model, reader.model, "#")
        return diff.found


KIND = JsonSchemaKind()


def _validate(schema: Any, path: str) -> None:
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise ValueError(f"{path}: a schema must be an object or a boolean")  # noqa: TRY004
    types = schema.get("type")
    if types is not None:
        for t in types if isinstance(types, list) else [types]:
            if t not in _TYPES:
                raise ValueError(f"{path}/type: unknown type {json.dumps(t)}")
    required = schema.get("required")
    if required is not None and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        raise ValueError(f"{path}/required: must be an array of strings")
    if "enum" in schema and not isinstance(schema["enum"], list):
        raise ValueError(f"{path}/enum: must be an array")
    for key in _SCHEMA_KEYS:
        if key in schema and not (key == "items" and isinstance(schema[key], list)):
            _validate(schema[key], f"{path}/{key}")
    if isinstance(schema.get("items"), list):
        for i, item in enumerate(schema["items"]):
            _validate(item, f"{path}/items/{i}")
    for key in _SCHEMA_MAP_KEYS:
        if key in schema:
            if not isinstance(schema[key], dict):
                raise ValueError(f"{path}/{key}: must be an object")
            for name, sub in schema[key].items():
                _validate(sub, f"{path}/{key}/{name}")
    for key in _SCHEMA_LIST_KEYS:
        if key in schema:
            if not isinstance(schema[key], list):
                raise ValueError(f"{path}/{key}: must be an array")
            for i, sub in enumerate(schema[key]):
                _validate(sub, f"{path}/{key}/{i}")


def _types(schema: Any) -> set[str] | None:
    """The JSON types a schema accepts, None for any."""
    if schema is False:
        return set()
    if not isinstance(schema, dict) or "type" not in schema:
        return None
    t = schema["type"]
    return set(t if isinstance(t, list) else [t])


def _is_open(schema: dict[str, Any]) -> bool:
    return schema.get("additionalProperties", True) is not False


class _Diff:
    """Differences from the writer's schema (original) to the reader's (update)."""

    def __init__(self, writer_doc: Any, reader_doc: Any, reader_label: str, writer_label: str):
        self.docs = (writer_doc, reader_doc)
        self.reader_label = reader_label
        self.writer_label = writer_label
        self.found: list[Incompatibility] = []
        self._seen: set[tuple[int, int]] = set()

    def compare(self, original: Any, update: Any, path: str) -> None:
        original = self._deref(original, self.docs[0])
        update = self._deref(update, self.docs[1])
        pair = (id(original), id(update))
        if pair in self._seen or original == update:
            return
        self._seen.add(pair)
        if update is True or update == {}:
            return
        if original is True or original == {}:
            original = {}
        if not isinstance(original, dict) or not isinstance(update, dict):
            self._add("TYPE_NARROWED", path, "accepts fewer types")
            return
        self._compare_types(original, update, path)
        self._compare_enum(original, update, path)
        self._compare_bounds(original, update, path)
        if "items" in original and isinstance(original["items"], dict):
            self.compare(original["items"], update.get("items", True), f"{path}/items")
        if _types(update) is None or "object" in (_types(update) or ()):
            self._compare_object(original, update, path)

    def _deref(self, schema: Any, doc: Any) -> Any:
        hops = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and hops < 32:
            ref = schema["$ref"]
            if not ref.startswith("#"):
                return schema
            target = doc
            for part in [p for p in ref[1:].split("/") if p]:
                if not isinstance(target, dict) or part not in target:
                    return schema
                target = target[part]
            schema, hops = target, hops + 1
        return schema

    def _compare_types(self, original: dict[str, Any], update: dict[str, Any], path: str) -> None:
        before, after = _types(original), _types(update)
        if after is None:
            return
        if before is None:
            before = set(_TYPES)
        if "number" in after:
            after = after | {"integer"}
        lost = before - after
        if lost:
            self._add("TYPE_NARROWED", path, f"no longer accepts {', '.join(sorted(lost))}")

    def _compare_enum(self, original: dict[str, Any], update: dict[str, Any], path: str) -> None:
        if "enum" not in update:
            return
        lost = [v for v in original.get("enum", [None]) if v not in update["enum"]]
        if "enum" not in original or lost:
            self._add("ENUM_ARRAY_NARROWED", f"{path}/enum", "accepts fewer values")

    def _compare_bounds(self, original: dict[str, Any], update: dict[str, Any], path: str) -> None:
        for key, error, larger_is_tighter in _BOUNDS:
            if key not in update:
                continue
            new = update[key]
            old = original.get(key)
            tighter = old is None or (new > old if larger_is_tighter else new < old)
            if tighter:
                self._add(error, f"{path}/{key}", f"{key} changed from {old} to {new}")

    def _compare_object(self, original: dict[str, Any], update: dict[str, Any], path: str) -> None:
        old_props = original.get("properties", {})
        new_props = update.get("properties", {})
        old_required = set(original.get("required", ()))
        new_required = set(update.get("required", ()))
        old_extra = original.get("additionalProperties", True)
        for name, sub in new_props.items():
            prop_path = f"{path}/properties/{name}"
            if name in old_props:
                self.compare(old_props[name], sub, prop_path)
                if name in new_required and name not in old_required:
                    self._add("REQUIRED_ATTRIBUTE_ADDED", prop_path, "is now required")
            elif old_extra is False:
                if name in new_required:
                    self._add(
                        "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL",
                        prop_path,
                        "is a new required property",
                    )
            elif old_extra is True:
                self._add(
                    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                    prop_path,
                    f"is missing in the {self.writer_label} schema, whose content model is open",
                )
            else:
                self.compare(old_extra, sub, prop_path)
        if not _is_open(update):
            for name in old_props:
                if name not in new_props:
                    self._add(
                        "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                        f"{path}/properties/{name}",
                        f"is missing in the {self.reader_label} schema, whose content model is "
                        "closed",
                    )
        new_extra = update.get("additionalProperties", True)
        if old_extra is not False and new_extra is False:
            self._add(
                "ADDITIONAL_PROPERTIES_REMOVED", f"{path}/additionalProperties", "no extras allowed"
            )
        elif old_extra is not False and new_extra is not True:
            before = len(self.found)
            self.compare(
                {} if old_extra is True else old_extra, new_extra, f"{path}/additionalProperties"
            )
            if len(self.found) > before:
                del self.found[before:]
                self._add(
                    "ADDITIONAL_PROPERTIES_NARROWED",
                    f"{path}/additionalProperties",
                    "extra properties are narrowed",
                )

    def _add(self, error_type: str, path: str, what: str) -> None:
        self.found.append(
            Incompatibility(
                error_type,
                f"The {self.reader_label} schema is not compatible with the {self.writer_label} "
                f"schema at path '{path}': {what}",
                path,
            )
        )
