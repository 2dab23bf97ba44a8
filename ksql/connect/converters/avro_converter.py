"""Confluent's AvroConverter: Connect values as Avro binary in Confluent's wire format, the
Avro schema (mapped from the Connect schema by avro_data) registered in the schema registry.
Reading uses the writer's schema the record's id names, mapped back to a Connect schema."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import SchemaParseException

from ksql.connect.api import DataError, Schema
from ksql.connect.converters.avro_data import (
    AvroSchemaWriter,
    ConnectSchemaReader,
    from_avro,
    to_avro,
)
from ksql.connect.converters.registry_converter import RegistryConverter

# What fastavro raises for a datum its schema does not describe, or for truncated bytes.
_WRITE_ERRORS = (TypeError, ValueError, KeyError, AttributeError, OverflowError)
_READ_ERRORS = (EOFError, ValueError, TypeError, IndexError, UnicodeDecodeError, OverflowError)


@dataclass(slots=True)
class _Writer:
    schema: Schema
    parsed: Any
    text: str
    record_name: str | None

    def encode(self, value: Any) -> bytes:
        buffer = io.BytesIO()
        try:
            schemaless_writer(buffer, self.parsed, to_avro(self.schema, value))
        except _WRITE_ERRORS as error:
            raise DataError(f"The value does not fit its Avro schema: {error}") from None
        return buffer.getvalue()


@dataclass(slots=True)
class _Reader:
    parsed: Any
    schema: Schema

    def decode(self, payload: memoryview) -> tuple[Schema | None, Any]:
        try:
            datum = schemaless_reader(io.BytesIO(payload), self.parsed, None)
        except _READ_ERRORS as error:
            raise DataError(f"Invalid Avro data for its schema: {error!r}") from None
        return self.schema, from_avro(self.schema, datum)


def _record_name(tree: Any) -> str | None:
    """The full name of the record a schema is (or of the one record of an optional one)."""
    branches = tree if isinstance(tree, list) else [tree]
    for branch in branches:
        if isinstance(branch, dict) and branch.get("type") == "record":
            namespace = branch.get("namespace")
            return f"{namespace}.{branch['name']}" if namespace else branch["name"]
    return None


class AvroConverter(RegistryConverter):
    schema_type = "AVRO"

    def writer(self, schema: Schema) -> _Writer:
        tree = AvroSchemaWriter().schema(schema)
        try:
            parsed = parse_schema(tree)
        except (SchemaParseException, ValueError) as error:
            raise DataError(f"The schema cannot be written as Avro: {error}") from None
        return _Writer(schema, parsed, json.dumps(tree), _record_name(tree))

    def reader(self, text: str) -> _Reader:
        tree = json.loads(text)
        try:
            parsed = parse_schema(tree)
        except SchemaParseException as error:
            raise ValueError(f"Invalid Avro schema: {error}") from None
        return _Reader(parsed, ConnectSchemaReader().schema(tree))
