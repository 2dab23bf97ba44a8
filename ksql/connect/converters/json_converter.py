"""Kafka's JsonConverter: Connect values as JSON. With `schemas.enable` (the default) each
record is an envelope `{"schema": ..., "payload": ...}` carrying its Connect schema (see
connect_schema); without it, plain JSON read without a schema. `decimal.format` writes
decimals as base64 (BASE64, the default) or as JSON numbers (NUMERIC); both are read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ksql.connect import api
from ksql.connect.api import DataError, Schema
from ksql.connect.config import BOOLEAN, INT, ConfigDef, ConfigKey
from ksql.connect.converters.connect_schema import schema_from_json, schema_to_json
from ksql.connect.converters.json_values import dumps, from_json, parse, to_json

CONFIG = ConfigDef([
    ConfigKey("schemas.enable", BOOLEAN, True,
              "Include schemas within each of the serialized values and keys."),
    ConfigKey("schemas.cache.size", INT, 1000, "The maximum number of schemas kept written."),
    ConfigKey("decimal.format", default="BASE64", valid=("BASE64", "NUMERIC"),
              doc="How decimals are written: BASE64 (binary) or NUMERIC (JSON numbers)."),
])  # fmt: skip

_DECIMAL_MARK = api.DECIMAL.encode()
_ENVELOPE = (
    'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not '
    "contain additional fields. If you are trying to deserialize plain JSON data, set "
    "schemas.enable=false in your converter configuration."
)


class JsonConverter(api.Converter):
    def configure(self, config: Mapping[str, str], is_key: bool, registry: Any = None) -> None:
        super().configure(config, is_key, registry)
        settings = CONFIG.parse(config)
        self.schemas_enable: bool = settings["schemas.enable"]
        self.numeric = settings["decimal.format"].upper() == "NUMERIC"
        self.cache_size: int = settings["schemas.cache.size"]
        # id(schema) -> (the schema, kept so that its id stays its own; its JSON form)
        self._written: dict[int, tuple[Schema, dict[str, Any]]] = {}

    def _schema_json(self, schema: Schema) -> dict[str, Any]:
        found = self._written.get(id(schema))
        if found is None:
            if len(self._written) >= self.cache_size:
                self._written.clear()
            found = self._written[id(schema)] = (schema, schema_to_json(schema))
        return found[1]

    def from_connect(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if schema is None and value is None:
            return None
        payload = to_json(schema, value, self.numeric)
        if not self.schemas_enable:
            return dumps(payload)
        envelope = None if schema is None else self._schema_json(schema)
        return dumps({"schema": envelope, "payload": payload})

    def to_connect(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        if data is None:
            return None, None
        data = bytes(data)
        if not self.schemas_enable:
            return None, parse(data)
        tree = parse(data, exact=_DECIMAL_MARK in data)
        if not isinstance(tree, dict) or tree.keys() != {"schema", "payload"}:
            raise DataError(_ENVELOPE)
        schema = None if tree["schema"] is None else schema_from_json(tree["schema"])
        return schema, from_json(schema, tree["payload"])
