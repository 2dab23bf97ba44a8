"""Flatten: nested structs (or maps) of a key or value become top-level fields named by their
path joined with `delimiter` (`a.b`). Arrays and maps inside a struct are kept as they are; a
field under an optional struct becomes optional, and a null struct gives null fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ksql.connect import api
from ksql.connect.api import ConnectRecord, DataError, Schema
from ksql.connect.config import ConfigDef, ConfigKey
from ksql.connect.transforms.base import (
    KeyOrValueTransform,
    optional,
    require_map,
    require_struct,
    with_fields,
)

PURPOSE = "flattening"

CONFIG = ConfigDef([
    ConfigKey("delimiter", default=".",
              doc="Delimiter between field names of the input record in the output's names."),
])  # fmt: skip


class Flatten(KeyOrValueTransform):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        self.delimiter: str = CONFIG.parse(config)["delimiter"]

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        if value is None:
            return schema, None
        if schema is None:
            out: dict[str, Any] = {}
            self._flatten_map(require_map(value, PURPOSE), "", out)
            return None, out
        struct = require_struct(schema, value, PURPOSE)
        fields: list[tuple[str, Schema]] = []
        values: dict[str, Any] = {}
        self._flatten_struct(schema, struct, "", False, fields, values)
        return with_fields(schema, fields), values

    def _name(self, prefix: str, name: str) -> str:
        return f"{prefix}{self.delimiter}{name}" if prefix else name

    def _flatten_map(self, value: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
        for key, item in value.items():
            name = self._name(prefix, str(key))
            if isinstance(item, dict):
                self._flatten_map(item, name, out)
            else:
                out[name] = item

    def _flatten_struct(
        self,
        schema: Schema,
        struct: dict[str, Any] | None,
        prefix: str,
        parent_optional: bool,
        fields: list[tuple[str, Schema]],
        values: dict[str, Any],
    ) -> None:
        for f in schema.fields:
            name = self._name(prefix, f.name)
            item = None if struct is None else struct.get(f.name)
            if f.schema.type == api.STRUCT:
                inner_optional = parent_optional or f.schema.optional
                self._flatten_struct(f.schema, item, name, inner_optional, fields, values)
                continue
            if name in values:
                raise DataError(f"Flattening gives the field name {name} twice")
            fields.append((name, optional(f.schema) if parent_optional else f.schema))
            values[name] = item


class FlattenKey(Flatten):
    is_key = True


class FlattenValue(Flatten):
    is_key = False
