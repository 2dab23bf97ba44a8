"""Confluent's ExtractTopic: the record's topic becomes its key or value (a string or number),
or one `field` of its key or value struct (or map). A missing or null name fails the record,
or keeps its topic with `skip.missing.or.null`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ksql.connect import api
from ksql.connect.api import ConnectRecord, DataError
from ksql.connect.config import BOOLEAN, ConfigDef, ConfigKey
from ksql.connect.transforms.base import require_map, require_struct, type_name

PURPOSE = "topic extraction"

CONFIG = ConfigDef([
    ConfigKey("field", default="", doc="The field holding the topic name; empty: the whole "
              "key or value."),
    ConfigKey("skip.missing.or.null", BOOLEAN, False,
              "Leave the record's topic when the name is missing or null instead of failing."),
])  # fmt: skip


class ExtractTopic(api.Transformation):
    is_key: ClassVar[bool] = False

    def configure(self, config: Mapping[str, str]) -> None:
        super().configure(config)
        settings = CONFIG.parse(config)
        self.field: str = settings["field"]
        self.skip: bool = settings["skip.missing.or.null"]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        schema = record.key_schema if self.is_key else record.value_schema
        value = record.key if self.is_key else record.value
        name = self._name(schema, value)
        if name is None:
            if self.skip:
                return record
            where = f"field '{self.field}' of the " if self.field else ""
            part = "key" if self.is_key else "value"
            raise DataError(
                f"Unable to extract the topic name: the {where}{part} is missing or null"
            )
        if isinstance(name, dict | list | bytes):
            raise DataError(f"A topic name must be a string, found: {type_name(name)}")
        if isinstance(name, bool):
            name = "true" if name else "false"
        return record.replace(topic=str(name))

    def _name(self, schema: api.Schema | None, value: Any) -> Any:
        if not self.field or value is None:
            return value
        if schema is None:
            return require_map(value, PURPOSE).get(self.field)
        return require_struct(schema, value, PURPOSE).get(self.field)


class ExtractTopicKey(ExtractTopic):
    is_key = True


class ExtractTopicValue(ExtractTopic):
    is_key = False
