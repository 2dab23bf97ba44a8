"""Confluent's JsonSchemaConverter: Connect values as JSON in Confluent's wire format, their
JSON Schema (mapped from the Connect schema by json_schema_data) registered in the schema
registry. Reading uses the writer's schema the record's id names, mapped back to Connect."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ksql.connect.api import DataError, Schema
from ksql.connect.converters.json_schema_data import (
    ConnectSchemaReader,
    has_decimal,
    json_schema_of,
)
from ksql.connect.converters.json_values import dumps, from_json, parse, to_json
from ksql.connect.converters.registry_converter import RegistryConverter


@dataclass(slots=True)
class _Writer:
    schema: Schema
    text: str
    record_name: str | None

    def encode(self, value: Any) -> bytes:
        return dumps(to_json(self.schema, value, numeric=True, entries=True))


@dataclass(slots=True)
class _Reader:
    schema: Schema
    exact: bool

    def decode(self, payload: memoryview) -> tuple[Schema | None, Any]:
        return self.schema, from_json(self.schema, parse(bytes(payload), self.exact))


class JsonSchemaConverter(RegistryConverter):
    schema_type = "JSON"

    def writer(self, schema: Schema) -> _Writer:
        tree = json_schema_of(schema)
        title = tree.get("title") if tree.get("type") == "object" else None
        return _Writer(schema, json.dumps(tree), title)

    def reader(self, text: str) -> _Reader:
        tree = json.loads(text)
        if not isinstance(tree, dict):
            raise DataError(f"Unsupported JSON schema: {text[:80]}")
        schema = ConnectSchemaReader(tree).schema(tree)
        return _Reader(schema, has_decimal(schema))
