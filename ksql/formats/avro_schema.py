"""SQL columns <-> Avro schemas, with ksqlDB's naming and type mapping.

Writing (`avro_schema`): a wrapped value is a record named `VALUE_SCHEMA_FULL_NAME` (default
`io.confluent.ksql.avro_schemas.KsqlDataSourceSchema`), every field an optional union with null
and a null default; nested records are named after their path (`<parent>_<FIELD>`, map values
`<parent>_MapValue`), as ksqlDB's AvroSchemas does. The root itself is never optional: a null
value is a tombstone, not an Avro null. DECIMAL is bytes with the `decimal` logical type,
TIMESTAMP `timestamp-millis`, DATE `date`, TIME `time-millis`; MAPs have STRING keys.

Reading (`sql_type_of`): the inverse for schema inference; enums and fixed read as STRING and
BYTES, unions of null and one type as that type, field names upper-cased as ksqlDB does.
"""

from __future__ import annotations

import re
from typing import Any

from ksql.errors import KsqlError
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

DEFAULT_FULL_NAME = "io.confluent.ksql.avro_schemas.KsqlDataSourceSchema"
# The column an inferred schema that is not a record becomes, for a key and for a value.
UNWRAPPED_KEY = "ROWKEY"
UNWRAPPED_VALUE = "ROWVAL"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

_PRIMITIVES = {
    "BOOLEAN": "boolean",
    "INTEGER": "int",
    "BIGINT": "long",
    "DOUBLE": "double",
    "STRING": "string",
    "BYTES": "bytes",
}
_LOGICAL = {
    "DATE": {"type": "int", "logicalType": "date"},
    "TIME": {"type": "int", "logicalType": "time-millis"},
    "TIMESTAMP": {"type": "long", "logicalType": "timestamp-millis"},
}


def check_avro_columns(columns: list[tuple[str, SqlType]]) -> None:
    """Avro's limits: MAP keys are STRINGs; names are Avro names (dots become underscores)."""
    for name, sql_type in columns:
        _check_name(name)
        _check_type(sql_type)


def _check_name(name: str) -> None:
    fixed = name.replace(".", "_")
    if not fixed:
        return
    if not _NAME.fullmatch(fixed):
        bad = fixed[0] if not _NAME.fullmatch(fixed[0]) else next(
            c for c in fixed if not (c.isalnum() or c == "_")
        )
        where = "initial character" if bad == fixed[0] else "character"
        raise KsqlError(f"Schema is not compatible with Avro: Illegal {where}: {name}")


def _check_type(sql_type: SqlType) -> None:
    if isinstance(sql_type, MapType):
        if sql_type.key != STRING:
            raise KsqlError("Avro only supports MAPs with STRING keys")
        _check_type(sql_type.value)
    elif isinstance(sql_type, ArrayType):
        _check_type(sql_type.element)
    elif isinstance(sql_type, StructType):
        for field in sql_type.fields:
            _check_name(field.name)
            _check_type(field.type)


def avro_schema(
    columns: list[tuple[str, SqlType]], *, unwrapped: bool, full_name: str | None = None
) -> Any:
    """The Avro schema (a JSON tree) ksqlDB writes for these columns."""
    name = full_name or DEFAULT_FULL_NAME
    if unwrapped:
        return _type(columns[0][1], name)
    return _record(name, columns)


def _record(name: str, columns) -> dict[str, Any]:
    fields = [
        {
            "name": field_name.replace(".", "_"),
            "type": _optional(_type(sql_type, f"{name}_{field_name}")),
            "default": None,
        }
        for field_name, sql_type in columns
    ]
    return {"type": "record", "name": name, "fields": fields}


def _optional(schema: Any) -> list[Any]:
    return ["null", schema]


def _type(sql_type: SqlType, name: str) -> Any:
    if sql_type.name in _PRIMITIVES:
        return _PRIMITIVES[sql_type.name]
    if sql_type.name in _LOGICAL:
        return dict(_LOGICAL[sql_type.name])
    if isinstance(sql_type, DecimalType):
        return {
            "type": "bytes",
            "logicalType": "decimal",
            "precision": sql_type.precision,
            "scale": sql_type.scale,
        }
    if isinstance(sql_type, ArrayType):
        return {"type": "array", "items": _optional(_type(sql_type.element, name))}
    if isinstance(sql_type, MapType):
        return {"type": "map", "values": _optional(_type(sql_type.value, f"{name}_MapValue"))}
    if isinstance(sql_type, StructType):
        return _record(name, [(f.name, f.type) for f in sql_type.fields])
    raise KsqlError(f"Avro does not support type {sql_type}")


# ---------------------------------------------------------------- reading (inference)


def non_null(schema: Any) -> Any:
    """A union of null and one type read as that type; other unions are kept."""
    if isinstance(schema, list):
        branches = [s for s in schema if s != "null"]
        if len(branches) == 1:
            return branches[0]
    return schema


def sql_type_of(schema: Any, named: dict[str, Any] | None = None) -> SqlType:
    """The SQL type ksqlDB reads an Avro schema as (raises KsqlError when there is none)."""
    named = {} if named is None else named
    schema = non_null(schema)
    if isinstance(schema, str):
        if schema in named:
            return sql_type_of(named[schema], named)
        simple = {
            "boolean": BOOLEAN, "int": INTEGER, "long": BIGINT, "float": DOUBLE,
            "double": DOUBLE, "string": STRING, "bytes": BYTES,
        }
        if schema in simple:
            return simple[schema]
        raise KsqlError(f"Unsupported Avro type: {schema}")
    if isinstance(schema, list):
        raise KsqlError(f"Unsupported Avro union: {schema}")
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if logical == "decimal":
        return DecimalType(int(schema.get("precision", 64)), int(schema.get("scale", 0)))
    if logical == "date":
        return DATE
    if logical in ("time-millis", "time-micros"):
        return TIME
    if logical in ("timestamp-millis", "timestamp-micros"):
        return TIMESTAMP
    if "name" in schema and kind in ("record", "enum", "fixed"):
        named[_full_name(schema)] = schema
        named[schema["name"]] = schema
    if kind == "record":
        return StructType(tuple(
            StructField(f["name"].upper(), sql_type_of(f["type"], named))
            for f in schema.get("fields", [])
        ))
    if kind == "enum":
        return STRING
    if kind == "fixed":
        return BYTES
    if kind == "array":
        items = non_null(schema["items"])
        if _is_map_entry(items, named):
            return MapType(STRING, sql_type_of(_entry_fields(items, named)["value"], named))
        return ArrayType(sql_type_of(schema["items"], named))
    if kind == "map":
        return MapType(STRING, sql_type_of(schema["values"], named))
    return sql_type_of(kind, named)


def _full_name(schema: dict[str, Any]) -> str:
    name = schema["name"]
    namespace = schema.get("namespace")
    return f"{namespace}.{name}" if namespace and "." not in name else name


def _entry_fields(schema: Any, named: dict[str, Any]) -> dict[str, Any]:
    if isinstance(schema, str):
        schema = named.get(schema, {})
    return {f["name"]: f["type"] for f in schema.get("fields", [])}


def _is_map_entry(schema: Any, named: dict[str, Any]) -> bool:
    """Kafka Connect writes maps with optional keys as arrays of {key, value} records."""
    if isinstance(schema, str):
        schema = named.get(schema)
    if not isinstance(schema, dict) or schema.get("type") != "record":
        return False
    return sorted(f["name"] for f in schema.get("fields", [])) == ["key", "value"]


def inferred_columns(
    schema: Any, *, is_key: bool, keep_case: bool = False
) -> list[tuple[str, SqlType]]:
    """Columns of a source declared without any: a value record's fields, else one column
    of the schema's type (`ROWVAL`); a key is always one column (`ROWKEY`), a record key a
    STRUCT, as keys are written unwrapped."""
    named: dict[str, Any] = {}
    top = non_null(schema)
    if not is_key and isinstance(top, dict) and top.get("type") == "record":
        struct = sql_type_of(top, named)
        assert isinstance(struct, StructType)
        if keep_case:  # a schema chosen by id names the columns exactly
            return [(f["name"], s.type) for f, s in zip(top["fields"], struct.fields, strict=True)]
        return [(f.name, f.type) for f in struct.fields]
    return [(UNWRAPPED_KEY if is_key else UNWRAPPED_VALUE, sql_type_of(schema, named))]
