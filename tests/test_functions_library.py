"""Built-in functions added with the function library: CUBE_EXPLODE, JSON_CONCAT, column
date-time patterns, constructor coercion and ksqlDB's edge cases of older functions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest

from ksql.compiler import compile_expression
from ksql.compiler.scope import MapScope, ResolvedColumn
from ksql.engine import Engine
from ksql.errors import StatementError
from ksql.functions.python_udf import attach
from ksql.parser import parse_expression
from ksql.types import (
    BIGINT,
    BOOLEAN,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
)


def value(text: str, columns: dict[str, tuple[str, SqlType]] | None = None):
    """Type and value of an expression; `columns` maps names to (SQL literal, type)."""
    scope = MapScope({n: ResolvedColumn(sql, t) for n, (sql, t) in (columns or {}).items()})
    c = compile_expression(parse_expression(text), scope)
    con = duckdb.connect()
    attach(con)
    return c.type, con.execute(f"SELECT {c.sql} AS r").fetchall()[0][0]


@pytest.mark.parametrize(
    ("text", "type_", "expected"),
    [
        ("JSON_CONCAT('{\"a\": 1}', '{\"b\": 2}')", STRING, '{"a":1,"b":2}'),
        ('JSON_CONCAT(\'{"a": {"x": 1}}\', \'{"a": 2}\')', STRING, '{"a":2}'),
        ("JSON_CONCAT('[1, [2]]', '3', '{\"c\": 1}')", STRING, '[1,[2],3,{"c":1}]'),
        ("JSON_CONCAT('[1]', 'not json')", STRING, None),
        ("DOUBLE_FROM_BYTES(TO_BYTES('QICm/ZvJ9YI=', 'base64'))", DOUBLE, 532.8738323),
        (
            "DOUBLE_FROM_BYTES(TO_BYTES('gvXJm/2mgEA=', 'base64'), 'LITTLE_ENDIAN')",
            DOUBLE,
            532.8738323,
        ),
        ("SUBSTRING('hello', 0, 2)", STRING, "he"),
        ("SUBSTRING('hello', -9, 3)", STRING, "hel"),
        ("SUBSTRING('hello', NULL)", STRING, None),
        ("GENERATE_SERIES(4, 1)", ArrayType(INTEGER), [4, 3, 2, 1]),
        ("SPLIT('', '')", ArrayType(STRING), [""]),
        ("REGEXP_SPLIT_TO_ARRAY('a-b', NULL)", ArrayType(STRING), None),
        ("TRANSFORM(ARRAY[5, NULL], x => x + 5)", ArrayType(INTEGER), None),
        ("TRANSFORM(ARRAY[5, 6], x => x + 5)", ArrayType(INTEGER), [10, 11]),
        ("TRANSFORM(ARRAY['a', NULL], x => CONCAT(x, 'b'))", ArrayType(STRING), ["ab", "b"]),
        ("ARRAY[NULL, 10, '2e1', 30]", ArrayType(DecimalType(10, 0)), [None, 10, 20, 30]),
        ("MAP('a' := TRUE, 'b' := 'no', 'c' := 'true')", MapType(STRING, BOOLEAN), None),
    ],
)
def test_values(text: str, type_, expected) -> None:
    t, v = value(text)
    if text.startswith("MAP("):
        assert (t, v) == (type_, {"a": True, "b": False, "c": True})
        return
    assert t == type_
    if isinstance(expected, float):
        assert v == pytest.approx(expected)
    else:
        assert v == expected


def test_log_with_an_invalid_base_is_nan() -> None:
    for base in ("1", "0", "-2"):
        assert math.isnan(value(f"LOG({base}, 13)")[1])
    assert math.isnan(value("LOG(10, -1)")[1])


def test_constructor_rejects_unparseable_string_literals() -> None:
    with pytest.raises(StatementError, match='invalid input syntax for type INTEGER: "hello"'):
        value("MAP('a' := 1, 'b' := 'hello')")
    with pytest.raises(StatementError, match='invalid input syntax for type INTEGER: "a"'):
        value("MAP('a' := 1, 10 := 2)")


def test_constructor_merges_struct_fields() -> None:
    t, v = value("ARRAY[STRUCT(x := 1), STRUCT(y := 'b')]")
    assert [f.name for f in t.element.fields] == ["X", "Y"]
    assert v == [{"X": 1, "Y": None}, {"X": None, "Y": "b"}]


def test_date_time_patterns_may_be_columns() -> None:
    # A sub-select is not a literal: the pattern takes the per-pattern path.
    cols = {"D": ("CAST('2022-01-01' AS DATE)", DATE), "F": ("(SELECT 'dd-MMM-yyyy')", STRING)}
    assert value("FORMAT_DATE(D, F)", cols) == (STRING, "01-Jan-2022")
    cols = {"S": ("(SELECT '11/05/2019')", STRING), "F": ("(SELECT 'dd/MM/yyyy')", STRING)}
    t, v = value("PARSE_DATE(S, F)", cols)
    assert t == DATE and str(v) == "2019-05-11"


def test_a_column_named_like_a_time_unit_is_a_column() -> None:
    cols = {"SECOND": ("CAST(7 AS INTEGER)", BIGINT)}
    assert value("ABS(SECOND)", cols) == (BIGINT, 7)


def _values(engine: Engine, topic: str) -> list:
    return [json.loads(r["value"]) for r in engine.read_topic(topic).to_pylist()]


def test_cube_explode_emits_every_combination_once(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(
            "CREATE STREAM s (id STRING KEY, a INT, b INT) "
            "WITH (kafka_topic='s', partitions=1, value_format='JSON');"
        )
        engine.execute("INSERT INTO s (id, a, b) VALUES ('x', 1, 2);")
        engine.execute("INSERT INTO s (id, a, b) VALUES ('y', 1, NULL);")
        engine.execute("CREATE STREAM out AS SELECT id, CUBE_EXPLODE(ARRAY[a, b]) AS c FROM s;")
        engine.run_until_idle()
        assert [r["C"] for r in _values(engine, "OUT")] == [
            [None, None], [None, 2], [1, None], [1, 2], [None, None], [1, None],
        ]  # fmt: skip


def test_format_date_with_a_pattern_column_end_to_end(tmp_path: Path) -> None:
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(
            "CREATE STREAM s (id INT KEY, d DATE, f STRING) "
            "WITH (kafka_topic='s', partitions=1, value_format='JSON');"
        )
        for days, fmt in ((0, "dd/MM/yyyy"), (1, "yyyy"), (2, "dd/MM/yyyy"), (3, None)):
            f = "NULL" if fmt is None else f"'{fmt}'"
            engine.execute(f"INSERT INTO s (id, d, f) VALUES (1, FROM_DAYS({days}), {f});")
        engine.execute("CREATE STREAM out AS SELECT id, FORMAT_DATE(d, f) AS t FROM s;")
        engine.run_until_idle()
        assert [r["T"] for r in _values(engine, "OUT")] == [
            "01/01/1970",
            "1970",
            "03/01/1970",
            None,
        ]


def test_zone_names_in_patterns_literal_and_column() -> None:
    ms = 1526075913000  # 2018-05-11T21:58:33Z
    t, v = value(f"TIMESTAMPTOSTRING({ms}, 'yyyy-MM-dd HH:mm:ss zzz', 'America/Los_Angeles')")
    assert t == STRING
    assert v == "2018-05-11 14:58:33 PDT"
    cols = {"F": ("(SELECT 'HH:mm z')", STRING)}
    assert value(f"TIMESTAMPTOSTRING({ms}, F, 'Europe/Paris')", cols)[1] == "23:58 CEST"
    assert value(f"TIMESTAMPTOSTRING({ms}, F)", cols)[1] == "21:58 UTC"


def test_parse_date_ignores_text_after_a_complete_date() -> None:
    t, v = value("PARSE_DATE('2003-12-24-01-01', 'yyyy-MM-dd')")
    assert t == DATE and str(v) == "2003-12-24"
    assert value("PARSE_DATE('x2003-12-24', 'yyyy-MM-dd')")[1] is None
    assert str(value("PARSE_DATE('01-Jan-2022 etc', 'dd-MMM-yyyy')")[1]) == "2022-01-01"
