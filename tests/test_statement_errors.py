"""Statements ksqlDB refuses are refused here with its messages; INSERT VALUES without a column
list fills key columns first; pull queries read header columns and scan in key order."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from ksql.engine import Engine
from ksql.errors import KsqlError
from ksql.expr_text import format_expr
from ksql.parser import parse_expression


@pytest.fixture
def engine(tmp_path: Path):
    with Engine(tmp_path, properties={"auto.offset.reset": "earliest"}) as engine:
        engine.execute(
            "CREATE STREAM s (v INT, k STRING KEY) "
            "WITH (kafka_topic='s', partitions=1, value_format='JSON');"
        )
        yield engine


def _error(engine: Engine, sql: str) -> str:
    with pytest.raises(KsqlError) as info:
        engine.execute(sql)
    return str(info.value)


def test_insert_values_without_columns_fills_the_key_first(engine: Engine) -> None:
    engine.execute("INSERT INTO s VALUES ('key', 10);")
    [row] = engine.read_topic("s").to_pylist()
    assert (row["key"], row["value"]) == (b"key", b'{"V":10}')


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "INSERT INTO s (k, v) VALUES ('a');",
            "Failed to prepare statement: Expected number columns and values to match: 2, 1",
        ),
        (
            "INSERT INTO s (k, v) VALUES (foo.bar, 1);",
            "Failed to prepare statement: 'FOO' is not a valid stream/table name or alias.",
        ),
        (
            "INSERT INTO s (k, v, ROWOFFSET) VALUES ('a', 1, 5);",
            "Inserting into column `ROWOFFSET` is not allowed.",
        ),
        (
            "SELECT v + NULL FROM s EMIT CHANGES;",
            "Error processing expression: (V + null). "
            + "Arithmetic on types INTEGER and null are not supported.",
        ),
        (
            "CREATE STREAM t AS SELECT * FROM s LIMIT 3;",
            "CREATE STREAM AS SELECT statements don't support LIMIT clause.",
        ),
        (
            "SELECT k, v AS x, v AS x FROM s EMIT CHANGES;",
            "Duplicate value columns found in schema: `X` INTEGER",
        ),
    ],
)
def test_refused_statements_say_why(engine: Engine, sql: str, message: str) -> None:
    assert message in _error(engine, sql)


def test_pull_query_predicate_errors_name_the_predicate(engine: Engine) -> None:
    engine.execute("CREATE TABLE t AS SELECT k, COUNT(*) AS n FROM s GROUP BY k;")
    assert _error(engine, "SELECT * FROM t WHERE k = 11;") == (
        "Error in WHERE expression: Cannot compare K (STRING) to 11 (INTEGER) with EQUAL.\n"
        "Statement: (K = 11)"
    )


def test_pull_query_reads_header_columns_in_key_order(engine: Engine) -> None:
    engine.execute(
        "CREATE SOURCE TABLE h (id INT PRIMARY KEY, text STRING, tag BYTES HEADER('abc')) "
        "WITH (kafka_topic='h', partitions=2, value_format='DELIMITED');"
    )
    for key in (3, 1, 2):
        headers = [("abc", base64.b64decode("IQ=="))] if key != 2 else []
        engine.produce("h", key.to_bytes(4, "big"), f"t{key}".encode(), 1000 + key, headers)
    [result] = engine.execute("SELECT * FROM h;")
    assert list(result.rows) == [[1, "t1", b"!"], [2, "t2", None], [3, "t3", b"!"]]
    [result] = engine.execute("SELECT id FROM h WHERE id > 1 LIMIT 1;")
    assert list(result.rows) == [[2]]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a LIKE 'x%' ESCAPE '!'", "(A LIKE 'x%' ESCAPE '!')"),
        ("a NOT BETWEEN 1 AND 2", "(A NOT BETWEEN 1 AND 2)"),
        ("a IN (1, 'b')", "(A IN (1, 'b'))"),
        ("CASE WHEN a > 1 THEN 'x' ELSE 'y' END", "(CASE WHEN (A > 1) THEN 'x' ELSE 'y' END)"),
        ("TRANSFORM(arr, x => x + 1)", "TRANSFORM(ARR, (X) => (X + 1))"),
    ],
)
def test_messages_show_expressions_as_sql(text: str, shown: str) -> None:
    assert format_expr(parse_expression(text)) == shown
