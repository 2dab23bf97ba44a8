"""KAFKA: one primitive column in Kafka's own serializers' encoding (big-endian ints, UTF-8)."""

from __future__ import annotations

import base64
import struct
import sys
from array import array
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ksql.errors import KsqlError
from ksql.formats.base import (
    Columns,
    DecodeResult,
    as_array,
    binary_payload,
    check_map_keys,
    check_no_wrapping,
    describe_columns,
    null_table,
    table_column,
)
from ksql.types import BIGINT, BYTES, DOUBLE, INTEGER, STRING, SqlType

# Fixed-width types: (byte width, array typecode, Arrow type, Kafka's size error message).
_FIXED = {
    "INTEGER": (4, "i", pa.int32(), "Size of data received by IntegerDeserializer is not 4"),
    "BIGINT": (8, "q", pa.int64(), "Size of data received by LongDeserializer is not 8"),
    "DOUBLE": (8, "d", pa.float64(), "Size of data received by Deserializer is not 8"),
}
_STRUCT_CODE = {"INTEGER": ">i", "BIGINT": ">q", "DOUBLE": ">d"}
_SUPPORTED = (INTEGER, BIGINT, DOUBLE, STRING, BYTES)
_LITTLE_ENDIAN = sys.byteorder == "little"


def _to_big_endian(raw: bytes, code: str) -> bytes:
    """Swap host-order fixed-width values to network order (or back): C speed via array."""
    if not _LITTLE_ENDIAN:
        return raw
    values = array(code)
    values.frombytes(raw)
    values.byteswap()
    return values.tobytes()


def _decode_fixed(data: pa.Array, sql_type: SqlType) -> tuple[pa.Array, pa.Array | None]:
    width, code, arrow_type, message = _FIXED[sql_type.name]
    lengths = pc.binary_length(data)
    good = pc.fill_null(pc.equal(lengths, width), False)
    bad = pc.and_(pc.is_valid(data), pc.invert(good))
    padded = pc.if_else(good, data, pa.scalar(b"\0" * width, data.type))
    padded = pc.fill_null(padded, pa.scalar(b"\0" * width, data.type)).cast(pa.binary())
    raw = _to_big_endian(binary_payload(padded), code)
    values = pa.Array.from_buffers(arrow_type, len(data), [None, pa.py_buffer(raw)])
    values = pc.if_else(good, values, pa.scalar(None, arrow_type))
    errors = None
    if pc.any(bad).as_py():
        errors = pc.if_else(bad, pa.scalar(message), pa.scalar(None, pa.string()))
    return values, errors


def _decode_string(data: pa.Array) -> pa.Array:
    try:
        return data.cast(pa.string())
    except pa.ArrowInvalid:
        # Kafka's StringDeserializer replaces bad UTF-8 instead of failing; rare, so per value.
        return pa.array(
            [None if b is None else b.decode("utf-8", "replace") for b in data.to_pylist()]
        )


def _encode_fixed(values: pa.Array, sql_type: SqlType) -> pa.Array:
    width, code, arrow_type, _ = _FIXED[sql_type.name]
    filled = pc.fill_null(values.cast(arrow_type), 0)
    buffer = filled.buffers()[1]
    raw = buffer.to_pybytes()[filled.offset * width : (filled.offset + len(filled)) * width]
    fixed = pa.Array.from_buffers(
        pa.binary(width), len(filled), [None, pa.py_buffer(_to_big_endian(raw, code))]
    )
    return pc.if_else(pc.is_valid(values), fixed.cast(pa.binary()), pa.scalar(None, pa.binary()))


@dataclass(frozen=True, slots=True)
class KafkaFormat:
    name: str = "KAFKA"

    def check_schema(self, columns: Columns, *, is_key: bool, wrap_single: bool | None) -> None:
        if is_key:
            check_map_keys(columns)
        else:
            check_no_wrapping(self.name, wrap_single)
        for _, sql_type in columns:
            if sql_type not in _SUPPORTED:
                raise KsqlError(f"The 'KAFKA' format does not support type '{sql_type.name}'")
        if len(columns) > 1:
            raise KsqlError(
                "The 'KAFKA' format only supports a single field. "
                f"Got: [{describe_columns(columns, is_key=is_key)}]"
            )

    def decode(self, data: pa.Array, columns: Columns, *, wrap_single: bool | None) -> DecodeResult:
        data = as_array(data)
        if not columns:
            return DecodeResult(null_table(len(data), columns), None)
        name, sql_type = columns[0]
        errors = None
        if sql_type.name in _FIXED:
            values, errors = _decode_fixed(data.cast(pa.binary()), sql_type)
        elif sql_type == STRING:
            values = _decode_string(data)
        else:
            values = data.cast(pa.binary())
        return DecodeResult(pa.table({name: values}), errors)

    def encode(self, table, columns: Columns, *, wrap_single: bool | None) -> pa.BinaryArray:
        if not columns:
            return pa.nulls(table.num_rows, pa.binary())
        name, sql_type = columns[0]
        values = table_column(table, name)
        if sql_type.name in _FIXED:
            return _encode_fixed(values, sql_type)
        return values.cast(pa.binary())

    def to_bytes(
        self, value: object, columns: Columns, *, wrap_single: bool | None
    ) -> bytes | None:
        if value is None or not columns:
            return None
        sql_type = columns[0][1]
        if sql_type.name in _STRUCT_CODE:
            number = float(value) if sql_type == DOUBLE else int(value)  # type: ignore[arg-type]
            return struct.pack(_STRUCT_CODE[sql_type.name], number)
        if sql_type == BYTES:
            if isinstance(value, bytes | bytearray):
                return bytes(value)
            return base64.b64decode(str(value))
        return str(value).encode("utf-8")

    def from_bytes(
        self, data: bytes | None, columns: Columns, *, wrap_single: bool | None
    ) -> object:
        if data is None or not columns:
            return None
        sql_type = columns[0][1]
        if sql_type.name in _FIXED:
            width, _, _, message = _FIXED[sql_type.name]
            if len(data) != width:
                raise KsqlError(message)
            return struct.unpack(_STRUCT_CODE[sql_type.name], data)[0]
        if sql_type == BYTES:
            return base64.b64encode(data).decode("ascii")
        return data.decode("utf-8", "replace")
