"""TimestampConverter: converts a timestamp (the whole key or value, or its `field`) between
text in a SimpleDateFormat `format`, a Unix epoch number in `unix.precision`, and Connect's
Date, Time and Timestamp types (`target.type`). Times are in UTC; the input's kind comes from
its schema, or from its Python type without one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ksql.connect import api
from ksql.connect.api import ConfigError, ConnectRecord, DataError, Schema
from ksql.connect.config import REQUIRED, ConfigDef, ConfigKey
from ksql.connect.transforms.base import (
    KeyOrValueTransform,
    require_map,
    require_struct,
    type_name,
)
from ksql.connect.transforms.java_dates import JavaDateFormat

PURPOSE = "converting timestamp formats"

KINDS = {
    "string": "string",
    "unix": "unix",
    "date": "Date",
    "time": "Time",
    "timestamp": "Timestamp",
}
# Units per second of each unix.precision.
PRECISIONS = {"seconds": 1, "milliseconds": 1000, "microseconds": 10**6, "nanoseconds": 10**9}

CONFIG = ConfigDef([
    ConfigKey("field", default="",
              doc="The field containing the timestamp, or empty if the entire value is one."),
    ConfigKey("target.type", default=REQUIRED, valid=tuple(KINDS.values()),
              doc="The desired timestamp representation: string, unix, Date, Time, Timestamp."),
    ConfigKey("format", default="",
              doc="A SimpleDateFormat pattern for a string input or output."),
    ConfigKey("unix.precision", default="milliseconds", valid=tuple(PRECISIONS),
              doc="The precision of a unix timestamp: seconds, milliseconds, microseconds, "
                  "nanoseconds."),
])  # fmt: skip

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_SCHEMAS = {
    "string": Schema(api.STRING),
    "unix": Schema(api.INT64),
    "Date": Schema(api.INT32, name=api.DATE, version=1),
    "Time": Schema(api.INT32, name=api.TIME, version=1),
    "Timestamp": Schema(api.INT64, name=api.TIMESTAMP, version=1),
}
_LOGICAL = {api.DATE: "Date", api.TIME: "Time", api.TIMESTAMP: "Timestamp"}
_FORMAT_NEEDED = "TimestampConverter requires format option to be specified when using string "
_FORMAT_NEEDED += "timestamps"


class TimestampConverter(KeyOrValueTransform):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        settings = CONFIG.parse(config)
        self.field: str = settings["field"]
        self.target: str = KINDS[settings["target.type"].lower()]
        self.per_second = PRECISIONS[settings["unix.precision"].lower()]
        self.format: JavaDateFormat | None = None
        if settings["format"]:
            try:
                self.format = JavaDateFormat(settings["format"])
            except ValueError as error:
                raise ConfigError(
                    "TimestampConverter requires a SimpleDateFormat-compatible pattern for "
                    f"string timestamps: {settings['format']} ({error})"
                ) from None
        if self.target == "string" and self.format is None:
            raise ConfigError(_FORMAT_NEEDED)

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        if not self.field:
            if schema is None:
                return None, self._convert(value, None)
            return self._schema(schema), self._convert(value, _kind_of_schema(schema))
        if schema is None:
            if value is None:
                return None, None
            out = dict(require_map(value, PURPOSE))
            if self.field in out:
                out[self.field] = self._convert(out[self.field], None)
            return None, out
        found = schema.field(self.field) if schema.type == api.STRUCT else None
        if found is None:
            raise DataError(f"Unknown field: {self.field} (in a {schema.type.upper()} schema)")
        fields = tuple(
            api.Field(f.name, self._schema(f.schema), f.index) if f is found else f
            for f in schema.fields
        )
        if value is None:  # a null struct: its schema changes all the same
            return schema.replace(fields=fields), None
        out = dict(require_struct(schema, value, PURPOSE))
        out[self.field] = self._convert(out.get(self.field), _kind_of_schema(found.schema))
        return schema.replace(fields=fields), out

    def _schema(self, schema: Schema) -> Schema:
        return _SCHEMAS[self.target].replace(optional=schema.optional)

    def _convert(self, value: Any, kind: str | None) -> Any:
        if value is None:
            return None
        return self._to_target(self._instant(value, kind or _kind_of_value(value)))

    def _instant(self, value: Any, kind: str) -> dt.datetime:
        """The UTC instant of `value` of the given kind."""
        if kind == "string":
            if self.format is None:
                raise DataError(_FORMAT_NEEDED)
            try:
                return self.format.parse(value)
            except ValueError:
                raise DataError(
                    f"Could not parse timestamp: value ({value}) does not match pattern "
                    f"({self.format.pattern})"
                ) from None
        if isinstance(value, int) and not isinstance(value, bool):
            if kind == "Date":  # days, as a Date's number
                return _EPOCH + dt.timedelta(days=value)
            per_second = self.per_second if kind == "unix" else 1000
            return _EPOCH + dt.timedelta(microseconds=value * 10**6 // per_second)
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        if isinstance(value, dt.time):
            return dt.datetime.combine(_EPOCH.date(), value.replace(tzinfo=None), dt.UTC)
        raise DataError(f"Expected a {kind} timestamp, found: {type_name(value)}")

    def _to_target(self, instant: dt.datetime) -> Any:
        match self.target:
            case "string":
                assert self.format is not None
                return self.format.format(instant)
            case "unix":
                micros = (instant - _EPOCH) // dt.timedelta(microseconds=1)
                return micros * self.per_second // 10**6
            case "Date":
                return instant.date()
            case "Time":
                return instant.time()
        return instant


def _kind_of_schema(schema: Schema) -> str:
    if schema.name in _LOGICAL:
        return _LOGICAL[schema.name]
    if schema.type == api.STRING:
        return "string"
    if schema.type == api.INT64:
        return "unix"
    raise DataError(
        f"Schema {schema.name or schema.type} does not correspond to a known timestamp type format"
    )


def _kind_of_value(value: Any) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, int) and not isinstance(value, bool):
        return "unix"
    if isinstance(value, dt.date | dt.time):
        return "Timestamp"
    raise DataError(f"TimestampConverter does not support {type_name(value)} objects as timestamps")


class TimestampConverterKey(TimestampConverter):
    is_key = True


class TimestampConverterValue(TimestampConverter):
    is_key = False
