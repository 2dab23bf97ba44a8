"""The Format protocol, decode results, schema checks shared by formats, and the format registry.

A Format turns a list of declared columns ``(name, SqlType)`` — a source's key columns or its
value columns — into one binary Arrow array of serialized records and back, a whole batch at a
time. Properties given to ``get_format`` (case-insensitive names):

- ``delimiter`` / ``VALUE_DELIMITER`` / ``KEY_DELIMITER``: DELIMITED's field separator, one
  character or the names ``TAB`` and ``SPACE`` (default ``,``).
- ``fullSchemaName``, ``schemaId``: the schema-registry formats' record name and the registered
  schema to write with.

The schema-registry formats (AVRO, JSON_SR, ...) are given the registry handle and the topic,
whose subject (``<topic>-key`` / ``<topic>-value``) they register and read schemas under.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from ksql.errors import KsqlError, SerializationError
from ksql.types import ArrayType, MapType, SqlType, StructType

Columns = list[tuple[str, SqlType]]


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """Decoded columns (exact Arrow types, declared names) and a per-row error or null."""

    table: pa.Table
    errors: pa.Array | None


class Format(Protocol):
    name: str

    def check_schema(self, columns: Columns, *, is_key: bool, wrap_single: bool | None) -> None: ...

    def decode(
        self, data: pa.Array, columns: Columns, *, wrap_single: bool | None
    ) -> DecodeResult: ...

    def encode(
        self, table: pa.Table | pa.RecordBatch, columns: Columns, *, wrap_single: bool | None
    ) -> pa.BinaryArray: ...

    def to_bytes(
        self, value: object, columns: Columns, *, wrap_single: bool | None
    ) -> bytes | None: ...

    def from_bytes(
        self, data: bytes | None, columns: Columns, *, wrap_single: bool | None
    ) -> object: ...


# ---------------------------------------------------------------- shared helpers


def describe_columns(columns: Columns, *, is_key: bool) -> str:
    """`A` INTEGER, `B` STRING KEY — the way ksqlDB lists columns in its messages."""
    suffix = " KEY" if is_key else ""
    return ", ".join(f"`{name}` {sql_type}{suffix}" for name, sql_type in columns)


def contains_map(sql_type: SqlType) -> bool:
    if isinstance(sql_type, MapType):
        return True
    if isinstance(sql_type, ArrayType):
        return contains_map(sql_type.element)
    if isinstance(sql_type, StructType):
        return any(contains_map(f.type) for f in sql_type.fields)
    return False


def check_map_keys(columns: Columns) -> None:
    """ksqlDB refuses MAPs anywhere in a key: their serialization is not deterministic."""
    for name, sql_type in columns:
        if contains_map(sql_type):
            raise KsqlError(
                "Map keys, including types that contain maps, are not supported as they may "
                "lead to unexpected behavior due to inconsistent serialization. Key column name: "
                f"`{name}`. Column type: {sql_type}. "
                "See https://github.com/confluentinc/ksql/issues/6621 for more."
            )


def check_no_wrapping(format_name: str, wrap_single: bool | None) -> None:
    if wrap_single:
        raise KsqlError(
            f"Format '{format_name}' does not support 'WRAP_SINGLE_VALUE' set to 'true'."
        )


def binary_payload(data: pa.Array) -> bytes:
    """The concatenated bytes of all values of a binary/string array (no copy per value)."""
    if len(data) == 0:
        return b""
    offsets = data.buffers()[1]
    start = struct.unpack_from("=i", offsets, data.offset * 4)[0]
    end = struct.unpack_from("=i", offsets, (data.offset + len(data)) * 4)[0]
    payload = data.buffers()[2]
    return b"" if payload is None else payload.to_pybytes()[start:end]


def as_array(data: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(data, pa.ChunkedArray):
        return data.combine_chunks() if data.num_chunks != 1 else data.chunk(0)
    return data


def empty_result(n: int, columns: Columns) -> DecodeResult:
    """All-null columns for n rows, no errors."""
    return DecodeResult(null_table(n, columns), None)


def null_table(n: int, columns: Columns) -> pa.Table:
    schema = pa.schema([pa.field(name, t.arrow()) for name, t in columns])
    if not columns:
        return pa.table({"__n": pa.nulls(n)}).drop(["__n"])
    return pa.table([pa.nulls(n, f.type) for f in schema], schema=schema)


def table_column(table: pa.Table | pa.RecordBatch, name: str) -> pa.Array:
    return as_array(table.column(name))


# ---------------------------------------------------------------- registry

_NOT_BUILT = ("PROTOBUF", "PROTOBUF_NOSR")


def normalize_properties(properties: dict[str, Any] | None) -> dict[str, Any]:
    """Upper-cased property names; the delimiter under one name, special names resolved."""
    props = {str(k).upper(): v for k, v in (properties or {}).items()}
    for alias in ("VALUE_DELIMITER", "KEY_DELIMITER"):
        if alias in props and "DELIMITER" not in props:
            props["DELIMITER"] = props[alias]
    if "DELIMITER" in props and props["DELIMITER"] is not None:
        text = str(props["DELIMITER"])
        props["DELIMITER"] = {"TAB": "\t", "SPACE": " "}.get(text.upper(), text)
    return props


def get_format(
    name: str,
    properties: dict[str, Any] | None = None,
    *,
    registry: Any = None,
    topic: str | None = None,
    is_key: bool = False,
) -> Format:
    """The format called `name` (case-insensitive) configured with `properties`; the
    schema-registry formats use `registry` for the subject of `topic` (key or value)."""
    upper = str(name).upper()
    props = normalize_properties(properties)
    if upper in ("AVRO", "JSON_SR"):
        from ksql.formats.registry_schemas import SubjectSchemas, subject_name

        subject = subject_name(topic, is_key=is_key)
        schema_id = props.get("SCHEMAID")
        schema_id = None if schema_id is None else int(schema_id)
        if upper == "AVRO":
            from ksql.formats.avro_format import AvroFormat

            schemas = SubjectSchemas(registry, subject, "AVRO")
            return AvroFormat(schemas, props.get("FULLSCHEMANAME"), schema_id)
        from ksql.formats.json_sr_format import JsonSrFormat

        return JsonSrFormat(SubjectSchemas(registry, subject, "JSON"), schema_id)
    if upper == "JSON":
        from ksql.formats.json_format import JsonFormat

        return JsonFormat()
    if upper == "DELIMITED":
        from ksql.formats.delimited import DelimitedFormat

        delimiter = props.get("DELIMITER") or ","
        if len(delimiter) != 1:
            raise SerializationError(f"Invalid delimiter: {delimiter!r}")
        return DelimitedFormat(delimiter)
    if upper == "KAFKA":
        from ksql.formats.kafka_format import KafkaFormat

        return KafkaFormat()
    if upper == "NONE":
        from ksql.formats.none_format import NoneFormat

        return NoneFormat()
    if upper in _NOT_BUILT:
        raise SerializationError(f"format {upper} is not supported yet")
    raise SerializationError(f"Unknown format: {name}")
