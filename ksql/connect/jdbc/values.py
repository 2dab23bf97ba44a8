"""Values to the Python form of a Connect schema, a column at a time.

A source turns what a driver returns into Connect values; a sink turns record fields (typed by
a schema, or schemaless JSON) into the values its table's columns take. Both go through one
`Converter` per column: values already of the schema's Python type pass through untouched (one
C-level pass over the column decides that), the others are converted one by one, and those that
cannot be are returned as errors by row index so that one bad value costs one record, not the
batch.

Python forms: INT* int, FLOAT* float, BOOLEAN bool, STRING str, BYTES bytes, Decimal
decimal.Decimal, Date datetime.date, Time datetime.time, Timestamp datetime.datetime in UTC
(timezone-aware), ARRAY list, MAP and STRUCT dict. Integers for the logical types are read as
Connect writes them (days, milliseconds of the day, milliseconds since the epoch); strings as
ISO 8601; a naive datetime as UTC.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any

from ksql.connect import api
from ksql.connect.api import DataError, Schema
from ksql.connect.jdbc import schemas

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DATE = dt.date(1970, 1, 1)
_NONE = type(None)
_TZINFO = attrgetter("tzinfo")
_UTC = {UTC}
_INT_BITS = {api.INT8: 7, api.INT16: 15, api.INT32: 31, api.INT64: 63}
# Errors a conversion of one value may raise.
CONVERSION_ERRORS = (ValueError, TypeError, ArithmeticError, InvalidOperation, binascii.Error)


class Converter:
    """Converts values to the Python form of one schema."""

    def __init__(
        self,
        schema: Schema,
        accept: tuple[type, ...],
        one: Callable[[Any], Any],
        check: Callable[[list[Any]], bool] | None = None,
    ) -> None:
        self.schema = schema
        self.accept = frozenset((*accept, _NONE))
        self.one = one
        self.check = check  # whether values of the accepted types are all as they should be

    def convert(self, value: Any) -> Any:
        """One value; raises DataError when it cannot be converted."""
        if type(value) in self.accept and (self.check is None or self.check([value])):
            return value
        try:
            return self.one(value)
        except CONVERSION_ERRORS as error:
            raise DataError(self._message(value, error)) from None

    def column(self, values: list[Any]) -> tuple[list[Any], dict[int, DataError]]:
        """The converted column and the errors by row index (those rows keep their value)."""
        if set(map(type, values)) <= self.accept and (self.check is None or self.check(values)):
            return values, {}
        out = list(values)
        errors: dict[int, DataError] = {}
        # With a check, an accepted type is not enough: `one` sees every value but None.
        accept, one = (self.accept if self.check is None else {_NONE}), self.one
        for index, value in enumerate(values):
            if type(value) not in accept:
                try:
                    out[index] = one(value)
                except DataError as error:  # from an element or field
                    errors[index] = error
                except CONVERSION_ERRORS as error:
                    errors[index] = DataError(self._message(value, error))
        return out, errors

    def _message(self, value: Any, error: BaseException) -> str:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        return f"cannot convert {shown} to {schemas.label(self.schema)}: {error}"


def converter(schema: Schema) -> Converter:
    """The converter to `schema`'s Python form."""
    match schema.name:
        case api.DECIMAL:
            return Converter(schema, (Decimal,), _to_decimal(schemas.decimal_scale(schema)))
        case api.DATE:
            return Converter(schema, (dt.date,), _to_date)
        case api.TIME:
            return Converter(schema, (dt.time,), _to_time)
        case api.TIMESTAMP:
            return Converter(schema, (dt.datetime,), _to_timestamp, _all_utc)
    match schema.type:
        case api.INT8 | api.INT16 | api.INT32 | api.INT64:
            # In range here: a driver may cut a big number down to the column's bytes.
            bits = _INT_BITS[schema.type]
            low, high = -(1 << bits), (1 << bits) - 1
            return Converter(schema, (int,), _to_int(low, high), _within(low, high))
        case api.FLOAT32 | api.FLOAT64:
            return Converter(schema, (float,), _to_float)
        case api.BOOLEAN:
            return Converter(schema, (bool,), _to_bool)
        case api.STRING:
            return Converter(schema, (str,), _to_string)
        case api.BYTES:
            return Converter(schema, (bytes,), _to_bytes)
        case api.ARRAY:
            element = converter(schema.value_schema or schemas.primitive(api.STRING))
            return Converter(schema, (), _to_list(element))
        case api.MAP:
            values = converter(schema.value_schema or schemas.primitive(api.STRING))
            return Converter(schema, (), _to_map(values))
        case api.STRUCT:
            fields = {f.name: converter(f.schema) for f in schema.fields}
            return Converter(schema, (), _to_struct(fields))
    raise ValueError(f"no converter for schema type {schema.type}")


def _all_utc(values: list[Any]) -> bool:
    """Every datetime among `values` (the others are None) is in UTC already."""
    return set(map(_TZINFO, filter(None, values))) <= _UTC


# ----------------------------------------------------------------------------- one value


def _to_int(low: int, high: int) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        if isinstance(value, bool):
            raise TypeError("a boolean is not a number")
        if isinstance(value, float | Decimal) and value != int(value):
            raise ValueError("it has a fractional part")
        if isinstance(value, str):
            value = value.strip()
        elif not isinstance(value, int | float | Decimal):
            raise TypeError(f"a {type(value).__name__} is not a number")
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"out of range [{low}, {high}]")
        return number

    return convert


def _within(low: int, high: int) -> Callable[[list[Any]], bool]:
    def check(values: list[Any]) -> bool:
        present = list(filter(None, values))  # None and 0 are in range
        return not present or (low <= min(present) and max(present) <= high)

    return check


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise TypeError(f"a {type(value).__name__} is not a number")
    return float(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("expected true or false")


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal | uuid.UUID | dt.date | dt.time):
        return value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, default=_json_default, ensure_ascii=False)
    if isinstance(value, str):
        return str(value)
    raise TypeError(f"a {type(value).__name__} is not text")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


def _to_bytes(value: Any) -> bytes:
    if isinstance(value, bytearray | memoryview | bytes):
        return bytes(value)
    if isinstance(value, str):  # JsonConverter writes bytes as base64
        return base64.b64decode(value, validate=True)
    raise TypeError(f"a {type(value).__name__} is not bytes")


def _to_decimal(scale: int) -> Callable[[Any], Decimal]:
    quantum = Decimal(1).scaleb(-scale)

    def convert(value: Any) -> Decimal:
        if isinstance(value, bool):
            raise TypeError("a boolean is not a number")
        if isinstance(value, float):
            value = repr(value)
        if not isinstance(value, int | str | Decimal):
            raise TypeError(f"a {type(value).__name__} is not a number")
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise ValueError("not a number") from None
        if not number.is_finite():
            raise ValueError("not a finite number")
        try:
            return number.quantize(quantum)
        except InvalidOperation:
            raise ValueError(f"too many digits for scale {scale}") from None

    return convert


def _to_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return _to_timestamp(value).date()
    if isinstance(value, int) and not isinstance(value, bool):
        return EPOCH_DATE + dt.timedelta(days=value)
    if isinstance(value, str):
        text = value.strip()
        return dt.date.fromisoformat(text[:10]) if len(text) > 10 else dt.date.fromisoformat(text)
    raise TypeError(f"a {type(value).__name__} is not a date")


def _to_time(value: Any) -> dt.time:
    if isinstance(value, dt.timedelta):  # how some drivers return a TIME
        value = int(value / dt.timedelta(milliseconds=1))
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < 86_400_000:
            raise ValueError("milliseconds of the day out of range")
        return (dt.datetime.min + dt.timedelta(milliseconds=value)).time()
    if isinstance(value, str):
        return dt.time.fromisoformat(value.strip())
    raise TypeError(f"a {type(value).__name__} is not a time")


def _to_timestamp(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is UTC:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, int) and not isinstance(value, bool):
        return EPOCH + dt.timedelta(milliseconds=value)
    if isinstance(value, str):
        return _to_timestamp(dt.datetime.fromisoformat(value.strip()))
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise TypeError(f"a {type(value).__name__} is not a timestamp")


def _to_list(element: Converter) -> Callable[[Any], list]:
    def convert(value: Any) -> list:
        if not isinstance(value, list | tuple):
            raise TypeError(f"a {type(value).__name__} is not an array")
        return [element.convert(v) for v in value]

    return convert


def _to_map(values: Converter) -> Callable[[Any], dict]:
    def convert(value: Any) -> dict:
        if not isinstance(value, dict):
            raise TypeError(f"a {type(value).__name__} is not a map")
        return {k: values.convert(v) for k, v in value.items()}

    return convert


def _to_struct(fields: dict[str, Converter]) -> Callable[[Any], dict]:
    def convert(value: Any) -> dict:
        if not isinstance(value, dict):
            raise TypeError(f"a {type(value).__name__} is not a struct")
        return {name: c.convert(value.get(name)) for name, c in fields.items()}

    return convert


# ----------------------------------------------------------------------------- offsets


def timestamp_to_offset(value: dt.datetime) -> tuple[int, int]:
    """(milliseconds since the epoch, nanoseconds of the second), as Connect's JDBC source
    stores a timestamp offset."""
    delta = value - EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    return seconds * 1000 + delta.microseconds // 1000, delta.microseconds * 1000


def offset_to_timestamp(milliseconds: int, nanos: int | None) -> dt.datetime:
    seconds = milliseconds // 1000
    micros = nanos // 1000 if nanos is not None else (milliseconds % 1000) * 1000
    return EPOCH + dt.timedelta(seconds=seconds, microseconds=micros)
