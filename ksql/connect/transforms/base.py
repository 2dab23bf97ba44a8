"""What the transforms share: a base for the `$Key` / `$Value` pairs, Kafka's checks that a
value is a struct (with a schema) or a map (without one), and building STRUCT schemas."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ksql.connect import api
from ksql.connect.api import ConnectRecord, DataError, Schema


class KeyOrValueTransform(api.Transformation):
    """A transform of a record's key (the `$Key` class) or value (the `$Value` class).

    Subclasses parse their configuration in `configure` and implement `transform`, which gets
    the record and the key's or value's schema and value and returns the new ones."""

    is_key: ClassVar[bool] = False

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        if self.is_key:
            schema, value = self.transform(record, record.key_schema, record.key)
            return record.replace(key=value, key_schema=schema)
        schema, value = self.transform(record, record.value_schema, record.value)
        return record.replace(value=value, value_schema=schema)

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        raise NotImplementedError


def type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def require_struct(schema: Schema, value: Any, purpose: str) -> dict[str, Any]:
    """`value` as a struct's dict; DataError (Kafka's wording) when it is not one."""
    if schema.type != api.STRUCT or not isinstance(value, dict):
        found = schema.type.upper() if schema.type != api.STRUCT else type_name(value)
        raise DataError(f"Only Struct objects supported for [{purpose}], found: {found}")
    return value


def require_map(value: Any, purpose: str) -> dict[str, Any]:
    """`value` as a schemaless map; DataError (Kafka's wording) when it is not one."""
    if not isinstance(value, dict):
        raise DataError(
            f"Only Map objects supported in absence of schema for [{purpose}], "
            f"found: {type_name(value)}"
        )
    return value


def require_schema(schema: Schema | None, purpose: str) -> Schema:
    if schema is None:
        raise DataError(f"Schema required for [{purpose}]")
    return schema


def with_fields(schema: Schema, fields: Sequence[tuple[str, Schema]]) -> Schema:
    """`schema` (a STRUCT: its name, version, doc, optionality kept) with other fields."""
    return schema.replace(
        fields=tuple(api.Field(name, s, i) for i, (name, s) in enumerate(fields)), default=None
    )


def optional(schema: Schema) -> Schema:
    return schema if schema.optional else schema.replace(optional=True)


def non_empty(value: Any) -> None:
    """A ConfigDef validator: a LIST with at least one entry."""
    if not value:
        raise ValueError("Empty list")
