"""JSON_SR: JSON records behind Confluent's 5-byte prefix, with a JSON Schema in the registry.

The payload reads and writes exactly as JSON (json_format), so a batch strips or adds the
prefix with vectorized kernels and reuses JSON's decoder and encoder. The schema registered
for a query's sink is the one Kafka Connect's JSON Schema converter writes for the columns
(optional fields as `oneOf` null or the type, `connect.type` for the integer widths, Connect's
logical-type titles); inference reads those back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ksql.errors import KsqlError
from ksql.formats.base import Columns, DecodeResult, as_array
from ksql.formats.json_format import JsonFormat, is_unwrapped
from ksql.formats.registry_schemas import SubjectSchemas, frame, unframe
from ksql.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIME,
    TIMESTAMP,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    StructField,
    StructType,
)

_CONNECT = "org.apache.kafka.connect.data."
_PRIMITIVES: dict[str, dict[str, Any]] = {
    "BOOLEAN": {"type": "boolean"},
    "INTEGER": {"type": "integer", "connect.type": "int32"},
    "BIGINT": {"type": "integer", "connect.type": "int64"},
    "DOUBLE": {"type": "number", "connect.type": "float64"},
    "STRING": {"type": "string"},
    "BYTES": {"type": "string", "connect.type": "bytes"},
    "DATE": {"type": "integer", "title": _CONNECT + "Date", "connect.type": "int32"},
    "TIME": {"type": "integer", "title": _CONNECT + "Time", "connect.type": "int32"},
    "TIMESTAMP": {"type": "integer", "title": _CONNECT + "Timestamp", "connect.type": "int64"},
}
_BY_TITLE = {_CONNECT + "Date": DATE, _CONNECT + "Time": TIME, _CONNECT + "Timestamp": TIMESTAMP}


def json_schema(columns: Columns, *, unwrapped: bool) -> dict[str, Any]:
    if unwrapped:
        return _type(columns[0][1])
    return _object([(name, t) for name, t in columns])


def _object(fields: list[tuple[str, SqlType]]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            name: {"oneOf": [{"type": "null"}, _type(t)], "connect.index": i}
            for i, (name, t) in enumerate(fields)
        },
    }


def _type(sql_type: SqlType) -> dict[str, Any]:
    if sql_type.name in _PRIMITIVES:
        return dict(_PRIMITIVES[sql_type.name])
    if isinstance(sql_type, DecimalType):
        return {
            "type": "number",
            "title": _CONNECT + "Decimal",
            "connect.parameters": {
                "scale": str(sql_type.scale),
                "connect.decimal.precision": str(sql_type.precision),
            },
        }
    if isinstance(sql_type, ArrayType):
        return {"type": "array", "items": {"oneOf": [{"type": "null"}, _type(sql_type.element)]}}
    if isinstance(sql_type, MapType):
        return {
            "type": "object",
            "additionalProperties": {"oneOf": [{"type": "null"}, _type(sql_type.value)]},
            "connect.type": "map",
        }
    if isinstance(sql_type, StructType):
        return _object([(f.name, f.type) for f in sql_type.fields])
    raise KsqlError(f"JSON_SR does not support type {sql_type}")


def sql_type_of(schema: Any) -> SqlType:
    """The SQL type a JSON Schema reads as (inference)."""
    if not isinstance(schema, dict):
        return STRING
    for combined in ("oneOf", "anyOf"):
        if combined in schema:
            live = [s for s in schema[combined] if s.get("type") != "null"]
            if len(live) == 1:
                return sql_type_of(live[0])
    kind = schema.get("type")
    if isinstance(kind, list):
        live = [k for k in kind if k != "null"]
        kind = live[0] if len(live) == 1 else None
    title = schema.get("title")
    if title in _BY_TITLE:
        return _BY_TITLE[title]
    if title == _CONNECT + "Decimal":
        params = schema.get("connect.parameters", {})
        return DecimalType(
            int(params.get("connect.decimal.precision", 64)), int(params.get("scale", 0))
        )
    connect = schema.get("connect.type")
    if kind == "integer":
        return INTEGER if connect in ("int8", "int16", "int32") else BIGINT
    if kind == "number":
        return DOUBLE
    if kind == "boolean":
        return BOOLEAN
    if kind == "string":
        return BYTES if connect == "bytes" else STRING
    if kind == "array":
        return ArrayType(sql_type_of(schema.get("items", {})))
    if kind == "object":
        if "properties" not in schema and isinstance(schema.get("additionalProperties"), dict):
            return MapType(STRING, sql_type_of(schema["additionalProperties"]))
        return StructType(tuple(
            StructField(name.upper(), sql_type_of(sub))
            for name, sub in schema.get("properties", {}).items()
        ))
    raise KsqlError(f"Unsupported JSON schema: {json.dumps(schema)}")


@dataclass(slots=True)
class JsonSrFormat:
    schemas: SubjectSchemas
    schema_id: int | None = None
    name: str = "JSON_SR"
    json: JsonFormat = field(default_factory=JsonFormat)
    _ids: dict[tuple, int] = field(default_factory=dict)

    def check_schema(self, columns: Columns, *, is_key: bool, wrap_single: bool | None) -> None:
        self.json.check_schema(columns, is_key=is_key, wrap_single=wrap_single)

    def inferred_columns(self, text: str, *, is_key: bool) -> Columns:
        schema = json.loads(text)
        top = sql_type_of(schema)
        if isinstance(top, StructType) and not is_key:
            return [(f.name, f.type) for f in top.fields]
        return [("ROWKEY" if is_key else "ROWVAL", top)]

    def register(self, columns: Columns, *, wrap_single: bool | None) -> int:
        key = (tuple(columns), wrap_single)
        found = self._ids.get(key)
        if found is None:
            if self.schema_id is not None:
                found = self.schema_id
            else:
                schema = json_schema(columns, unwrapped=is_unwrapped(columns, wrap_single))
                found = self.schemas.register(json.dumps(schema))
            self._ids[key] = found
        return found

    def decode(self, data: pa.Array, columns: Columns, *, wrap_single: bool | None) -> DecodeResult:
        data = as_array(data).cast(pa.binary())
        framed = pc.equal(pc.binary_slice(data, 0, 1), pa.scalar(b"\0", pa.binary()))
        framed = pc.and_(framed, pc.greater_equal(pc.binary_length(data), 5))
        bad = pc.and_(pc.is_valid(data), pc.invert(pc.fill_null(framed, False)))
        # An explicit stop: binary_slice without one mis-sizes its output (pyarrow 26).
        payload = pc.binary_slice(data, 5, 2**31 - 1)
        payload = pc.if_else(pc.fill_null(framed, False), payload, None)
        result = self.json.decode(payload, columns, wrap_single=wrap_single)
        if not pc.any(bad).as_py():
            return result
        unframed = pc.if_else(bad, pa.scalar("Unknown magic byte!"), pa.scalar(None, pa.string()))
        errors = unframed if result.errors is None else pc.coalesce(unframed, result.errors)
        return DecodeResult(result.table, errors)

    def encode(self, table, columns: Columns, *, wrap_single: bool | None) -> pa.BinaryArray:
        values = self.json.encode(table, columns, wrap_single=wrap_single)
        if not columns:
            return values
        prefix = frame(self.register(columns, wrap_single=wrap_single), b"")
        return pc.binary_join_element_wise(
            pa.scalar(prefix, pa.binary()), values.cast(pa.binary()), pa.scalar(b"", pa.binary())
        )

    def to_bytes(
        self, value: object, columns: Columns, *, wrap_single: bool | None
    ) -> bytes | None:
        if value is None:
            return None
        latest = self.schemas.latest() if self.schema_id is None else None
        schema_id = latest.id if latest is not None else self.register(
            columns, wrap_single=wrap_single
        )
        return frame(schema_id, self.json.to_bytes(value, columns, wrap_single=wrap_single) or b"")

    def from_bytes(
        self, data: bytes | None, columns: Columns, *, wrap_single: bool | None
    ) -> object:
        if data is None:
            return None
        _, payload = unframe(data)
        return self.json.from_bytes(bytes(payload), columns, wrap_single=wrap_single)
