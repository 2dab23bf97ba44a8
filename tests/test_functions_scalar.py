"""Scalar functions: compiled SQL evaluated by DuckDB gives ksqlDB's results and types."""

from __future__ import annotations

import duckdb
import pytest

from ksql.compiler import compile_expression
from ksql.compiler.scope import MapScope
from ksql.errors import StatementError
from ksql.functions.java_time_format import to_strftime
from ksql.functions.python_udf import attach
from ksql.functions.registry import default_registry
from ksql.parser import parse_expression
from ksql.types import BIGINT, DOUBLE, INTEGER, STRING, ArrayType, MapType


def value(text: str):
    c = compile_expression(parse_expression(text), MapScope({}))
    con = duckdb.connect()
    attach(con)  # built-in functions that run as Python (EXTRACTJSONFIELD's lenient parse)
    return c.type, con.execute(f"SELECT {c.sql} AS r").fetchall()[0][0]


@pytest.mark.parametrize(
    ("text", "type_", "expected"),
    [
        ("ABS(-3)", INTEGER, 3),
        ("ROUND(2.5E0)", BIGINT, 3),
        ("ROUND(-2.5E0)", BIGINT, -2),
        ("POWER(2, 10)", DOUBLE, 1024.0),
        ("LOG(10, 100)", DOUBLE, 2.0),
        ("GREATEST(1, 5, NULL)", INTEGER, 5),
        ("CONCAT('a', NULL, 'b')", STRING, "ab"),
        ("SUBSTRING('hello', -3)", STRING, "llo"),
        ("SUBSTRING('hello', 2, 2)", STRING, "el"),
        ("INSTR('CORPORATE FLOOR', 'OR', 3, 2)", INTEGER, 14),
        ("INSTR('CORPORATE FLOOR', 'OR', -3)", INTEGER, 5),
        ("TRIM('\t x ')", STRING, "x"),
        ("MASK('My Test $123')", STRING, "Xx-Xxxx--nnn"),
        ("MASK_KEEP_LEFT('My Test $123', 4)", STRING, "My Txxx--nnn"),
        ("MASK_RIGHT('My Test $123', 4)", STRING, "My Test -nnn"),
        ("REGEXP_EXTRACT('(.*) (.*)', 'steven zhang', 2)", STRING, "zhang"),
        ("REGEXP_EXTRACT('x', 'abc')", STRING, None),
        ("SPLIT('a,b', ',')", ArrayType(STRING), ["a", "b"]),
        ("SPLIT_TO_MAP('a=1/b=2/a=3', '/', '=')", MapType(STRING, STRING), {"a": "3", "b": "2"}),
        ("ELT(2, 'a', 'b')", STRING, "b"),
        ("FIELD('b', 'a', 'b')", INTEGER, 2),
        ("ENCODE('Example!', 'ascii', 'base64')", STRING, "RXhhbXBsZSE="),
        ("ARRAY_DISTINCT(ARRAY[3, 1, 3, NULL, NULL])", ArrayType(INTEGER), [3, 1, None]),
        ("ARRAY_SORT(ARRAY[2, NULL, 1], 'DESC')", ArrayType(INTEGER), [2, 1, None]),
        ("ARRAY_UNION(ARRAY[1, 2], ARRAY[2, 3])", ArrayType(INTEGER), [1, 2, 3]),
        ("ARRAY_EXCEPT(ARRAY[1, 2, 1], ARRAY[2])", ArrayType(INTEGER), [1]),
        ("ARRAY_REMOVE(ARRAY[1, 2, 1], 1)", ArrayType(INTEGER), [2]),
        ("ARRAY_JOIN(ARRAY[1, NULL, 2], '|')", STRING, "1|null|2"),
        ("GENERATE_SERIES(1, 5, 2)", ArrayType(INTEGER), [1, 3, 5]),
        ("TRANSFORM(ARRAY[1, 2], x => x * 10)", ArrayType(INTEGER), [10, 20]),
        ("FILTER(ARRAY[1, 2, 3], x => x > 1)", ArrayType(INTEGER), [2, 3]),
        ("REDUCE(ARRAY[1, 2, 3], 0, (s, x) => s + x)", INTEGER, 6),
        ("REDUCE(MAP('a' := 1, 'bb' := 2), 0, (s, k, v) => s + LEN(k) * v)", INTEGER, 5),
        ("EXTRACTJSONFIELD('{\"a\": {\"b\": 1}}', '$.a.b')", STRING, "1"),
        ("JSON_ARRAY_LENGTH('[1, 2]')", INTEGER, 2),
        ("JSON_ARRAY_LENGTH('nope')", INTEGER, None),
        ("URL_EXTRACT_HOST('http://test@confluent.io:8080/p?q=1#f')", STRING, "confluent.io"),
        ("URL_EXTRACT_PORT('http://test@confluent.io:8080/p?q=1#f')", INTEGER, 8080),
        ("URL_EXTRACT_PARAMETER('http://x.com/?one=a&two=b', 'two')", STRING, "b"),
        ("TIMESTAMPTOSTRING(1526075913000, 'yyyy-MM-dd HH:mm:ss', 'America/Los_Angeles')", STRING, "2018-05-11 14:58:33"),
        # Zone offsets as Java prints them (Z: +HHMM; XXX/XX/X: "Z" for UTC).
        ("TIMESTAMPTOSTRING(1580318385000, 'HH:mm Z')", STRING, "17:19 +0000"),
        ("TIMESTAMPTOSTRING(1580318385000, 'HH:mm XXX', 'America/Los_Angeles')", STRING, "09:19 -08:00"),
        ("TIMESTAMPTOSTRING(1580318385000, 'HH:mm X', 'Asia/Kolkata')", STRING, "22:49 +0530"),
        ("TIMESTAMPTOSTRING(1580318385000, 'HH:mm XX', 'UTC')", STRING, "17:19 Z"),
        ("TIMESTAMPTOSTRING(1580318385000, 'HH:mm z Z', 'Europe/Paris')", STRING, "18:19 CET +0100"),
        ("STRINGTOTIMESTAMP('2018-05-11T21:58:33Z', 'yyyy-MM-dd''T''HH:mm:ssX')", BIGINT, 1526075913000),
    ],
)
def test_functions(text, type_, expected):
    assert value(text) == (type_, expected)


def test_signature_errors_name_the_function_in_lower_case():
    with pytest.raises(StatementError, match="Function 'greatest' does not accept parameters \\(STRING, INTEGER\\)."):
        value("GREATEST('a', 1)")
    with pytest.raises(StatementError, match="ambiguous method parameters \\(INTEGER, BIGINT\\)"):
        value("GREATEST(1, 10000000000)")


def test_registry_describes_functions():
    registry = default_registry()
    assert "SUBSTRING" in registry.names()
    assert registry.lookup("substring").description


@pytest.mark.parametrize(
    ("java", "duck"),
    [("yyyy-MM-dd", "%Y-%m-%d"), ("HH:mm:ss.SSS", "%H:%M:%S.%g"), ("yyyy-MM-dd'T'HH:mm:ssX", "%Y-%m-%dT%H:%M:%S%z")],
)
def test_java_patterns(java, duck):
    assert to_strftime(java) == duck
