"""Table functions: one input row becomes zero or more output rows (EXPLODE).

They compile to DuckDB's `unnest`, which has ksqlDB's semantics: several table functions in one
SELECT advance together and the shorter ones give NULL; a NULL or empty array gives no rows.
"""

from __future__ import annotations

from ksql.compiler.sql import Compiled
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import ArrayType

TABLE_FUNCTIONS = frozenset({"EXPLODE"})


def _explode(values: Compiled) -> Compiled:
    if not isinstance(values.type, ArrayType):
        raise signature_error("EXPLODE", [values.type])
    return Compiled(f"unnest({values.sql})", values.type.element)


def register(registry) -> None:
    registry.register(
        ScalarFunction("EXPLODE", _explode, "One row per array element", "TABLE", (1, 1), kind="TABLE")
    )
