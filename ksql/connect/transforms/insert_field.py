"""InsertField: adds the record's topic, partition, offset, timestamp or a constant as fields of
its key or value struct (or map). A field name ending in `!` makes the field required, one
ending in `?` (or neither) optional."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ksql.connect import api
from ksql.connect.api import ConnectRecord, DataError, Schema
from ksql.connect.config import ConfigDef, ConfigKey
from ksql.connect.transforms.base import (
    KeyOrValueTransform,
    require_map,
    require_struct,
    with_fields,
)

PURPOSE = "field insertion"

CONFIG = ConfigDef([
    ConfigKey("topic.field", doc="Field name for the Kafka topic."),
    ConfigKey("partition.field", doc="Field name for the Kafka partition."),
    ConfigKey("offset.field", doc="Field name for the Kafka offset (sink connectors only)."),
    ConfigKey("timestamp.field", doc="Field name for the record timestamp."),
    ConfigKey("static.field", doc="Field name for a static data field."),
    ConfigKey("static.value", doc="The static field's value."),
])  # fmt: skip

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class _Insert:
    name: str
    optional: bool
    type: str
    logical: str | None
    # (record, with a schema) -> the field's value
    value: Callable[[ConnectRecord, bool], Any]

    def schema(self) -> Schema:
        return Schema(self.type, optional=self.optional, name=self.logical)


def _offset(record: ConnectRecord, _: bool) -> Any:
    if not isinstance(record, api.SinkRecord):
        raise DataError(
            f"Only SinkRecord supported for [{PURPOSE}], found: {type(record).__name__}"
        )
    return record.offset


def _timestamp(record: ConnectRecord, with_schema: bool) -> Any:
    if record.timestamp is None or not with_schema:
        return record.timestamp
    return _EPOCH + dt.timedelta(milliseconds=record.timestamp)


class InsertField(KeyOrValueTransform):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        settings = CONFIG.parse(config)
        static = settings["static.value"]
        sources: list[tuple[str, str, str | None, Callable[[ConnectRecord, bool], Any]]] = [
            ("topic.field", api.STRING, None, lambda r, _: r.topic),
            ("partition.field", api.INT32, None, lambda r, _: r.partition),
            ("offset.field", api.INT64, None, _offset),
            ("timestamp.field", api.INT64, api.TIMESTAMP, _timestamp),
            ("static.field", api.STRING, None, lambda r, _: static),
        ]
        self.inserts = []
        for key, type_, logical, value in sources:
            spec = settings[key]
            if spec:
                name, required = spec.rstrip("!?"), spec.endswith("!")
                self.inserts.append(_Insert(name, not required, type_, logical, value))

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        if value is None:  # a tombstone stays one
            return schema, value
        if schema is None:
            out = dict(require_map(value, PURPOSE))
            for insert in self.inserts:
                out[insert.name] = insert.value(record, False)
            return None, out
        out = dict(require_struct(schema, value, PURPOSE))
        fields = [(f.name, f.schema) for f in schema.fields]
        for insert in self.inserts:
            if insert.name in out or schema.field(insert.name) is not None:
                raise DataError(
                    f"Cannot create field because of field name duplication {insert.name}"
                )
            found = insert.value(record, True)
            if found is None and not insert.optional:
                raise DataError(f"Invalid value: null used for required field: {insert.name}")
            fields.append((insert.name, insert.schema()))
            out[insert.name] = found
        return with_fields(schema, fields), out


class InsertFieldKey(InsertField):
    is_key = True


class InsertFieldValue(InsertField):
    is_key = False
