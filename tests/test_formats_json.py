"""JSON format: decoding with ksqlDB's coercions, case-insensitive fields, wrapping, encoding."""

from __future__ import annotations

import datetime
from decimal import Decimal

import orjson
import pyarrow as pa
import pytest

from ksql.errors import KsqlError, SerializationError
from ksql.formats.base import get_format
from ksql.types import (
    BIGINT,
    BOOLEAN,
    BYTES,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIME,
    TIMESTAMP,
    ArrayType,
    DecimalType,
    MapType,
    StructField,
    StructType,
)

FMT = get_format("json")
ALL = [
    ("I", INTEGER),
    ("L", BIGINT),
    ("D", DOUBLE),
    ("S", STRING),
    ("B", BOOLEAN),
    ("DEC", DecimalType(6, 2)),
    ("TS", TIMESTAMP),
    ("DT", DATE),
    ("TM", TIME),
    ("BY", BYTES),
    ("A", ArrayType(BIGINT)),
    ("M", MapType(STRING, DOUBLE)),
    ("ST", StructType((StructField("X", INTEGER), StructField("Y", ArrayType(STRING))))),
]


def records(*values) -> pa.Array:
    out = []
    for v in values:
        if v is None or isinstance(v, bytes):
            out.append(v)
        elif isinstance(v, str):
            out.append(v.encode())
        else:
            out.append(orjson.dumps(v))
    return pa.array(out, pa.binary())


def decode(columns, *values, wrap_single=None):
    result = FMT.decode(records(*values), columns, wrap_single=wrap_single)
    errors = result.errors.to_pylist() if result.errors is not None else [None] * len(values)
    return result.table.to_pylist(), errors


def test_decode_every_type_and_round_trip():
    full = {
        "I": 1,
        "L": 10_000_000_000,
        "D": 1.5,
        "S": "x",
        "B": True,
        "DEC": 12.34,
        "TS": 1000,
        "DT": 10,
        "TM": 5000,
        "BY": "ew==",
        "A": [1, None],
        "M": {"a": 1.5, "b": None},
        "ST": {"X": 3, "Y": ["p"]},
    }
    rows, errors = decode(ALL, full, {})
    assert errors == [None, None]
    row = rows[0]
    assert row["I"] == 1 and row["L"] == 10_000_000_000 and row["D"] == 1.5 and row["S"] == "x"
    assert row["B"] is True and row["DEC"] == Decimal("12.34")
    assert row["TS"] == datetime.datetime(1970, 1, 1, 0, 0, 1)
    assert row["DT"] == datetime.date(1970, 1, 11) and row["TM"] == datetime.time(0, 0, 5)
    assert row["BY"] == b"{" and row["A"] == [1, None] and row["M"] == [("a", 1.5), ("b", None)]
    assert row["ST"] == {"X": 3, "Y": ["p"]}
    assert all(v is None for v in rows[1].values())
    table = FMT.decode(records(full), ALL, wrap_single=None).table
    assert table.schema == pa.schema([pa.field(n, t.arrow()) for n, t in ALL])
    encoded = FMT.encode(table, ALL, wrap_single=None)
    back = orjson.loads(encoded[0].as_py())
    assert back == {**full, "DEC": 12.34}


def test_field_names_match_as_written_then_upper_cased():
    cols = [("FOO", INTEGER), ("bar", STRING), ("S", StructType((StructField("INNER", INTEGER),)))]
    rows, errors = decode(cols, {"foo": 1, "bar": "x", "s": {"inner": 2}}, {"FOO": 3, "BAR": "y"})
    assert rows[0] == {"FOO": 1, "bar": "x", "S": {"INNER": 2}}
    # A quoted lower-case column does not match an upper-case key.
    assert rows[1] == {"FOO": 3, "bar": None, "S": None}
    assert errors == [None, None]


def test_exact_key_wins_over_upper_cased_one():
    rows, _ = decode([("A", INTEGER)], '{"a": 1, "A": 2}', '{"a": 5}')
    assert [r["A"] for r in rows] == [2, 5]


def test_coercions_follow_ksqldb():
    cols = [("I", INTEGER), ("D", DOUBLE), ("S", STRING), ("DEC", DecimalType(4, 2))]
    rows, errors = decode(
        cols,
        {"I": "12", "D": "1.5", "S": 12, "DEC": "3.14159"},
        {"I": 2.9, "D": 3, "S": {"a": [1]}},
    )
    assert rows[0] == {"I": 12, "D": 1.5, "S": "12", "DEC": Decimal("3.14")}
    assert rows[1] == {"I": 2, "D": 3.0, "S": '{"a":[1]}', "DEC": None}
    assert errors == [None, None]
    rows, errors = decode([("A", ArrayType(STRING))], [1, 2, 3], wrap_single=False)
    assert rows[0]["A"] == ["1", "2", "3"]


def test_bad_rows_are_errors_and_do_not_poison_neighbours():
    cols = [("I", INTEGER), ("B", BOOLEAN)]
    rows, errors = decode(cols, {"I": 1}, {"I": "x"}, {"B": 1}, "not json{", "5", {"I": 2}, None)
    assert [r["I"] for r in rows] == [1, None, None, None, None, 2, None]
    assert errors[0] is None and errors[5] is None and errors[6] is None
    assert "Can't coerce string to type. targetType: INTEGER" in errors[1]
    assert "sourceType: IntNode, requiredType: BOOLEAN" in errors[2]
    assert "malformed" in errors[3]
    assert "requiredType: STRUCT" in errors[4]


def test_nested_errors_fail_the_row():
    cols = [("S", StructType((StructField("X", INTEGER),))), ("A", ArrayType(INTEGER))]
    rows, errors = decode(
        cols, {"S": {"X": "bad"}}, {"A": [1, "x"]}, {"A": {"k": 1}}, {"S": {"X": 1}, "A": [1]}
    )
    assert errors[0] and errors[1] and "ObjectNode, requiredType: ARRAY" in errors[2]
    assert errors[3] is None and rows[3] == {"S": {"X": 1}, "A": [1]}


def test_unwrapped_single_values():
    rows, errors = decode([("V", INTEGER)], "10", None, "null", '"7"', wrap_single=False)
    assert [r["V"] for r in rows] == [10, None, None, 7] and errors == [None] * 4
    rows, _ = decode(
        [("V", StructType((StructField("A", DOUBLE),)))], {"a": 45.67}, wrap_single=False
    )
    assert rows[0]["V"] == {"A": 45.67}
    table = pa.table({"V": pa.array([123, None], pa.int32())})
    out = FMT.encode(table, [("V", INTEGER)], wrap_single=False).to_pylist()
    assert out == [b"123", None]
    out = FMT.encode(table, [("V", INTEGER)], wrap_single=None).to_pylist()
    assert [orjson.loads(o) for o in out] == [{"V": 123}, {"V": None}]


def test_encode_decimal_keeps_digits_and_names_keep_case():
    cols = [("dec", DecimalType(21, 19)), ("Mixed", StructType((StructField("inner", INTEGER),)))]
    table = pa.table(
        {
            "dec": pa.array([Decimal("10.1234512345123451234")], pa.decimal128(21, 19)),
            "Mixed": pa.array([{"inner": 1}], cols[1][1].arrow()),
        }
    )
    text = FMT.encode(table, cols, wrap_single=None)[0].as_py()
    assert b'"dec":10.1234512345123451234' in text and b'"Mixed":{"inner":1}' in text


def test_check_schema_and_registry():
    with pytest.raises(KsqlError, match="JSON only supports MAP types with STRING keys"):
        FMT.check_schema([("M", MapType(INTEGER, DOUBLE))], is_key=False, wrap_single=None)
    with pytest.raises(KsqlError, match="only valid for single-field value schemas"):
        FMT.check_schema([("A", INTEGER), ("B", INTEGER)], is_key=False, wrap_single=True)
    with pytest.raises(KsqlError, match="Map keys, including types that contain maps"):
        FMT.check_schema(
            [("K", StructType((StructField("F", MapType(STRING, STRING)),)))],
            is_key=True,
            wrap_single=None,
        )
    FMT.check_schema([("K", INTEGER), ("K2", STRING)], is_key=True, wrap_single=None)
    with pytest.raises(SerializationError, match="Unknown format: FOO"):
        get_format("FOO")
    with pytest.raises(SerializationError, match="not supported yet"):
        get_format("protobuf")


def test_python_helpers():
    cols = [("K", INTEGER)]
    assert FMT.to_bytes({"a": [1, 2.5]}, cols, wrap_single=None) == b'{"a":[1,2.5]}'
    assert FMT.from_bytes(b'{"A": 1}', cols, wrap_single=None) == {"A": 1}
    assert FMT.to_bytes(None, cols, wrap_single=None) is None


def test_many_rows_with_mixed_key_case():
    values = [{"id": i} if i % 2 else {"ID": i} for i in range(1000)]
    rows, errors = decode([("ID", BIGINT)], *values)
    assert [r["ID"] for r in rows] == list(range(1000)) and set(errors) == {None}
