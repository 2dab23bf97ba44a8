"""Table functions: one input row becomes zero or more output rows (EXPLODE, CUBE_EXPLODE).

They compile to DuckDB's `unnest`, which has ksqlDB's semantics: several table functions in one
SELECT advance together and the shorter ones give NULL; a NULL or empty array gives no rows.
User table functions (ksql/udf.py) add their names to TABLE_FUNCTIONS when registered.
"""

from __future__ import annotations

from ksql.compiler.sql import Compiled
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import ArrayType

# Upper-case names of every table function, built-in and user-registered.
TABLE_FUNCTIONS: set[str] = {"EXPLODE", "CUBE_EXPLODE"}


def _explode(values: Compiled) -> Compiled:
    if not isinstance(values.type, ArrayType):
        raise signature_error("EXPLODE", [values.type])
    return Compiled(f"unnest({values.sql})", values.type.element)


def cube_sql(array_sql: str) -> str:
    """Every combination of the array's elements with some set to NULL, first seen once.

    Combination m (0 .. 2^n - 1) keeps element i when bit n-1-i of m is set, so the all-NULL
    combination comes first and the full array last, as in ksqlDB; a NULL element gives equal
    combinations, which are emitted once.
    """
    a = array_sql
    n = f"len({a})"
    combos = (
        f"list_transform(range(0, CAST(pow(2, {n}) AS BIGINT)), lambda m: "
        f"list_transform(range(0, {n}), lambda i: "
        f"CASE WHEN (m >> ({n} - 1 - i)) & 1 = 1 THEN {a}[i + 1] END))"
    )
    return f"list_filter({combos}, lambda c, j: list_position({combos}, c) = j)"


def _cube_explode(values: Compiled) -> Compiled:
    if not isinstance(values.type, ArrayType):
        raise signature_error("CUBE_EXPLODE", [values.type])
    return Compiled(f"unnest({cube_sql(values.sql)})", values.type)


def register(registry) -> None:
    registry.register(
        ScalarFunction(
            "EXPLODE", _explode, "One row per array element", "TABLE", (1, 1), kind="TABLE"
        )
    )
    registry.register(
        ScalarFunction(
            "CUBE_EXPLODE",
            _cube_explode,
            "One row per combination of the array's elements, each kept or set to NULL",
            "TABLE",
            (1, 1),
            kind="TABLE",
        )
    )
