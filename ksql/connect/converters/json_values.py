"""Connect values <-> JSON trees, as Kafka's JsonConverter writes payloads (JsonSchemaConverter
writes the same): bytes as base64 text, Date as days, Time and Timestamp as milliseconds,
Decimal as base64 of its unscaled two's complement bytes or (`numeric`) a JSON number, maps
with string keys as objects and other maps as arrays of [key, value] pairs.

A JSON number written exactly (a decimal) is an `orjson.Fragment`; trees are read from
`parse`, which keeps numbers with a fraction as Decimal when asked to (`exact`)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from decimal import Context, Decimal, InvalidOperation
from typing import Any

import orjson

from ksql.connect import api
from ksql.connect.api import DataError, Schema

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)
_MS = dt.timedelta(milliseconds=1)
# Decimal arithmetic that never rounds (the default context keeps 28 digits; Connect's
# decimals have any number).
EXACT = Context(prec=1000)


def _name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _mismatch(schema: Schema, value: Any) -> DataError:
    return DataError(f"Invalid type for {(schema.name or schema.type).upper()}: {_name(value)}")


# ----------------------------------------------------------------------------- decimals


def decimal_scale(schema: Schema) -> int:
    try:
        return int(schema.parameters["scale"])
    except (KeyError, ValueError):
        raise DataError("Invalid Decimal schema: scale parameter not found.") from None


def unscaled_bytes(value: Decimal, scale: int) -> bytes:
    """Decimal.fromLogical: the unscaled value's big-endian two's complement, as short as
    Java's BigInteger.toByteArray."""
    unscaled = value.scaleb(scale, EXACT)
    if unscaled != unscaled.to_integral_value():
        raise DataError(f"Decimal {value} has more digits after the point than scale {scale}")
    n = int(unscaled)
    bits = (n if n >= 0 else ~n).bit_length()
    return n.to_bytes(bits // 8 + 1, "big", signed=True)


def from_unscaled(data: bytes, scale: int) -> Decimal:
    return Decimal(int.from_bytes(data, "big", signed=True)).scaleb(-scale, EXACT)


# ----------------------------------------------------------------------------- to JSON


def to_json(schema: Schema | None, value: Any, numeric: bool = False, entries: bool = False) -> Any:
    """The JSON tree of a Connect value (`numeric`: decimals as JSON numbers; `entries`: maps
    without string keys as arrays of {"key": k, "value": v} objects, as JsonSchemaConverter
    writes them)."""
    if schema is None:
        return _inferred(value)
    if value is None:
        if schema.default is not None:
            return to_json(schema, schema.default, numeric, entries)
        if schema.optional:
            return None
        raise DataError(
            "Conversion error: null value for field that is required and has no default value"
        )
    if schema.name == api.DECIMAL:
        if not isinstance(value, Decimal | int):
            raise _mismatch(schema, value)
        if numeric:
            return orjson.Fragment(format(Decimal(value), "f"))
        raw = unscaled_bytes(Decimal(value), decimal_scale(schema))
        return base64.b64encode(raw).decode("ascii")
    if schema.name in (api.DATE, api.TIME, api.TIMESTAMP):
        return _time_number(schema, value)
    match schema.type:
        case api.INT8 | api.INT16 | api.INT32 | api.INT64:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
        case api.FLOAT32 | api.FLOAT64:
            if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                return float(value)
        case api.BOOLEAN | api.STRING:
            if isinstance(value, bool if schema.type == api.BOOLEAN else str):
                return value
        case api.BYTES:
            if isinstance(value, bytes | bytearray | memoryview):
                return base64.b64encode(value).decode("ascii")
        case api.ARRAY:
            if isinstance(value, list | tuple):
                assert schema.value_schema is not None
                return [to_json(schema.value_schema, v, numeric, entries) for v in value]
        case api.MAP:
            if isinstance(value, dict):
                return _map_to_json(schema, value, numeric, entries)
        case api.STRUCT:
            if isinstance(value, dict):
                return {
                    f.name: to_json(f.schema, value.get(f.name), numeric, entries)
                    for f in schema.fields
                }
    raise _mismatch(schema, value)


def _time_number(schema: Schema, value: Any) -> int:
    if schema.name == api.TIMESTAMP and isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return (aware - _EPOCH) // _MS
    if schema.name == api.DATE and isinstance(value, dt.date):
        if isinstance(value, dt.datetime):
            value = value.date()
        return (value - _EPOCH_DATE).days
    if schema.name == api.TIME and isinstance(value, dt.time):
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + (
            value.microsecond // 1000
        )
    raise _mismatch(schema, value)


def _map_to_json(schema: Schema, value: dict[Any, Any], numeric: bool, entries: bool) -> Any:
    assert schema.key_schema is not None and schema.value_schema is not None
    keys, values = schema.key_schema, schema.value_schema
    if keys.type == api.STRING:
        return {k: to_json(values, v, numeric, entries) for k, v in value.items()}
    pairs = [
        (to_json(keys, k, numeric, entries), to_json(values, v, numeric, entries))
        for k, v in value.items()
    ]
    if entries:
        return [{"key": k, "value": v} for k, v in pairs]
    return [[k, v] for k, v in pairs]


def _inferred(value: Any) -> Any:
    """A schemaless value's JSON tree (times stay objects: orjson writes them as ISO-8601)."""
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: _inferred(v) for k, v in value.items()}
        return [[_inferred(k), _inferred(v)] for k, v in value.items()]
    if isinstance(value, list | tuple):
        return [_inferred(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Decimal):
        return orjson.Fragment(format(value, "f"))
    return value


def as_text(value: Any) -> str:
    """A value as a line of text: strings as they are, bytes as UTF-8, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return dumps(_inferred(value)).decode()


def dumps(tree: Any) -> bytes:
    try:
        return orjson.dumps(tree)
    except TypeError as error:
        raise DataError(f"Cannot write JSON: {error}") from None


# ----------------------------------------------------------------------------- from JSON


def parse(data: bytes | str, exact: bool = False) -> Any:
    """The JSON tree of `data`; with `exact`, numbers with a fraction are Decimals."""
    try:
        if exact:
            return json.loads(data, parse_float=Decimal)
        return orjson.loads(data)
    except ValueError as error:
        raise DataError(
            f"Converting byte[] to Kafka Connect data failed due to serialization error: {error}"
        ) from None


def from_json(schema: Schema | None, tree: Any) -> Any:
    """The Connect value of a JSON tree read with `schema` (None: as it is)."""
    if schema is None:
        return tree
    if tree is None:
        if schema.default is not None:
            return schema.default
        if schema.optional:
            return None
        raise DataError(f"Invalid null value for required {schema.type.upper()} field")
    if schema.name is not None and schema.name in _LOGICAL_READERS:
        return _LOGICAL_READERS[schema.name](schema, tree)
    match schema.type:
        case api.INT8 | api.INT16 | api.INT32 | api.INT64:
            if isinstance(tree, int) and not isinstance(tree, bool):
                return tree
        case api.FLOAT32 | api.FLOAT64:
            if isinstance(tree, int | float | Decimal) and not isinstance(tree, bool):
                return float(tree)
        case api.BOOLEAN | api.STRING:
            if isinstance(tree, bool if schema.type == api.BOOLEAN else str):
                return tree
        case api.BYTES:
            if isinstance(tree, str):
                return _base64(tree)
        case api.ARRAY:
            if isinstance(tree, list):
                return [from_json(schema.value_schema, v) for v in tree]
        case api.MAP:
            return _map_from_json(schema, tree)
        case api.STRUCT:
            if isinstance(tree, dict):
                return {f.name: from_json(f.schema, tree.get(f.name)) for f in schema.fields}
            raise DataError(f"Structs should be encoded as JSON objects, but found {_name(tree)}")
    raise _mismatch(schema, tree)


def _base64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error:
        raise DataError(f"Invalid base64 bytes: {text[:40]!r}") from None


def _map_from_json(schema: Schema, tree: Any) -> dict[Any, Any]:
    """A map from an object (string keys), or from [key, value] pairs or {"key", "value"}
    entries."""
    keys, values = schema.key_schema, schema.value_schema
    if isinstance(tree, dict) and keys is not None and keys.type == api.STRING:
        return {k: from_json(values, v) for k, v in tree.items()}
    out: dict[Any, Any] = {}
    for entry in tree if isinstance(tree, list) else [None]:
        pair = _pair(entry)
        if pair is None:
            raise DataError(
                "Maps with string fields should be encoded as JSON objects, others as arrays "
                f"of [key, value] pairs, but found {_name(tree)}"
            )
        try:
            out[from_json(keys, pair[0])] = from_json(values, pair[1])
        except TypeError:
            raise DataError("Map keys must be hashable values") from None
    return out


def _pair(entry: Any) -> tuple[Any, Any] | None:
    if isinstance(entry, list) and len(entry) == 2:
        return entry[0], entry[1]
    if isinstance(entry, dict) and entry.keys() == {"key", "value"}:
        return entry["key"], entry["value"]
    return None


def _read_decimal(schema: Schema, tree: Any) -> Decimal:
    if isinstance(tree, int | Decimal) and not isinstance(tree, bool):
        return Decimal(tree)
    if isinstance(tree, float):
        return Decimal(repr(tree))
    if isinstance(tree, str):
        try:
            return from_unscaled(_base64(tree), decimal_scale(schema))
        except InvalidOperation:
            pass
    raise _mismatch(schema, tree)


def _whole(schema: Schema, tree: Any) -> int:
    if isinstance(tree, int) and not isinstance(tree, bool):
        return tree
    raise _mismatch(schema, tree)


def _time_of_day(schema: Schema, ms: int) -> dt.time:
    if not 0 <= ms < 86_400_000:
        raise DataError(f"Time of day out of range: {ms} ms")
    return (dt.datetime.min + dt.timedelta(milliseconds=ms)).time()


_LOGICAL_READERS = {
    api.DECIMAL: _read_decimal,
    api.DATE: lambda s, t: _EPOCH_DATE + dt.timedelta(days=_whole(s, t)),
    api.TIME: lambda s, t: _time_of_day(s, _whole(s, t)),
    api.TIMESTAMP: lambda s, t: _EPOCH + dt.timedelta(milliseconds=_whole(s, t)),
}
