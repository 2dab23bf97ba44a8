"""KAFKA primitives (big-endian, UTF-8, raw bytes) and the NONE format."""

from __future__ import annotations

import struct

import pyarrow as pa
import pytest

from ksql.errors import KsqlError
from ksql.formats.base import get_format
from ksql.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DOUBLE,
    INTEGER,
    STRING,
    ArrayType,
    MapType,
    StructField,
    StructType,
)

KAFKA = get_format("KAFKA")


@pytest.mark.parametrize(
    ("sql_type", "values", "packed"),
    [
        (INTEGER, [1, -7, 2**31 - 1], ">i"),
        (BIGINT, [998877665544332211, -1], ">q"),
        (DOUBLE, [1.1, -2.5e300], ">d"),
    ],
)
def test_fixed_width_round_trip(sql_type, values, packed):
    cols = [("K", sql_type)]
    data = pa.array([struct.pack(packed, v) for v in values] + [None], pa.binary())
    result = KAFKA.decode(data, cols, wrap_single=None)
    assert result.errors is None
    assert result.table.column("K").to_pylist() == values + [None]
    assert result.table.schema.field("K").type == sql_type.arrow()
    assert KAFKA.encode(result.table, cols, wrap_single=None).to_pylist() == data.to_pylist()
    assert KAFKA.to_bytes(values[0], cols, wrap_single=None) == struct.pack(packed, values[0])
    assert KAFKA.from_bytes(struct.pack(packed, values[0]), cols, wrap_single=None) == values[0]


def test_wrong_sizes_are_row_errors():
    data = pa.array([b"\0\0\0\1", b"abc", b"", b"\0\0\0\2"], pa.binary())
    result = KAFKA.decode(data, [("K", INTEGER)], wrap_single=None)
    assert result.table.column("K").to_pylist() == [1, None, None, 2]
    assert result.errors.to_pylist() == [
        None,
        "Size of data received by IntegerDeserializer is not 4",
        "Size of data received by IntegerDeserializer is not 4",
        None,
    ]
    result = KAFKA.decode(pa.array([b"1234"]), [("K", BIGINT)], wrap_single=None)
    assert result.errors.to_pylist() == ["Size of data received by LongDeserializer is not 8"]


def test_strings_and_bytes():
    data = pa.array([b"foo", b"", None, b"\xff"], pa.binary())
    result = KAFKA.decode(data, [("K", STRING)], wrap_single=None)
    assert result.table.column("K").to_pylist() == ["foo", "", None, "\ufffd"]
    out = KAFKA.encode(pa.table({"K": ["foo", None]}), [("K", STRING)], wrap_single=None)
    assert out.to_pylist() == [b"foo", None]
    result = KAFKA.decode(pa.array([b"{"]), [("B", BYTES)], wrap_single=None)
    assert result.table.column("B").to_pylist() == [b"{"]
    assert KAFKA.to_bytes("ew==", [("B", BYTES)], wrap_single=None) == b"{"


def test_kafka_check_schema():
    with pytest.raises(KsqlError, match="does not support type 'BOOLEAN'"):
        KAFKA.check_schema([("K", BOOLEAN)], is_key=True, wrap_single=None)
    with pytest.raises(KsqlError, match="does not support type 'STRUCT'"):
        KAFKA.check_schema(
            [("K", StructType((StructField("F", DOUBLE),)))], is_key=True, wrap_single=None
        )
    with pytest.raises(KsqlError, match="does not support type 'ARRAY'"):
        KAFKA.check_schema([("V", ArrayType(INTEGER))], is_key=False, wrap_single=None)
    with pytest.raises(KsqlError, match="Map keys"):
        KAFKA.check_schema([("K", MapType(INTEGER, DOUBLE))], is_key=True, wrap_single=None)
    with pytest.raises(
        KsqlError, match=r"only supports a single field. Got: \[`V0` INTEGER, `V1` STRING\]"
    ):
        KAFKA.check_schema([("V0", INTEGER), ("V1", STRING)], is_key=False, wrap_single=None)
    with pytest.raises(KsqlError, match="'WRAP_SINGLE_VALUE' set to 'true'"):
        KAFKA.check_schema([("V", INTEGER)], is_key=False, wrap_single=True)


def test_none_format():
    fmt = get_format("NONE")
    with pytest.raises(KsqlError, match=r"Got: \[`BAR` INTEGER KEY\]"):
        fmt.check_schema([("BAR", INTEGER)], is_key=True, wrap_single=None)
    fmt.check_schema([], is_key=True, wrap_single=None)
    result = fmt.decode(pa.array([b"ignored", None]), [], wrap_single=None)
    assert result.table.num_rows == 2 and result.table.num_columns == 0 and result.errors is None
    assert fmt.encode(pa.table({"x": [1, 2]}), [], wrap_single=None).to_pylist() == [None, None]
    assert fmt.to_bytes("x", [], wrap_single=None) is None
