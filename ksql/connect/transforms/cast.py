"""Cast: casts fields of a key or value struct (or map), or the whole key or value, to another
primitive type. `spec` is `field:type,...` or a single `type` for the whole value; the types are
int8, int16, int32, int64, float32, float64, boolean and string.

Casts follow Java's: integers narrow by wrapping around, floats truncate towards zero, numbers
are true when not zero, strings parse (`Boolean.parseBoolean`: only "true" is true), bytes
become base64 text, and Date / Time / Timestamp values become ISO-8601 text or their number
(days, milliseconds of the day, milliseconds since the epoch)."""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectRecord, DataError, Schema
from ksql.connect.config import LIST, REQUIRED, ConfigDef, ConfigKey
from ksql.connect.transforms.base import KeyOrValueTransform, require_map, require_struct
from ksql.formats.java_text import java_double

PURPOSE = "cast types"

CONFIG = ConfigDef([
    ConfigKey("spec", LIST, REQUIRED, "List of fields and the type to cast them to, "
              "`field1:type,field2:type`, or a single type to cast the whole value to."),
])  # fmt: skip

TYPES = {
    "int8": api.INT8, "int16": api.INT16, "int32": api.INT32, "int64": api.INT64,
    "float32": api.FLOAT32, "float64": api.FLOAT64, "boolean": api.BOOLEAN, "string": api.STRING,
}  # fmt: skip
_BITS = {api.INT8: 8, api.INT16: 16, api.INT32: 32, api.INT64: 64}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)


def parse_spec(spec: list[str]) -> tuple[str | None, dict[str, str]]:
    """(the type to cast the whole value to, or None; field -> type)."""
    text = ",".join(spec)
    if not spec:
        raise ConfigError(
            f"Invalid value {text} for configuration spec: Must specify at least one field to cast."
        )
    whole, casts = None, {}
    for entry in spec:
        field, sep, type_name = entry.rpartition(":")
        target = TYPES.get(type_name.strip().lower())
        if target is None:
            raise ConfigError(
                f"Invalid value {text} for configuration spec: "
                f"Invalid type found in casting spec: {type_name.strip()}"
            )
        if sep:
            casts[field.strip()] = target
        else:
            whole = target
    if whole is not None and len(spec) > 1:
        raise ConfigError(
            f"Invalid value {text} for configuration spec: Cast transformations that specify a "
            "type to cast the entire value to may only specify a single cast in their spec"
        )
    return whole, casts


def cast_value(value: Any, target: str) -> Any:
    """`value` (any primitive Connect value) cast to the Connect type `target`."""
    if value is None:
        return None
    if isinstance(value, dict | list):
        kind = "MAP" if isinstance(value, dict) else "ARRAY"
        raise DataError(f"Cast transformation does not support casting to/from {kind}")
    if target == api.STRING:
        return _text(value)
    if isinstance(value, dt.date | dt.time):
        value = _number_of(value)
    if isinstance(value, bytes):
        raise DataError(f"Cast transformation cannot cast bytes to {target}")
    try:
        if target in _BITS:
            return _integer(value, _BITS[target])
        if target == api.BOOLEAN:
            return value.lower() == "true" if isinstance(value, str) else bool(value)
        return float(value)
    except (ValueError, ArithmeticError):
        raise DataError(f"Cast transformation could not cast {value!r} to {target}") from None


def _integer(value: Any, bits: int) -> int:
    if isinstance(value, str):
        number = int(value)
        if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
            raise ValueError(f"{value} out of range")
        return number
    if isinstance(value, float):
        if math.isnan(value):
            return 0
        value = max(min(value, 2.0**63 - 1), -(2.0**63))
    half = 2 ** (bits - 1)
    return (int(value) + half) % (2 * half) - half


def _number_of(value: dt.date | dt.time) -> int:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return (aware - _EPOCH) // dt.timedelta(milliseconds=1)
    if isinstance(value, dt.date):
        return (value - _EPOCH_DATE).days
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.datetime):
        aware = value.astimezone(dt.UTC) if value.tzinfo else value
        return aware.strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware.microsecond // 1000:03d}Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)  # ints, and decimals as BigDecimal.toString writes them


def _cast_schema(schema: Schema, target: str) -> Schema:
    if schema.type not in api.PRIMITIVES:
        raise DataError(
            f"Cast transformation does not support casting to/from {schema.type.upper()}"
        )
    return Schema(target, optional=schema.optional, default=cast_value(schema.default, target))


class Cast(KeyOrValueTransform):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        self.whole, self.casts = parse_spec(CONFIG.parse(config)["spec"])

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        if self.whole is not None:
            new_schema = None if schema is None else _cast_schema(schema, self.whole)
            return new_schema, cast_value(value, self.whole)
        if value is None:
            return schema, None
        if schema is None:
            source = require_map(value, PURPOSE)
            return None, {
                k: cast_value(v, self.casts[k]) if k in self.casts else v for k, v in source.items()
            }
        struct = require_struct(schema, value, PURPOSE)
        fields, out = [], {}
        for f in schema.fields:
            target = self.casts.get(f.name)
            if target is None:
                fields.append(f)
                out[f.name] = struct.get(f.name)
            else:
                fields.append(api.Field(f.name, _cast_schema(f.schema, target), f.index))
                out[f.name] = cast_value(struct.get(f.name), target)
        return schema.replace(fields=tuple(fields)), out


class CastKey(Cast):
    is_key = True


class CastValue(Cast):
    is_key = False
