"""DELIMITED format: CSV quoting, custom delimiters, empty fields, column-count errors."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

from ksql.errors import KsqlError
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
    StructField,
    StructType,
)

ALL = [
    ("I", INTEGER),
    ("L", BIGINT),
    ("D", DOUBLE),
    ("S", STRING),
    ("B", BOOLEAN),
    ("DEC", DecimalType(6, 4)),
    ("TS", TIMESTAMP),
    ("DT", DATE),
    ("TM", TIME),
    ("BY", BYTES),
]


def decode(fmt, columns, *lines):
    data = pa.array([None if line is None else line.encode() for line in lines], pa.binary())
    result = fmt.decode(data, columns, wrap_single=None)
    errors = result.errors.to_pylist() if result.errors is not None else [None] * len(lines)
    return result.table, errors


def test_round_trip_every_type():
    fmt = get_format("DELIMITED")
    line = "1,10000000000,1.5,x,true,10.0000,1000,10,5000,ew=="
    table, errors = decode(fmt, ALL, line, None)
    assert errors == [None, None]
    assert table.to_pylist()[0]["DEC"] == Decimal("10.0000")
    assert all(v is None for v in table.to_pylist()[1].values())
    assert fmt.encode(table.slice(0, 1), ALL, wrap_single=None).to_pylist() == [line.encode()]


def test_quoting_like_commons_csv():
    fmt = get_format("DELIMITED")
    cols = [("A", STRING), ("B", STRING), ("C", DOUBLE)]
    table, errors = decode(fmt, cols, '"a,""b",,-1.5', '" x",y,1e10', '"22",z,')
    assert errors == [None, None, None]
    assert table.to_pylist() == [
        {"A": 'a,"b', "B": None, "C": -1.5},
        {"A": " x", "B": "y", "C": 1e10},
        {"A": "22", "B": "z", "C": None},
    ]
    out = fmt.encode(table, cols, wrap_single=None).to_pylist()
    assert out == [b'"a,""b",,-1.5', b'" x",y,1.0E10', b"22,z,"]
    dates = pa.table({"D": pa.array([-10, 10], pa.int32()).cast(pa.date32())})
    assert fmt.encode(dates, [("D", DATE)], wrap_single=None).to_pylist() == [b'"-10"', b"10"]
    tricky = pa.table({"A": ["ok", "!"], "B": ["#x", "t "]})
    out = fmt.encode(tricky, [("A", STRING), ("B", STRING)], wrap_single=None).to_pylist()
    assert out == [b'ok,"#x"', b'"!","t "']


@pytest.mark.parametrize(("prop", "sep"), [("|", "|"), ("TAB", "\t"), ("SPACE", " ")])
def test_custom_delimiters(prop, sep):
    fmt = get_format("DELIMITED", {"VALUE_DELIMITER": prop})
    cols = [("ID", BIGINT), ("NAME", STRING), ("V", INTEGER)]
    line = sep.join(["0", "zero", "0"])
    table, errors = decode(fmt, cols, line)
    assert errors == [None] and table.to_pylist() == [{"ID": 0, "NAME": "zero", "V": 0}]
    assert fmt.encode(table, cols, wrap_single=None).to_pylist() == [line.encode()]
    assert get_format("DELIMITED", {"delimiter": prop}).delimiter == sep


def test_row_errors_do_not_poison_neighbours():
    fmt = get_format("DELIMITED")
    cols = [("A", INTEGER), ("B", STRING)]
    table, errors = decode(fmt, cols, "1,a", "1", "x,b", "1,2,3", "2,c", None)
    assert [r["A"] for r in table.to_pylist()] == [1, None, None, None, 2, None]
    assert errors[0] is None and errors[4] is None and errors[5] is None
    assert "Column count mismatch" in errors[1] and "expected: 2, got: 1" in errors[1]
    assert "as INTEGER" in errors[2]
    assert "got: 3" in errors[3]


def test_embedded_line_breaks_fall_back():
    fmt = get_format("DELIMITED")
    table, errors = decode(fmt, [("A", STRING), ("B", INTEGER)], '"x\ny",1', "z,2")
    assert errors == [None, None] and table.column("A").to_pylist() == ["x\ny", "z"]


def test_check_schema():
    fmt = get_format("DELIMITED")
    with pytest.raises(KsqlError, match="does not support type 'STRUCT', column: `K`"):
        fmt.check_schema(
            [("K", StructType((StructField("F", DOUBLE),)))], is_key=True, wrap_single=None
        )
    with pytest.raises(KsqlError, match="does not support type 'ARRAY'"):
        fmt.check_schema([("V", ArrayType(INTEGER))], is_key=False, wrap_single=None)
    with pytest.raises(KsqlError, match="'WRAP_SINGLE_VALUE' set to 'true'"):
        fmt.check_schema([("V", INTEGER)], is_key=False, wrap_single=True)
    fmt.check_schema([("V", INTEGER)], is_key=False, wrap_single=False)


def test_python_helpers_are_text():
    fmt = get_format("DELIMITED")
    assert fmt.to_bytes("1,a", [], wrap_single=None) == b"1,a"
    assert fmt.from_bytes(b"1,a", [], wrap_single=None) == "1,a"
