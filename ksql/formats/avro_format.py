"""AVRO: Confluent's wire format (magic byte, schema id, Avro binary) with a schema registry.

Reading decodes each record with its writer's schema (by the id it carries) and converts the
datum to the declared columns with ksqlDB's rules (avro_values). Writing uses the schema
ksqlDB would generate for the columns (avro_schema), registered under the topic's subject, or
the registered schema `VALUE_SCHEMA_ID` / `KEY_SCHEMA_ID` names. Per record work is fastavro's
C decoder plus one converter closure; Arrow is built once per batch. Batches of flat records
(primitive fields) skip both: avro_vector decodes and encodes them field by field with numpy.

Format properties (see properties.choose_formats): `fullSchemaName`, `schemaId`.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from fastavro import parse_schema, schemaless_reader, schemaless_writer

from ksql.errors import KsqlError
from ksql.formats.avro_schema import avro_schema, check_avro_columns, inferred_columns
from ksql.formats.avro_values import AvroValueError, reader, to_json, writer
from ksql.formats.avro_vector import AvroVectors
from ksql.formats.base import Columns, DecodeResult, as_array, check_map_keys, null_table
from ksql.formats.json_format import is_unwrapped
from ksql.formats.registry_schemas import SubjectSchemas, frame, unframe
from ksql.types import StructField, StructType


@dataclass(slots=True)
class _Writer:
    """What encoding needs for one column list: the schema id, parsed schema, converter."""

    schema_id: int
    parsed: Any
    convert: Any


@dataclass(slots=True)
class AvroFormat:
    schemas: SubjectSchemas
    full_name: str | None = None
    schema_id: int | None = None
    name: str = "AVRO"
    _writers: dict[tuple, _Writer] = field(default_factory=dict)
    _readers: dict[tuple, Any] = field(default_factory=dict)
    _vectors: AvroVectors = field(default_factory=AvroVectors)

    # ------------------------------------------------------------ schema

    def check_schema(self, columns: Columns, *, is_key: bool, wrap_single: bool | None) -> None:
        if is_key:
            check_map_keys(columns)
        elif wrap_single is not None and len(columns) != 1:
            raise KsqlError("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas")
        check_avro_columns(columns)

    def schema_for(self, columns: Columns, *, wrap_single: bool | None) -> Any:
        """The Avro schema written for these columns (the registered one with a schema id)."""
        if self.schema_id is not None:
            return json.loads(self.schemas.text(self.schema_id))
        return avro_schema(
            columns, unwrapped=is_unwrapped(columns, wrap_single), full_name=self.full_name
        )

    def inferred_columns(self, text: str, *, is_key: bool) -> Columns:
        """The columns a source declared without any reads from the registered schema."""
        return inferred_columns(
            json.loads(text), is_key=is_key, keep_case=self.schema_id is not None
        )

    def register(self, columns: Columns, *, wrap_single: bool | None) -> int:
        """Register the written schema under the subject (a query's sink, at its creation);
        the registry's refusal fails the statement with its reason."""
        return self._writer(columns, wrap_single).schema_id

    def _writer(self, columns: Columns, wrap_single: bool | None) -> _Writer:
        key = (tuple(columns), wrap_single)
        found = self._writers.get(key)
        if found is None:
            schema = self.schema_for(columns, wrap_single=wrap_single)
            if self.schema_id is not None:
                schema_id = self.schema_id
            else:
                schema_id = self.schemas.register(json.dumps(schema))
            found = _Writer(schema_id, parse_schema(schema), writer(schema))
            self._writers[key] = found
        return found

    # ------------------------------------------------------------ batches

    def decode(self, data: pa.Array, columns: Columns, *, wrap_single: bool | None) -> DecodeResult:
        data = as_array(data)
        n = len(data)
        if not columns or n == 0:
            return DecodeResult(null_table(n, columns), None)
        unwrapped = is_unwrapped(columns, wrap_single)
        if not unwrapped:
            result = self._vectors.decode(
                data,
                columns,
                self._parsed,
                lambda part: self._decode_records(part, columns, unwrapped),
            )
            if result is not None:
                return result
        return self._decode_records(data, columns, unwrapped)

    def _decode_records(self, data: pa.Array, columns: Columns, unwrapped: bool) -> DecodeResult:
        convert = self._reader(columns, unwrapped)
        rows: list[Any] = []
        errors: list[str | None] = []
        failed = False
        for raw in data.cast(pa.binary()).to_pylist():
            if raw is None:
                rows.append(None)
                errors.append(None)
                continue
            try:
                datum = self._read(raw)
                rows.append(None if datum is None else convert(datum))
                errors.append(None)
            # fastavro raises IndexError for a varint cut short at the end of a record.
            except (
                AvroValueError, KsqlError, ValueError, EOFError, TypeError, IndexError
            ) as error:
                rows.append(None)
                errors.append(f"Error deserializing AVRO message: {error}")
                failed = True
        struct_type = pa.struct([pa.field(name, t.arrow()) for name, t in columns])
        table = pa.Table.from_struct_array(pa.array(rows, struct_type))
        return DecodeResult(table, pa.array(errors, pa.string()) if failed else None)

    def _reader(self, columns: Columns, unwrapped: bool):
        key = (tuple(columns), unwrapped)
        found = self._readers.get(key)
        if found is None:
            if unwrapped:
                name, sql_type = columns[0]
                one = reader(sql_type)

                def found(datum: Any) -> Any:
                    return {name: one(datum)}
            else:
                found = reader(StructType(tuple(StructField(n, t) for n, t in columns)))
            self._readers[key] = found
        return found

    def _read(self, raw: bytes) -> Any:
        schema_id, payload = unframe(raw)
        return schemaless_reader(io.BytesIO(payload), self._parsed(schema_id), None)

    def _parsed(self, schema_id: int) -> Any:
        return self.schemas.parsed(schema_id, lambda text: parse_schema(json.loads(text)))

    def encode(self, table, columns: Columns, *, wrap_single: bool | None) -> pa.BinaryArray:
        if not columns:
            return pa.nulls(table.num_rows, pa.binary())
        target = self._writer(columns, wrap_single)
        unwrapped = is_unwrapped(columns, wrap_single)
        if not unwrapped:
            vectorized = self._vectors.encode(table, columns, target.schema_id, target.parsed)
            if vectorized is not None:
                return vectorized
        names = [name for name, _ in columns]
        out: list[bytes | None] = []
        buffer = io.BytesIO()
        for row in table.select(names).to_pylist():
            value = row[names[0]] if unwrapped else row
            if value is None:
                out.append(None)
                continue
            buffer.seek(0)
            buffer.truncate()
            schemaless_writer(buffer, target.parsed, target.convert(value))
            out.append(frame(target.schema_id, buffer.getvalue()))
        return pa.array(out, pa.binary())

    # ------------------------------------------------------------ single records

    def to_bytes(
        self, value: object, columns: Columns, *, wrap_single: bool | None
    ) -> bytes | None:
        """A JSON tree written as a producer would: with the subject's latest schema when one
        is registered (and registered as is), else with the schema of the columns."""
        if value is None:
            return None
        latest = self.schemas.latest() if self.schema_id is None else None
        if latest is None:
            target = self._writer(columns, wrap_single)
            schema_id, parsed, convert = target.schema_id, target.parsed, target.convert
        else:
            schema = json.loads(latest.text.schema)
            schema_id, parsed, convert = latest.id, parse_schema(schema), writer(schema)
        buffer = io.BytesIO()
        schemaless_writer(buffer, parsed, convert(value))
        return frame(schema_id, buffer.getvalue())

    def from_bytes(
        self, data: bytes | None, columns: Columns, *, wrap_single: bool | None
    ) -> object:
        if data is None:
            return None
        return to_json(self._read(data))
