"""CAST(x AS type) with ksqlDB's conversions (Java truncation, ISO text for temporals)."""

from __future__ import annotations

import itertools

from ksql.compiler.sql import Compiled, cast_sql, sql_string
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
    TypeReference,
)

_NUMERIC = (INTEGER, BIGINT, DOUBLE)


def _java_text(sql: str, t: SqlType | None, depth: int = 0) -> str:
    """Text of a (possibly nested) value as Java prints it: Struct{A=1,B=x}, [1, null], {k=v}."""
    v = f"__v{depth}"
    if isinstance(t, StructType):
        parts = [
            f"CASE WHEN struct_extract({sql}, {sql_string(f.name)}) IS NOT NULL THEN "
            f"{sql_string(f.name + '=')} || "
            f"{_java_text(f'struct_extract({sql}, {sql_string(f.name)})', f.type, depth + 1)} END"
            for f in t.fields
        ]
        inner = f"concat_ws(',', {', '.join(parts)})" if parts else "''"
        return f"(CASE WHEN {sql} IS NOT NULL THEN 'Struct{{' || {inner} || '}}' END)"
    if isinstance(t, ArrayType):
        element = f"coalesce({_java_text(v, t.element, depth + 1)}, 'null')"
        listed = f"array_to_string(list_transform({sql}, lambda {v}: {element}), ', ')"
        return f"(CASE WHEN {sql} IS NOT NULL THEN '[' || {listed} || ']' END)"
    if isinstance(t, MapType):
        key = _java_text(f"{v}.key", t.key, depth + 1)
        value = f"coalesce({_java_text(f'{v}.value', t.value, depth + 1)}, 'null')"
        entries = f"list_transform(map_entries({sql}), lambda {v}: {key} || '=' || {value})"
        return f"(CASE WHEN {sql} IS NOT NULL THEN '{{' || array_to_string({entries}, ', ') || '}}' END)"
    return to_string_sql(Compiled(sql, t))


def to_string_sql(c: Compiled) -> str:
    """Text of a value as ksqlDB prints it."""
    t = c.type
    if isinstance(t, StructType | ArrayType | MapType):
        return _java_text(c.sql, t)
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
    unresolved = _type_reference(target)
    if unresolved is not None:  # a custom type (CREATE TYPE) names no type in an expression
        raise StatementError(f"Unknown type: {unresolved}")
    source = value.type
    if source is None:
        return Compiled(cast_sql("NULL", target), target)
    if source == target:
        return Compiled(value.sql, target)
    if target == STRING:
        return Compiled(to_string_sql(value), STRING)
    if target == INTEGER and source == BIGINT:
        # Java's long -> int keeps the low 32 bits.
        low = f"(CAST({value.sql} AS BIGINT) & 4294967295)"
        return Compiled(
            f"CAST(CASE WHEN {low} >= 2147483648 THEN {low} - 4294967296 ELSE {low} END AS INTEGER)",
            INTEGER,
        )
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
    if isinstance(target, ArrayType) and isinstance(source, ArrayType):
        # Elements convert by the same rules as scalars.
        v = f"__c{next(_LAMBDA_VARS)}"
        element = compile_cast(Compiled(v, source.element), target.element).sql
        return Compiled(f"list_transform({value.sql}, lambda {v}: {element})", target)
    if isinstance(target, MapType) and isinstance(source, MapType):
        v = f"__c{next(_LAMBDA_VARS)}"
        key = compile_cast(Compiled(f"{v}.key", source.key), target.key).sql
        item = compile_cast(Compiled(f"{v}.value", source.value), target.value).sql
        entries = f"list_transform(map_entries({value.sql}), lambda {v}: {{'key': {key}, 'value': {item}}})"
        return Compiled(cast_sql(f"map_from_entries({entries})", target), target)
    if isinstance(target, StructType) and isinstance(source, StructType):
        return Compiled(f"TRY_CAST({value.sql} AS {target.duckdb()})", target)
    raise _cannot(source, target)


_LAMBDA_VARS = itertools.count()


def _type_reference(t: SqlType) -> str | None:
    """The first custom type name inside `t`, or None."""
    if isinstance(t, TypeReference):
        return t.name
    if isinstance(t, ArrayType):
        return _type_reference(t.element)
    if isinstance(t, MapType):
        return _type_reference(t.key) or _type_reference(t.value)
    if isinstance(t, StructType):
        return next((name for f in t.fields if (name := _type_reference(f.type))), None)
    return None


def _cannot(source: SqlType, target: SqlType) -> StatementError:
    return StatementError(f"Cast of {source} to {target} is not supported")
