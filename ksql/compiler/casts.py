"""CAST(x AS type) with ksqlDB's conversions (Java truncation, ISO text for temporals)."""

from __future__ import annotations

from ksql.compiler.sql import Compiled, cast_sql
from ksql.errors import StatementError
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
    SqlType,
    StructType,
)

_NUMERIC = (INTEGER, BIGINT, DOUBLE)


def to_string_sql(c: Compiled) -> str:
    """Text of a value as ksqlDB prints it."""
    t = c.type
    if t == TIMESTAMP:
        return f"strftime({c.sql}, '%Y-%m-%dT%H:%M:%S.%g')"
    if t == TIME:
        return f"strftime(CAST('1970-01-01' AS DATE) + {c.sql}, '%H:%M:%S')"
    if t == DOUBLE:
        return f"CAST({c.sql} AS VARCHAR)"
    if t == BYTES:
        return f"to_base64({c.sql})"
    return f"CAST({c.sql} AS VARCHAR)"


def compile_cast(value: Compiled, target: SqlType) -> Compiled:
    source = value.type
    if source is None:
        return Compiled(cast_sql("NULL", target), target)
    if source == target:
        return Compiled(value.sql, target)
    if target == STRING:
        return Compiled(to_string_sql(value), STRING)
    if target in (INTEGER, BIGINT) and (source == DOUBLE or isinstance(source, DecimalType)):
        return Compiled(f"TRY_CAST(trunc({value.sql}) AS {target.duckdb()})", target)
    if target in _NUMERIC or isinstance(target, DecimalType):
        if source == STRING:
            return Compiled(f"TRY_CAST(trim({value.sql}) AS {target.duckdb()})", target)
        if source in _NUMERIC or isinstance(source, DecimalType):
            return Compiled(f"TRY_CAST({value.sql} AS {target.duckdb()})", target)
    if target == BOOLEAN and source == STRING:
        return Compiled(f"(lower(trim({value.sql})) = 'true')", BOOLEAN)
    if target in (TIMESTAMP, DATE, TIME) and source in (STRING, TIMESTAMP, DATE, TIME):
        if source == TIME or (target == TIME and source == DATE):
            raise _cannot(source, target)
        return Compiled(f"TRY_CAST({value.sql} AS {target.duckdb()})", target)
    if target == BYTES and source == STRING:
        return Compiled(f"from_base64({value.sql})", BYTES)
    if isinstance(target, ArrayType | MapType | StructType) and type(source) is type(target):
        return Compiled(f"TRY_CAST({value.sql} AS {target.duckdb()})", target)
    raise _cannot(source, target)


def _cannot(source: SqlType, target: SqlType) -> StatementError:
    return StatementError(f"Cast of {source} to {target} is not supported")
