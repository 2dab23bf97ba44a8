"""Connect schemas <-> JSON Schema documents, as Confluent's JsonSchemaData maps them.

Connect to JSON Schema: integers are `integer` and floats `number`, with their Connect type in
`"connect.type"`; bytes are base64 `string`s (`"connect.type": "bytes"`); Decimal is a `number`
and Date, Time, Timestamp `integer`s titled with their logical name; structs are objects with
`properties` numbered by `"connect.index"` and titled with the struct's name; maps with string
keys are objects with `additionalProperties`, other maps arrays of {key, value} objects
(`"connect.type": "map"`); an optional schema is `oneOf` null and itself.

JSON Schema to Connect: the inverse, for documents other producers register too: `type`
lists and `oneOf`/`anyOf` with null are optional, a property missing from a `required` list is
optional, `enum`s of strings are strings and local `$ref`s are followed. Other unions and
untyped schemas are refused (DataError)."""

from __future__ import annotations

from typing import Any

from ksql.connect import api
from ksql.connect.api import DataError, Schema
from ksql.connect.converters.json_values import to_json

_INTEGERS = (api.INT8, api.INT16, api.INT32, api.INT64)
_LOGICAL_TYPES = {api.DATE: api.INT32, api.TIME: api.INT32, api.TIMESTAMP: api.INT64}
_CONNECT_TYPE = "connect.type"


# ----------------------------------------------------------------------------- Connect -> JSON


def json_schema_of(schema: Schema) -> dict[str, Any]:
    body = _body(schema)
    if schema.optional:
        return {"oneOf": [{"type": "null"}, body]}
    return body


def _body(schema: Schema) -> dict[str, Any]:
    out: dict[str, Any]
    if schema.name == api.DECIMAL:
        out = {"type": "number", "title": api.DECIMAL}
    elif schema.name in _LOGICAL_TYPES:
        out = {"type": "integer", "title": schema.name, _CONNECT_TYPE: _LOGICAL_TYPES[schema.name]}
    elif schema.type in _INTEGERS:
        out = {"type": "integer", _CONNECT_TYPE: schema.type}
    elif schema.type in (api.FLOAT32, api.FLOAT64):
        width = "float32" if schema.type == api.FLOAT32 else "float64"
        out = {"type": "number", _CONNECT_TYPE: width}
    elif schema.type == api.BYTES:
        out = {"type": "string", _CONNECT_TYPE: "bytes"}
    elif schema.type in (api.BOOLEAN, api.STRING):
        out = {"type": schema.type}
    elif schema.type == api.ARRAY:
        assert schema.value_schema is not None
        out = {"type": "array", "items": json_schema_of(schema.value_schema)}
    elif schema.type == api.MAP:
        out = _map(schema)
    else:
        properties = {}
        for f in schema.fields:
            properties[f.name] = {**json_schema_of(f.schema), "connect.index": f.index}
        out = {"type": "object", "properties": properties}
    if schema.name is not None and "title" not in out:
        out["title"] = schema.name
    if schema.doc is not None:
        out["description"] = schema.doc
    if schema.version is not None:
        out["connect.version"] = schema.version
    if schema.parameters:
        out["connect.parameters"] = dict(schema.parameters)
    if schema.default is not None:
        out["default"] = to_json(schema, schema.default, numeric=True, entries=True)
    return out


def _map(schema: Schema) -> dict[str, Any]:
    keys, values = schema.key_schema, schema.value_schema
    assert keys is not None and values is not None
    if keys.type == api.STRING:
        return {"type": "object", "additionalProperties": json_schema_of(values),
                _CONNECT_TYPE: "map"}  # fmt: skip
    entry = {
        "type": "object",
        "properties": {
            "key": {**json_schema_of(keys), "connect.index": 0},
            "value": {**json_schema_of(values), "connect.index": 1},
        },
    }
    return {"type": "array", "items": entry, _CONNECT_TYPE: "map"}


# ----------------------------------------------------------------------------- JSON -> Connect


class ConnectSchemaReader:
    """One JSON Schema document to a Connect schema (local `$ref`s resolved in `root`)."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.resolving: set[str] = set()

    def schema(self, node: Any) -> Schema:
        if not isinstance(node, dict):
            raise DataError(f"Unsupported JSON schema: {node!r:.80}")
        if "$ref" in node:
            return self._reference(node["$ref"])
        for union in ("oneOf", "anyOf"):
            if union in node:
                return self._union(node[union])
        kind = node.get("type")
        if isinstance(kind, list):
            live = [k for k in kind if k != "null"]
            if len(live) != 1:
                raise DataError(f"Unsupported JSON schema type list: {kind}")
            return self.schema({**node, "type": live[0]}).replace(optional=len(live) < len(kind))
        if kind is None and isinstance(node.get("enum"), list):
            kind = "string"
        schema = self._typed(node, kind)
        changes: dict[str, Any] = {}
        if isinstance(node.get("title"), str) and schema.name is None:
            changes["name"] = node["title"]
        if isinstance(node.get("description"), str):
            changes["doc"] = node["description"]
        if isinstance(node.get("connect.version"), int):
            changes["version"] = node["connect.version"]
        if isinstance(node.get("connect.parameters"), dict):
            changes["parameters"] = {**schema.parameters, **node["connect.parameters"]}
        return schema.replace(**changes) if changes else schema

    def _typed(self, node: dict[str, Any], kind: Any) -> Schema:
        connect_type = node.get(_CONNECT_TYPE)
        title = node.get("title")
        match kind:
            case "integer":
                if title in _LOGICAL_TYPES:
                    return Schema(_LOGICAL_TYPES[title], name=title, version=1)
                return Schema(connect_type if connect_type in _INTEGERS else api.INT64)
            case "number":
                if title == api.DECIMAL:
                    parameters = node.get("connect.parameters") or {"scale": "0"}
                    return Schema(api.BYTES, name=api.DECIMAL, version=1, parameters=parameters)
                return Schema(api.FLOAT32 if connect_type == "float32" else api.FLOAT64)
            case "boolean":
                return Schema(api.BOOLEAN)
            case "string":
                return Schema(api.BYTES if connect_type == "bytes" else api.STRING)
            case "array":
                if "items" not in node:
                    raise DataError("Unsupported JSON schema: an array without items")
                items = node["items"]
                if connect_type == "map" and isinstance(items, dict):
                    entry = self._struct(items)
                    key, value = entry.field("key"), entry.field("value")
                    if key is not None and value is not None:
                        return Schema(api.MAP, key_schema=key.schema, value_schema=value.schema)
                return Schema(api.ARRAY, value_schema=self.schema(items))
            case "object":
                extra = node.get("additionalProperties")
                if isinstance(extra, dict) and (connect_type == "map" or "properties" not in node):
                    return Schema(api.MAP, key_schema=Schema(api.STRING),
                                  value_schema=self.schema(extra))  # fmt: skip
                return self._struct(node)
        raise DataError(f"Unsupported JSON schema type: {kind!r}")

    def _struct(self, node: dict[str, Any]) -> Schema:
        properties = node.get("properties") or {}
        required = node.get("required")
        items = list(properties.items())
        # Properties in their `connect.index` order, else in the document's.
        position = {
            name: (sub.get("connect.index", i) if isinstance(sub, dict) else i, i)
            for i, (name, sub) in enumerate(items)
        }
        items.sort(key=lambda item: position[item[0]])
        fields = []
        for i, (name, sub) in enumerate(items):
            member = self.schema(sub)
            if isinstance(required, list) and name not in required:
                member = member.replace(optional=True)
            fields.append(api.Field(name, member, i))
        return Schema(api.STRUCT, fields=tuple(fields))

    def _union(self, branches: Any) -> Schema:
        if not isinstance(branches, list):
            raise DataError("oneOf / anyOf must be a list")
        live = [b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")]
        if len(live) != 1:
            raise DataError("Unsupported JSON schema: a union of more than null and one type")
        return self.schema(live[0]).replace(optional=len(live) < len(branches))

    def _reference(self, ref: Any) -> Schema:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise DataError(f"Unsupported JSON schema reference: {ref!r}")
        if ref in self.resolving:
            raise DataError(f"Recursive JSON schemas are not supported: {ref}")
        node: Any = self.root
        for part in ref[2:].split("/"):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            raise DataError(f"Unresolvable JSON schema reference: {ref}")
        self.resolving.add(ref)
        try:
            return self.schema(node)
        finally:
            self.resolving.discard(ref)


def has_decimal(schema: Schema) -> bool:
    """Whether values of `schema` hold decimals (read exactly from JSON numbers)."""
    if schema.name == api.DECIMAL:
        return True
    inner = [f.schema for f in schema.fields] + [
        s for s in (schema.key_schema, schema.value_schema) if s is not None
    ]
    return any(has_decimal(s) for s in inner)
