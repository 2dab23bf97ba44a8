"""Expression compiler: ksql expressions -> DuckDB SQL with ksqlDB types and semantics."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from ksql.compiler import compile_expression
from ksql.compiler.scope import MapScope, ResolvedColumn
from ksql.errors import StatementError
from ksql.parser import parse_expression
from ksql.types import (
    BIGINT,
    BOOLEAN,
    DOUBLE,
    INTEGER,
    STRING,
    ArrayType,
    DecimalType,
    MapType,
    StructField,
    StructType,
)  # fmt: skip

COLUMNS = {
    "I": (INTEGER, [7, -7, None]),
    "B": (BIGINT, [10, 3, 5]),
    "D": (DOUBLE, [1.5, 0.0, None]),
    "S": (STRING, ["abc", "Hello World", None]),
    "DEC": (DecimalType(4, 2), [None, None, None]),
    "A": (ArrayType(INTEGER), [[1, 2, 3], [], None]),
    "M": (MapType(STRING, INTEGER), [[("a", 1)], [], None]),
    "ST": (StructType((StructField("F", INTEGER),)), [{"F": 1}, None, {"F": None}]),
}
SCOPE = MapScope({n: ResolvedColumn(f'"{n}"', t) for n, (t, _) in COLUMNS.items()})


def batch() -> pa.Table:
    return pa.table({n: pa.array(v, type=t.arrow()) for n, (t, v) in COLUMNS.items()})


def run(text: str):
    c = compile_expression(parse_expression(text), SCOPE)
    con = duckdb.connect()
    con.register("batch", batch())
    return c.type, con.sql(f"SELECT {c.sql} AS r FROM batch").to_arrow_table().column("r").to_pylist()


@pytest.mark.parametrize(
    ("text", "type_", "values"),
    [
        ("I + 1", INTEGER, [8, -6, None]),
        ("I / 2", INTEGER, [3, -3, None]),
        ("I % 2", INTEGER, [1, -1, None]),
        ("I / 0", INTEGER, [None, None, None]),
        ("B * I", BIGINT, [70, -21, None]),
        ("D * 2", DOUBLE, [3.0, 0.0, None]),
        ("S || '!'", STRING, ["abc!", "Hello World!", None]),
        ("I > 0", BOOLEAN, [True, False, False]),
        ("I BETWEEN 0 AND 10", BOOLEAN, [True, False, None]),
        # ksqlDB: IN with a null value is false, like its comparisons with null.
        ("I IN (7, 8)", BOOLEAN, [True, False, False]),
        ("S LIKE 'H%'", BOOLEAN, [False, True, None]),
        ("S IS NULL", BOOLEAN, [False, False, True]),
        ("CASE WHEN I > 0 THEN 'pos' ELSE 'neg' END", STRING, ["pos", "neg", "neg"]),
        ("A[1]", INTEGER, [1, None, None]),
        ("A[-1]", INTEGER, [3, None, None]),
        ("M['a']", INTEGER, [1, None, None]),
        ("ST->F", INTEGER, [1, None, None]),
        ("ARRAY[1, 2]", ArrayType(INTEGER), [[1, 2]] * 3),
        ("CAST(I AS STRING)", STRING, ["7", "-7", None]),
        ("CAST(D AS INT)", INTEGER, [1, 0, None]),
    ],
)
def test_expressions(text, type_, values):
    assert run(text) == (type_, values)


def test_decimal_arithmetic_types():
    assert run("DEC + DEC")[0] == DecimalType(5, 2)
    assert run("DEC * DEC")[0] == DecimalType(9, 4)
    assert run("DEC + I")[0] == DecimalType(13, 2)
    assert run("DEC + D")[0] == DOUBLE


def test_decimal_products_are_exact():
    """Products keep ksqlDB's type (p1 + p2 + 1, s1 + s2) and every digit, whichever way the
    SQL multiplies them (in the operands' own types when that is exact)."""
    from decimal import Decimal

    assert run("0.908 * B") == (DecimalType(23, 3), [Decimal("9.080"), Decimal("2.724"), Decimal("4.540")])
    assert run("0.908 * I") == (DecimalType(14, 3), [Decimal("6.356"), Decimal("-6.356"), None])
    assert run("CAST(12.345 AS DECIMAL(5, 3)) * CAST(-6.7 AS DECIMAL(2, 1))")[1][0] == Decimal("-82.7115")
    capped = "CAST(1.5 AS DECIMAL(20, 2)) * CAST(2.5 AS DECIMAL(20, 2))"
    assert run(capped)[0] == DecimalType(38, 1)  # capped: multiplied in the result type instead


def test_incompatible_comparison_is_rejected():
    with pytest.raises(StatementError, match="Cannot compare I \\(INTEGER\\) to S \\(STRING\\)"):
        run("I = S")


def test_unsupported_arithmetic_message():
    with pytest.raises(StatementError, match="Unsupported arithmetic types. BOOLEAN INTEGER"):
        run("true + 1")


def test_unknown_column_and_function():
    with pytest.raises(StatementError):
        run("NOPE + 1")
    with pytest.raises(StatementError, match="Can't find any functions with the name 'FOO'"):
        run("FOO(1)")


def test_null_literal_has_no_type():
    c = compile_expression(parse_expression("NULL"), MapScope({}))
    assert c.type is None
