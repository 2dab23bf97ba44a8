"""Connect schemas <-> the JSON form JsonConverter puts in its envelope's "schema":
`{"type": "struct", "fields": [{"type": "int32", "optional": false, "field": "id"}],
"optional": false, "name": ..., "version": ..., "doc": ..., "parameters": {...}, "default": ...}`,
arrays with "items", maps with "keys" and "values"."""

from __future__ import annotations

from typing import Any

from ksql.connect import api
from ksql.connect.api import DataError, Schema
from ksql.connect.converters.json_values import from_json, to_json

_TYPES = frozenset((*api.PRIMITIVES, api.ARRAY, api.MAP, api.STRUCT))


def schema_to_json(schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {"type": schema.type}
    if schema.type == api.STRUCT:
        out["fields"] = [{**schema_to_json(f.schema), "field": f.name} for f in schema.fields]
    elif schema.type == api.ARRAY:
        assert schema.value_schema is not None
        out["items"] = schema_to_json(schema.value_schema)
    elif schema.type == api.MAP:
        assert schema.key_schema is not None and schema.value_schema is not None
        out["keys"] = schema_to_json(schema.key_schema)
        out["values"] = schema_to_json(schema.value_schema)
    out["optional"] = schema.optional
    if schema.name is not None:
        out["name"] = schema.name
    if schema.version is not None:
        out["version"] = schema.version
    if schema.doc is not None:
        out["doc"] = schema.doc
    if schema.parameters:
        out["parameters"] = dict(schema.parameters)
    if schema.default is not None:
        out["default"] = to_json(schema, schema.default, numeric=True)
    return out


def schema_from_json(node: Any) -> Schema:
    """The Connect schema of an envelope's "schema"; DataError when it is not one."""
    if not isinstance(node, dict):
        raise DataError(f"Schema must be a JSON object, found: {node!r:.60}")
    kind = node.get("type")
    if not isinstance(kind, str):
        raise DataError("Schema must contain 'type' field")
    if kind not in _TYPES:
        raise DataError(f"Unknown schema type: {kind}")
    parts: dict[str, Any] = {}
    if kind == api.STRUCT:
        fields = node.get("fields")
        if not isinstance(fields, list):
            raise DataError('Struct schema\'s "fields" argument is not an array.')
        parsed = []
        for i, f in enumerate(fields):
            if not isinstance(f, dict) or not isinstance(f.get("field"), str):
                raise DataError("Struct schema's field name not specified properly")
            parsed.append(api.Field(f["field"], schema_from_json(f), i))
        parts["fields"] = tuple(parsed)
    elif kind == api.ARRAY:
        if "items" not in node:
            raise DataError("Array schema did not specify the element type")
        parts["value_schema"] = schema_from_json(node["items"])
    elif kind == api.MAP:
        for key, part, what in (("keys", "key_schema", "key"), ("values", "value_schema", "value")):
            if key not in node:
                raise DataError(f"Map schema did not specify the {what} type")
            parts[part] = schema_from_json(node[key])
    parameters = node.get("parameters") or {}
    if not isinstance(parameters, dict) or not all(isinstance(v, str) for v in parameters.values()):
        raise DataError("Schema parameters must have string values.")
    version = node.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise DataError("Schema version must be an integer")
    schema = Schema(
        kind, optional=node.get("optional") is True, name=node.get("name"), version=version,
        doc=node.get("doc"), parameters=parameters, **parts,
    )  # fmt: skip
    if node.get("default") is not None:
        schema = schema.replace(default=from_json(schema, node["default"]))
    return schema
