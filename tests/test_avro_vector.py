"""The vectorized AVRO path (avro_vector) against the per-record one and fastavro: random flat
records decode to the same columns and errors, rows encode to the same bytes."""

from __future__ import annotations

import io
import json
import math
import random
import re
import struct
from decimal import Decimal

import pyarrow as pa
import pytest
from fastavro import parse_schema, schemaless_writer

from ksql.formats.avro_schema import avro_schema
from ksql.formats.avro_values import writer
from ksql.formats.base import get_format
from ksql.schemas.client import LocalRegistry
from ksql.schemas.model import SchemaText
from ksql.types import BIGINT, BOOLEAN, BYTES, DOUBLE, INTEGER, STRING, TIMESTAMP, DecimalType

WRITER = {
    "type": "record",
    "name": "W",
    "fields": [
        {"name": "L", "type": ["null", "long"], "default": None},
        {"name": "i", "type": ["int", "null"]},  # read by the column I
        {"name": "D", "type": ["null", "double"]},
        {"name": "F", "type": "float"},
        {"name": "B", "type": ["null", "boolean"]},
        {"name": "dateTime", "type": {"type": "long", "java": "x"}},
        {"name": "S", "type": ["null", {"type": "string", "avro.java.string": "String"}]},
        {"name": "Y", "type": ["null", "bytes"]},
        {"name": "UNREAD", "type": ["null", "string"]},
        {"name": "AS_TEXT", "type": ["null", "long"]},
        {"name": "FLAG_TEXT", "type": "boolean"},
        {"name": "WIDE", "type": ["null", "int"]},
    ],
}
COLUMNS = [
    ("L", BIGINT),
    ("I", INTEGER),
    ("D", DOUBLE),
    ("F", DOUBLE),
    ("B", BOOLEAN),
    ("dateTime", TIMESTAMP),
    ("S", STRING),
    ("Y", BYTES),
    ("MISSING", STRING),
    ("AS_TEXT", STRING),
    ("FLAG_TEXT", STRING),
    ("WIDE", DOUBLE),
]
_LONGS = [0, 1, -1, 63, -64, 64, 2**31, -(2**31), 2**53 + 1, 2**63 - 1, -(2**63)]
_DOUBLES = [0.0, -0.0, 1.5, math.nan, math.inf, -math.inf, 1e308, 5e-324]
_TEXTS = ["", "a", "héllo", "日本語テキスト", "emoji 🎉", "x" * 12, "y" * 13, "z" * 300]


@pytest.fixture
def registry(tmp_path):
    return LocalRegistry.open(tmp_path)


def _format(registry, **properties):
    return get_format("AVRO", properties, registry=registry, topic="t")


def _register(registry, schema) -> int:
    return registry.register("w-value", SchemaText("AVRO", json.dumps(schema)))


def _framed(schema_id: int, schema, datum) -> bytes:
    buffer = io.BytesIO()
    schemaless_writer(buffer, parse_schema(schema), datum)
    return struct.pack(">bI", 0, schema_id) + buffer.getvalue()


def _maybe(rng: random.Random, value):
    return None if rng.random() < 0.2 else value


def _datum(rng: random.Random) -> dict:
    def long() -> int:
        return rng.choice(_LONGS) if rng.random() < 0.5 else rng.randint(-(2**40), 2**40)

    return {
        "L": _maybe(rng, long()),
        "i": _maybe(rng, rng.randint(-(2**31), 2**31 - 1)),
        "D": _maybe(rng, rng.choice(_DOUBLES) if rng.random() < 0.5 else rng.uniform(-1e9, 1e9)),
        "F": rng.choice([0.0, 1.25, -3.5e38, math.inf, math.nan, rng.uniform(-100, 100)]),
        "B": _maybe(rng, rng.random() < 0.5),
        "dateTime": long(),
        "S": _maybe(rng, rng.choice(_TEXTS) + str(rng.randint(0, 9)) * rng.randint(0, 20)),
        "Y": _maybe(rng, rng.randbytes(rng.randint(0, 30))),
        "UNREAD": _maybe(rng, "not a column"),
        "AS_TEXT": _maybe(rng, long()),
        "FLAG_TEXT": rng.random() < 0.5,
        "WIDE": _maybe(rng, rng.randint(-(2**31), 2**31 - 1)),
    }


def _same(got, expected) -> None:
    """Equal results, NaN equal to NaN (Arrow's equality says not)."""
    assert got.table.schema == expected.table.schema
    for name in got.table.column_names:
        assert _values(got.table[name]) == _values(expected.table[name]), name
    if expected.errors is None:
        assert got.errors is None
    else:
        assert _errors(got.errors) == _errors(expected.errors)


def _errors(errors: pa.Array) -> list:
    # fastavro's message for a cut double names its stream object by address
    return [e if e is None else re.sub(r" at 0x[0-9a-f]+", "", e) for e in errors.to_pylist()]


def _values(column: pa.ChunkedArray) -> str:
    if pa.types.is_timestamp(column.type):  # beyond Python's datetimes
        column = column.cast(pa.int64())
    return repr(column.to_pylist())


def _check_decode(fmt, data: pa.Array, columns, *, vectorized: bool = True):
    expected = fmt._decode_records(data, columns, False)
    got = fmt.decode(data, columns, wrap_single=None)
    _same(got, expected)
    used = fmt._vectors.decode(data, columns, fmt._parsed, lambda _: expected)
    assert (used is not None) == vectorized
    return got


def test_random_records_decode_as_per_record(registry):
    fmt = _format(registry)
    schema_id = _register(registry, WRITER)
    rng = random.Random(7)
    records = [None if rng.random() < 0.05 else _framed(schema_id, WRITER, _datum(rng))
               for _ in range(3000)]  # fmt: skip
    got = _check_decode(fmt, pa.array(records, pa.binary()), COLUMNS)
    assert got.table["MISSING"].null_count == 3000
    # A slice of a larger array (offsets not from zero) and a string-typed input.
    _check_decode(fmt, pa.array(records, pa.binary()).slice(17, 1000), COLUMNS)
    _check_decode(fmt, pa.array([r for r in records if r], pa.binary()).cast(pa.large_binary()),
                  COLUMNS)  # fmt: skip


def test_bad_records_get_the_per_record_errors(registry):
    fmt = _format(registry)
    schema_id = _register(registry, WRITER)
    rng = random.Random(11)
    good = [_framed(schema_id, WRITER, _datum(rng)) for _ in range(40)]
    bad = [b"", b"\x01\x00\x00\x00\x01abc", b"\x00\x00\x00"]
    for record in good[:20]:
        for cut in range(5, len(record)):
            bad.append(record[:cut])
    branch = bytearray(good[0])
    branch[5] = 0x04  # union branch 2 of a two-branch union
    bad.append(bytes(branch))
    long_varint = bytes(good[1][:5]) + b"\x02" + b"\xff" * 10 + b"\x01" + good[1][6:]
    bad.append(long_varint)
    text = {**_datum(rng), "S": "ok", "WIDE": None}
    invalid_utf8 = _framed(schema_id, WRITER, text).replace(b"\x04ok", b"\x04\xff\xfe")
    true_two = _framed(schema_id, WRITER, {**text, "FLAG_TEXT": True})
    true_two = true_two[:-2] + b"\x02" + true_two[-1:]  # fastavro reads any byte as a bool
    odd = _check_decode(fmt, pa.array([invalid_utf8, true_two], pa.binary()), COLUMNS)
    assert "invalid start byte" in odd.errors[0].as_py() and not odd.errors[1].is_valid
    assert odd.table["FLAG_TEXT"].to_pylist() == [None, "true"]
    bad += [invalid_utf8, true_two]

    # Every bad record is an error row (or a value), never a failed batch.
    records = good + bad + [None] + good
    rng.shuffle(records)
    got = _check_decode(fmt, pa.array(records, pa.binary()), COLUMNS)
    assert got.errors is not None and got.errors.null_count < len(records) - 60
    cut = _check_decode(fmt, pa.array([good[2][:7]], pa.binary()), COLUMNS)
    assert cut.errors is not None and cut.errors[0].as_py().startswith("Error deserializing AVRO")


def test_mixed_schema_ids_fall_back(registry):
    fmt = _format(registry)
    first = _register(registry, WRITER)
    other = {**WRITER, "fields": WRITER["fields"][:-1]}
    second = _register(registry, other)
    assert first != second
    rng = random.Random(3)
    records = [_framed(first, WRITER, _datum(rng)) for _ in range(5)]
    records += [_framed(second, other, _datum(rng)) for _ in range(5)]
    _check_decode(fmt, pa.array(records, pa.binary()), COLUMNS, vectorized=False)


@pytest.mark.parametrize(
    "field_type, column_type",
    [
        ({"type": "long", "logicalType": "timestamp-millis"}, TIMESTAMP),
        ({"type": "record", "name": "N", "fields": [{"name": "X", "type": "int"}]}, STRING),
        (["null", "string", "long"], STRING),
        ("string", BIGINT),  # a per-record type error
        ("double", STRING),  # Python's float text
    ],
)
def test_other_schemas_fall_back(registry, field_type, column_type):
    fmt = _format(registry)
    schema = {"type": "record", "name": "W", "fields": [{"name": "A", "type": field_type}]}
    schema_id = _register(registry, schema)
    value = {"long": 5, "record": {"X": 1}, "string": "s", "double": 0.1}
    kind = (
        field_type
        if isinstance(field_type, str)
        else ("string" if isinstance(field_type, list) else field_type["type"])
    )
    records = [_framed(schema_id, schema, {"A": value[kind]})] * 3
    _check_decode(fmt, pa.array(records, pa.binary()), [("A", column_type)], vectorized=False)


def _random_table(rng: random.Random, n: int) -> pa.Table:
    def column(make, sql_type):
        return pa.array([_maybe(rng, make()) for _ in range(n)], sql_type.arrow())

    return pa.table({
        "ID": column(lambda: rng.choice(_LONGS), BIGINT),
        "N": column(lambda: rng.randint(-(2**31), 2**31 - 1), INTEGER),
        "X": column(lambda: rng.choice(_DOUBLES + [rng.random()]), DOUBLE),
        "OK": column(lambda: rng.random() < 0.5, BOOLEAN),
        "TEXT": column(lambda: rng.choice(_TEXTS), STRING),
        "RAW": column(lambda: rng.randbytes(rng.randint(0, 20)), BYTES),
        "PRICE": column(lambda: _decimal(rng, 23, 3), DecimalType(23, 3)),
        "HUGE": column(lambda: _decimal(rng, 38, 10), DecimalType(38, 10)),
    })  # fmt: skip


def _decimal(rng: random.Random, precision: int, scale: int) -> Decimal:
    # fastavro sizes by magnitude: the byte count changes at +-2**(8k - 1)
    edges = [0, 1, -1, 127, 128, -128, -129, 2**15, -(2**15), 2**63, -(2**63) - 1]
    top = 10**precision - 1
    unscaled = rng.choice(edges + [top, -top, rng.randint(-top, top), rng.randint(-999, 999)])
    return Decimal(f"{unscaled}E-{scale}")  # exact: scaleb rounds to 28 digits


ENCODED = [("ID", BIGINT), ("N", INTEGER), ("X", DOUBLE), ("OK", BOOLEAN), ("TEXT", STRING),
           ("RAW", BYTES), ("PRICE", DecimalType(23, 3)), ("HUGE", DecimalType(38, 10))]  # fmt: skip


def _expected_bytes(schema_id: int, schema, table: pa.Table) -> list[bytes]:
    parsed, convert = parse_schema(schema), writer(schema)
    out = []
    for row in table.to_pylist():
        buffer = io.BytesIO()
        schemaless_writer(buffer, parsed, convert(row))
        out.append(struct.pack(">bI", 0, schema_id) + buffer.getvalue())
    return out


def test_encode_is_fastavro_byte_for_byte(registry):
    fmt = _format(registry)
    table = _random_table(random.Random(5), 2000)
    table = pa.concat_tables([table.slice(0, 700), table.slice(700)])  # two chunks
    encoded = fmt.encode(table, ENCODED, wrap_single=None)
    target = fmt._writer(ENCODED, None)
    assert fmt._vectors.encode(table, ENCODED, target.schema_id, target.parsed) is not None
    schema = avro_schema(ENCODED, unwrapped=False)
    assert encoded.type == pa.binary() and encoded.null_count == 0
    assert encoded.to_pylist() == _expected_bytes(target.schema_id, schema, table)
    decoded = fmt.decode(encoded, ENCODED, wrap_single=None)
    assert decoded.errors is None
    assert repr(decoded.table.to_pylist()) == repr(table.to_pylist())


def test_encode_with_a_registered_schema_matches_columns_by_case(registry):
    schema = {
        "type": "record",
        "name": "R",
        "fields": [
            {"name": "id", "type": ["null", "long"]},  # the column ID
            {"name": "x", "type": ["double", "null"]},  # X
            {"name": "n", "type": ["null", "double"], "default": None},  # an INTEGER as double
            {"name": "absent", "type": ["null", "string"], "default": None},
            {"name": "TEXT", "type": ["null", "string"]},
            {"name": "ok", "type": ["null", "boolean"]},
            {"name": "RAW", "type": ["null", "bytes"]},
        ],
    }
    schema_id = _register(registry, schema)
    fmt = _format(registry, schemaId=schema_id)
    table = _random_table(random.Random(9), 500)
    encoded = fmt.encode(table, ENCODED, wrap_single=None)
    assert fmt._vectors._encoders[(schema_id, tuple(ENCODED))] is not None
    assert encoded.to_pylist() == _expected_bytes(schema_id, schema, table)


def test_encode_falls_back_where_fastavro_decides(registry):
    schema = {"type": "record", "name": "R", "fields": [{"name": "ID", "type": "long"}]}
    schema_id = _register(registry, schema)
    fmt = _format(registry, schemaId=schema_id)
    columns = [("ID", BIGINT)]
    full = pa.table({"ID": pa.array([1, -2, 2**62], pa.int64())})
    assert fmt.encode(full, columns, wrap_single=None).to_pylist() == _expected_bytes(
        schema_id, schema, full
    )
    with_null = pa.table({"ID": pa.array([1, None], pa.int64())})
    assert fmt._vectors.encode(with_null, columns, schema_id, parse_schema(schema)) is None


def test_decimal_beyond_the_schema_precision_falls_back(registry):
    schema = {"type": "record", "name": "R", "fields": [
        {"name": "P", "type": ["null", {"type": "bytes", "logicalType": "decimal",
                                        "precision": 5, "scale": 2}]},
    ]}  # fmt: skip
    schema_id = _register(registry, schema)
    fmt = _format(registry, schemaId=schema_id)
    columns = [("P", DecimalType(10, 2))]
    fits = pa.table(
        {"P": pa.array([Decimal("123.45"), None, Decimal("-0.01")], columns[0][1].arrow())}
    )
    assert fmt.encode(fits, columns, wrap_single=None).to_pylist() == _expected_bytes(
        schema_id, schema, fits
    )
    wide = pa.table({"P": pa.array([Decimal("1234.56")], columns[0][1].arrow())})
    assert fmt._vectors.encode(wide, columns, schema_id, parse_schema(schema)) is None
