"""Avro data <-> SQL values, one converter closure built per (schema, type), applied per record.

`reader(sql_type)` turns what fastavro decodes into the Python values Arrow builds the declared
type from, with ksqlDB's coercions (ConnectDataTranslator: STRING takes any primitive as its
text, BIGINT takes ints, DOUBLE takes any number; struct fields match as written, then
upper-cased; Kafka Connect's arrays of key/value records read as MAPs).

`writer(schema)` turns Arrow's Python values (or a JSON tree, as test inputs give records) into
the datum fastavro writes with that schema: record fields matched by name, case-insensitively;
decimals, bytes (base64 text) and times from either form.

`to_json(datum)` is what a reader of the topic sees: times as numbers, bytes as base64.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from decimal import Decimal, localcontext
from typing import Any

from ksql.types import ArrayType, DecimalType, MapType, SqlType, StructType

Convert = Callable[[Any], Any]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)


class AvroValueError(ValueError):
    """A value that cannot become the declared type."""


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, str):
        return "STRING"
    if isinstance(value, bytes | Decimal):
        return "BYTES"
    if isinstance(value, dict):
        return "STRUCT"
    if isinstance(value, list):
        return "ARRAY"
    return type(value).__name__.upper()


def _mismatch(value: Any, sql_type: SqlType, path: str) -> AvroValueError:
    return AvroValueError(
        f"Cannot deserialize type {_kind(value)} as type {sql_type} for path: {path}"
    )


def timestamp_ms(value: dt.datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def time_ms(value: dt.time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


def _java_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------- Avro -> SQL


def reader(sql_type: SqlType, path: str = "") -> Convert:
    """A converter from a decoded Avro value to `sql_type`'s Arrow-ready Python value."""
    name = sql_type.name

    if isinstance(sql_type, StructType):
        return _struct_reader(sql_type, path)
    if isinstance(sql_type, ArrayType):
        element = reader(sql_type.element, f"{path}->ARRAY")

        def array(v: Any) -> Any:
            if not isinstance(v, list):
                raise _mismatch(v, sql_type, path)
            return [None if e is None else element(e) for e in v]

        return array
    if isinstance(sql_type, MapType):
        value_reader = reader(sql_type.value, f"{path}->MAP_VAL")

        def mapping(v: Any) -> Any:
            if isinstance(v, list):  # Connect's array of {key, value} entries
                v = {e["key"]: e["value"] for e in v}
            if not isinstance(v, dict):
                raise _mismatch(v, sql_type, path)
            return [(k, None if x is None else value_reader(x)) for k, x in v.items()]

        return mapping
    if isinstance(sql_type, DecimalType):
        quantum = Decimal(1).scaleb(-sql_type.scale)

        def decimal(v: Any) -> Any:
            if isinstance(v, bool) or not isinstance(v, Decimal | int | float):
                raise _mismatch(v, sql_type, path)
            return _quantize(Decimal(str(v)), quantum)

        return decimal
    checks: dict[str, Convert] = {
        "BOOLEAN": lambda v: v if isinstance(v, bool) else _fail(v),
        "INTEGER": lambda v: v if isinstance(v, int) and not isinstance(v, bool) else _fail(v),
        "BIGINT": lambda v: v if isinstance(v, int) and not isinstance(v, bool) else _fail(v),
        "DOUBLE": lambda v: float(v) if isinstance(v, int | float) and not isinstance(v, bool)
        else _fail(v),
        "STRING": lambda v: v if isinstance(v, str) else (
            _java_text(v) if isinstance(v, bool | int | float) else _fail(v)
        ),
        "BYTES": lambda v: v if isinstance(v, bytes) else _fail(v),
        "DATE": lambda v: v if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else (
            _EPOCH_DATE + dt.timedelta(days=v) if isinstance(v, int) else _fail(v)
        ),
        "TIME": lambda v: time_ms(v) * 1000 if isinstance(v, dt.time) else (
            v * 1000 if isinstance(v, int) else _fail(v)
        ),
        "TIMESTAMP": lambda v: timestamp_ms(v) if isinstance(v, dt.datetime) else (
            v if isinstance(v, int) and not isinstance(v, bool) else _fail(v)
        ),
    }
    check = checks[name]

    def primitive(v: Any) -> Any:
        try:
            return check(v)
        except _Mismatch:
            raise _mismatch(v, sql_type, path) from None

    return primitive


class _Mismatch(Exception):
    pass


def _fail(value: Any) -> Any:
    raise _Mismatch


def _struct_reader(sql_type: StructType, path: str) -> Convert:
    fields = {f.name: (f.name, reader(f.type, f"{path}->{f.name}")) for f in sql_type.fields}
    names = [f.name for f in sql_type.fields]
    plans: dict[tuple[str, ...], list[tuple[str, str, Convert]]] = {}

    def plan(keys: tuple[str, ...]) -> list[tuple[str, str, Convert]]:
        # Each Avro field goes to the SQL field named as it is, else its upper-cased name.
        out = []
        for key in keys:
            target = fields.get(key) or fields.get(key.upper())
            if target is not None:
                out.append((target[0], key, target[1]))
        return out

    def struct(v: Any) -> Any:
        if not isinstance(v, dict):
            raise _mismatch(v, sql_type, path)
        keys = tuple(v)
        steps = plans.get(keys)
        if steps is None:
            steps = plans[keys] = plan(keys)
        out = dict.fromkeys(names)
        for target, key, convert in steps:
            value = v[key]
            out[target] = None if value is None else convert(value)
        return out

    return struct


# ---------------------------------------------------------------- SQL / JSON -> Avro


def writer(schema: Any, named: dict[str, Any] | None = None) -> Convert:
    """A converter from Arrow's (or a JSON tree's) Python value to a datum for `schema`."""
    named = {} if named is None else named
    if isinstance(schema, str):
        if schema in named:
            return lambda v: named[schema](v)
        return _primitive_writer(schema)
    if isinstance(schema, list):
        return _union_writer(schema, named)
    kind = schema["type"]
    logical = schema.get("logicalType")
    if logical == "decimal":
        return _decimal_writer(int(schema.get("scale", 0)))
    if logical in ("timestamp-millis", "date", "time-millis"):
        return _time_writer(logical)
    if kind == "record":
        convert = _record_writer(schema, named)
        named[schema["name"]] = convert
        if schema.get("namespace"):
            named[f"{schema['namespace']}.{schema['name']}"] = convert
        return convert
    if kind in ("enum", "fixed"):
        named[schema["name"]] = _primitive_writer("bytes" if kind == "fixed" else "string")
        return named[schema["name"]]
    if kind == "array":
        items = writer(schema["items"], named)
        return lambda v: [None if e is None else items(e) for e in v]
    if kind == "map":
        values = writer(schema["values"], named)

        def mapping(v: Any) -> Any:
            pairs = v.items() if isinstance(v, dict) else v
            return {str(k): None if x is None else values(x) for k, x in pairs}

        return mapping
    return writer(kind, named)


def _primitive_writer(kind: str) -> Convert:
    if kind in ("bytes", "fixed"):
        return lambda v: base64.b64decode(v) if isinstance(v, str) else v
    if kind in ("double", "float"):
        return lambda v: float(v) if isinstance(v, int | float | Decimal | str) else v
    if kind in ("int", "long"):
        return lambda v: int(v) if isinstance(v, float | Decimal | str) else v
    return lambda v: v


def _decimal_writer(scale: int) -> Convert:
    quantum = Decimal(1).scaleb(-scale)
    return lambda v: _quantize(Decimal(str(v)), quantum)


def _quantize(value: Decimal, quantum: Decimal) -> Decimal:
    # The default context's 28 digits are fewer than DECIMAL's 38 (and Avro's unbounded).
    with localcontext(prec=100):
        return value.quantize(quantum)


def _time_writer(logical: str) -> Convert:
    def convert(v: Any) -> Any:
        if isinstance(v, dt.datetime):
            return timestamp_ms(v)
        if isinstance(v, dt.date):
            return (v - _EPOCH_DATE).days
        if isinstance(v, dt.time):
            return time_ms(v)
        if isinstance(v, str | float):  # a JSON tree may give numbers as text
            return int(v)
        return v

    return convert


def _record_writer(schema: dict[str, Any], named: dict[str, Any]) -> Convert:
    fields = [(f["name"], writer(f["type"], named)) for f in schema.get("fields", [])]
    # A registered schema may have fields the columns lack: they take their defaults.
    defaults = {f["name"]: f["default"] for f in schema.get("fields", []) if "default" in f}

    def record(v: Any) -> Any:
        out = {}
        for name, convert in fields:
            if name in v:
                value = v[name]
            else:
                value = v.get(name.upper())
                if value is None:
                    lowered = name.lower()
                    value = next((x for k, x in v.items() if k.lower() == lowered), None)
            out[name] = defaults.get(name) if value is None else convert(value)
        return out

    return record


def _union_writer(branches: list[Any], named: dict[str, Any]) -> Convert:
    live = [b for b in branches if b != "null"]
    converters = [writer(b, named) for b in live]
    if len(live) == 1:
        only = converters[0]
        return lambda v: None if v is None else only(v)
    kinds = [_branch_kind(b, named) for b in live]

    def union(v: Any) -> Any:
        if v is None:
            return None
        wanted = _value_kinds(v)
        for kind, convert in zip(kinds, converters, strict=True):
            if kind in wanted:
                return convert(v)
        return converters[0](v)

    return union


def _branch_kind(schema: Any, named: dict[str, Any]) -> str:
    if isinstance(schema, dict):
        return schema.get("logicalType") or schema["type"]
    return schema


def _value_kinds(v: Any) -> tuple[str, ...]:
    if isinstance(v, bool):
        return ("boolean",)
    if isinstance(v, int):
        return ("int", "long", "timestamp-millis", "date", "time-millis", "double", "float")
    if isinstance(v, float):
        return ("double", "float", "decimal")
    if isinstance(v, Decimal):
        return ("decimal", "double")
    if isinstance(v, str):
        return ("string", "enum", "bytes")
    if isinstance(v, bytes):
        return ("bytes", "fixed")
    if isinstance(v, dict):
        return ("record", "map")
    if isinstance(v, list):
        return ("array", "map")
    return ()


# ---------------------------------------------------------------- Avro -> JSON


def to_json(datum: Any) -> Any:
    """A decoded datum as a JSON tree (decimals stay Decimal, compared by value)."""
    if isinstance(datum, dict):
        return {k: to_json(v) for k, v in datum.items()}
    if isinstance(datum, list):
        return [to_json(v) for v in datum]
    if isinstance(datum, bytes):
        return base64.b64encode(datum).decode("ascii")
    if isinstance(datum, dt.datetime):
        return timestamp_ms(datum)
    if isinstance(datum, dt.date):
        return (datum - _EPOCH_DATE).days
    if isinstance(datum, dt.time):
        return time_ms(datum)
    return datum
