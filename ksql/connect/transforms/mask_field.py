"""MaskField: replaces fields of a key or value struct (or map) with the empty value of their
type (0, false, "", empty bytes, list or map, the epoch), or with `replacement` converted to
the field's type (numbers and strings only). Null fields stay null."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from ksql.connect import api
from ksql.connect.api import ConnectRecord, DataError, Schema
from ksql.connect.config import LIST, REQUIRED, ConfigDef, ConfigKey
from ksql.connect.transforms.base import (
    KeyOrValueTransform,
    non_empty,
    require_map,
    require_struct,
    type_name,
)

PURPOSE = "mask fields"


def _non_empty_string(value: str) -> None:
    if value == "":
        raise ValueError("String may not be empty")


CONFIG = ConfigDef([
    ConfigKey("fields", LIST, REQUIRED, "Names of fields to mask.", valid=non_empty),
    ConfigKey("replacement", default=None, valid=_non_empty_string,
              doc="Custom value replacement applied to all fields (numeric or string)."),
])  # fmt: skip

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _empty(value: Any) -> Any:
    if isinstance(value, bool):
        return False
    if isinstance(value, dt.datetime):
        return _EPOCH
    if isinstance(value, dt.date):
        return _EPOCH.date()
    if isinstance(value, dt.time):
        return dt.time(0)
    for kind in (int, float, Decimal, str, bytes, list, dict):
        if isinstance(value, kind):
            return kind()
    raise DataError(f"Cannot mask value of type: {type_name(value)}")


def _replaced(value: Any, replacement: str) -> Any:
    kind = None if isinstance(value, bool) else type(value)
    if kind is str:
        return replacement
    if kind not in (int, float, Decimal):
        raise DataError(f"Cannot mask value of type {type_name(value)} with custom replacement.")
    try:
        return kind(replacement)
    except (ValueError, InvalidOperation):
        raise DataError(f"Unable to convert {replacement} (str) to number") from None


class MaskField(KeyOrValueTransform):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        settings = CONFIG.parse(config)
        self.fields = set(settings["fields"])
        self.replacement: str | None = settings["replacement"]

    def _masked(self, value: Any) -> Any:
        if value is None:
            return None
        if self.replacement is None:
            return _empty(value)
        return _replaced(value, self.replacement)

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        if value is None:
            return schema, None
        if schema is None:
            source = require_map(value, PURPOSE)
            return None, {k: self._masked(v) if k in self.fields else v for k, v in source.items()}
        struct = require_struct(schema, value, PURPOSE)
        out = dict(struct)
        for f in schema.fields:
            if f.name in self.fields:
                if f.schema.type == api.STRUCT and struct.get(f.name) is not None:
                    raise DataError(f"Cannot mask value of type: STRUCT (field {f.name})")
                out[f.name] = self._masked(struct.get(f.name))
        return schema, out


class MaskFieldKey(MaskField):
    is_key = True


class MaskFieldValue(MaskField):
    is_key = False
