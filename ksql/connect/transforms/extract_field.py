"""ExtractField and HoistField, inverses of each other: ExtractField replaces a key or value
struct (or map) with one of its fields; HoistField wraps a key or value in a struct (or map)
of one field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ksql.connect import api
from ksql.connect.api import ConnectRecord, DataError, Schema
from ksql.connect.config import REQUIRED, ConfigDef, ConfigKey
from ksql.connect.transforms.base import KeyOrValueTransform, require_map, require_struct

PURPOSE = "field extraction"

CONFIG = ConfigDef([ConfigKey("field", default=REQUIRED, doc="The field name.")])


class ExtractField(KeyOrValueTransform):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        self.field: str = CONFIG.parse(config)["field"]

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        if schema is None:
            if value is None:
                return None, None
            return None, require_map(value, PURPOSE).get(self.field)
        if value is not None or schema.type != api.STRUCT:
            require_struct(schema, value, PURPOSE)
        found = schema.field(self.field)
        if found is None:
            raise DataError(f"Unknown field: {self.field}")
        return found.schema, None if value is None else value.get(self.field)


class ExtractFieldKey(ExtractField):
    is_key = True


class ExtractFieldValue(ExtractField):
    is_key = False


class HoistField(KeyOrValueTransform):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        self.field: str = CONFIG.parse(config)["field"]

    def transform(
        self, record: ConnectRecord, schema: Schema | None, value: Any
    ) -> tuple[Schema | None, Any]:
        if schema is None:
            return None, {self.field: value}
        return api.struct_schema([(self.field, schema)]), {self.field: value}


class HoistFieldKey(HoistField):
    is_key = True


class HoistFieldValue(HoistField):
    is_key = False
