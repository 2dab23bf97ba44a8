"""ValueToKey: replaces the record key with a struct (or map) of fields of its value."""

from __future__ import annotations

from collections.abc import Mapping

from ksql.connect import api
from ksql.connect.api import ConnectRecord, DataError
from ksql.connect.config import LIST, REQUIRED, ConfigDef, ConfigKey
from ksql.connect.transforms.base import non_empty, require_map, require_struct

PURPOSE = "copying fields from value to key"

CONFIG = ConfigDef([
    ConfigKey("fields", LIST, REQUIRED, "Field names on the record value to extract as the key.",
              valid=non_empty),
])  # fmt: skip


class ValueToKey(api.Transformation):
    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        self.fields: list[str] = CONFIG.parse(config)["fields"]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        schema = record.value_schema
        if schema is None:
            value = require_map(record.value, PURPOSE)
            return record.replace(key={f: value.get(f) for f in self.fields}, key_schema=None)
        struct = require_struct(schema, record.value, PURPOSE)
        fields = []
        for name in self.fields:
            found = schema.field(name)
            if found is None:
                raise DataError(f"Field does not exist: {name}")
            fields.append((name, found.schema))
        key = {name: struct.get(name) for name in self.fields}
        return record.replace(key=key, key_schema=api.struct_schema(fields))
