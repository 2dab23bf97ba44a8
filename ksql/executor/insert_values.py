"""INSERT INTO ... VALUES: evaluate the values, check each fits its column's type, encode in the
target's formats, append."""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from ksql import ast
from ksql.analyzer.rewrite import walk
from ksql.catalog import Source
from ksql.compiler import Compiled, compile_expression
from ksql.compiler.scope import MapScope
from ksql.compiler.sql import cast_sql
from ksql.errors import KsqlError, StatementError
from ksql.expr_text import format_expr
from ksql.formats.java_text import java_text
from ksql.functions.python_udf import attach as attach_udfs
from ksql.results import CommandResult
from ksql.runtime.encode import SinkEncoder
from ksql.types import BIGINT, ArrayType, MapType, SqlType, StructType, numeric_rank

# System columns a record gets from the log, never from INSERT VALUES (ROWTIME may be given).
_NOT_INSERTABLE = {"ROWPARTITION", "ROWOFFSET"}


def _assignable(value_type: SqlType | None, column_type: SqlType) -> bool:
    """Whether a value of `value_type` may go into a column of `column_type` as ksqlDB's
    coercer allows: the same type, NULL, numbers that widen (INT -> BIGINT -> DECIMAL ->
    DOUBLE, never back), and arrays, maps and structs whose parts do."""
    if value_type is None or value_type == column_type:
        return True
    if numeric_rank(value_type) >= 0 and numeric_rank(column_type) >= 0:
        return numeric_rank(value_type) <= numeric_rank(column_type)
    if isinstance(value_type, ArrayType) and isinstance(column_type, ArrayType):
        return _assignable(value_type.element, column_type.element)
    if isinstance(value_type, MapType) and isinstance(column_type, MapType):
        return _assignable(value_type.key, column_type.key) and _assignable(
            value_type.value, column_type.value
        )
    if isinstance(value_type, StructType) and isinstance(column_type, StructType):
        # Fields match by name whatever the case; a field the column lacks is dropped.
        targets = {f.name.upper(): f.type for f in column_type.fields}
        return all(
            _assignable(f.type, targets[f.name.upper()])
            for f in value_type.fields
            if f.name.upper() in targets
        )
    return False


def insert_values(engine, stmt: ast.InsertValues, text: str, session: dict[str, str]) -> CommandResult:
    target = engine.catalog.source(stmt.target)
    if target is None:
        raise StatementError(f"Cannot insert values into an unknown stream/table: {stmt.target}")
    if target.is_source:
        raise KsqlError(f"Cannot insert values into read-only {target.kind.lower()}: {stmt.target}")
    # Without a column list, values go to the key columns first, as ksqlDB's schema orders them.
    implicit = [*target.key_columns, *target.value_columns, *target.header_columns]
    names = list(stmt.columns) or [c.name for c in implicit]
    pseudo = [n for n in names if n.upper() in _NOT_INSERTABLE]
    if pseudo:
        raise KsqlError(f"Inserting into column `{pseudo[0].upper()}` is not allowed.")
    headers = [n for n in names if (c := target.column(n)) is not None and c.is_header]
    if headers:
        raise KsqlError(f"Cannot insert into HEADER columns: {', '.join(headers)}")
    if len(names) != len(stmt.values):
        if stmt.columns:
            raise KsqlError(
                "Failed to prepare statement: Expected number columns and values to match: "
                f"{len(names)}, {len(stmt.values)}"
            )
        raise KsqlError(
            "Expected a value for each column. Expected Columns: "
            f"[{', '.join(names)}]. Got [{', '.join(format_expr(v) for v in stmt.values)}]"
        )
    for value in stmt.values:
        _refuse_qualified_columns(value)
    row = _evaluate(target, names, stmt.values)
    timestamp = row.pop("ROWTIME", None)
    if timestamp is None:
        timestamp = int(time.time() * 1000)
    if target.is_table:
        missing = [c.name for c in target.key_columns if row.get(c.name) is None]
        if missing:
            raise KsqlError(
                f"Failed to insert values into '{target.name}'. Value for primary key column(s) "
                f"{', '.join(missing)} is required for tables"
            )
    table = pa.table(
        {c.name: pa.array([row.get(c.name)], c.type.arrow()) for c in target.columns if not c.is_header}
    )
    records = SinkEncoder(target, registry=engine.registry).encode(table, pa.array([timestamp], pa.int64()))
    engine.log.produce(target.topic, records)
    return CommandResult(text, "")


def _refuse_qualified_columns(expr: ast.Expr) -> None:
    """A value may not name a source's column: there is no source to read it from."""
    for node in walk(expr):
        if isinstance(node, ast.ColumnRef) and node.source is not None:
            raise KsqlError(
                f"Failed to prepare statement: '{node.source}' is not a valid stream/table "
                "name or alias."
            )


@dataclass(frozen=True, slots=True)
class _Value:
    """One value of the statement: the column it goes to and its compiled expression."""

    name: str
    column_type: SqlType
    compiled: Compiled


def _evaluate(target: Source, names: list[str], values: tuple[ast.Expr, ...]) -> dict:
    """Column name -> value, each cast to its column's type. A value that does not fit its
    column (a narrowing number, an overflow, another type) fails the statement: it is never
    stored as NULL."""
    scope = MapScope({})
    row = []
    for name, expr in zip(names, values, strict=True):
        column = target.column(name)
        if column is None and name != "ROWTIME":
            raise KsqlError(f"Column name {name} does not exist.")
        column_type = BIGINT if column is None else column.type
        row.append(_Value(name, column_type, compile_expression(expr, scope)))
    con = duckdb.connect()
    attach_udfs(con)  # user functions the values call
    if not all(_assignable(v.compiled.type, v.column_type) for v in row):
        raise _mismatch(con, target, row)
    casts = [cast_sql(v.compiled.sql, v.column_type) for v in row]
    try:
        result = con.execute("SELECT " + ", ".join(casts)).fetchone()
    except duckdb.Error:
        raise _mismatch(con, target, row) from None
    return dict(zip(names, result or (), strict=True))


def _mismatch(con: duckdb.DuckDBPyConnection, target: Source, row: list[_Value]) -> KsqlError:
    """The error of the first value that does not go into its column, as ksqlDB words it."""
    prefix = f"Failed to insert values into '{target.name}'."
    for v in row:
        try:
            (value,) = con.execute(f"SELECT {v.compiled.sql}").fetchone() or (None,)
        except duckdb.Error as error:
            return KsqlError(f"{prefix} {_first_line(error)}")
        if _assignable(v.compiled.type, v.column_type) and _casts(con, v):
            continue
        return KsqlError(
            f"{prefix} Expected type {v.column_type} for field {v.name} but got "
            f"{java_text(value)}({v.compiled.type})"
        )
    return KsqlError(f"{prefix} The values do not fit the columns' types.")


def _casts(con: duckdb.DuckDBPyConnection, value: _Value) -> bool:
    try:
        con.execute(f"SELECT {cast_sql(value.compiled.sql, value.column_type)}").fetchone()
    except duckdb.Error:
        return False
    return True


def _first_line(error: Exception) -> str:
    """DuckDB's reason without the SQL it quotes."""
    return str(error).split("\n", 1)[0]
