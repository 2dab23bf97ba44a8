"""INSERT INTO ... VALUES: evaluate the literals, encode in the target's formats, append."""

from __future__ import annotations

import time

import duckdb
import pyarrow as pa

from ksql import ast
from ksql.analyzer.rewrite import walk
from ksql.catalog import Source
from ksql.compiler import compile_expression
from ksql.compiler.scope import MapScope
from ksql.errors import KsqlError, StatementError
from ksql.expr_text import format_expr
from ksql.functions.python_udf import attach as attach_udfs
from ksql.results import CommandResult
from ksql.runtime.encode import SinkEncoder
from ksql.types import BIGINT, SqlType, numeric_rank

# System columns a record gets from the log, never from INSERT VALUES (ROWTIME may be given).
_NOT_INSERTABLE = {"ROWPARTITION", "ROWOFFSET"}


def _assignable(value_type: SqlType | None, column_type: SqlType) -> bool:
    if value_type is None or value_type == column_type:
        return True
    if numeric_rank(value_type) >= 0 and numeric_rank(column_type) >= 0:
        return True
    return str(value_type) == str(column_type) or value_type.name == column_type.name


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


def _evaluate(target: Source, names: list[str], values: tuple[ast.Expr, ...]) -> dict:
    scope = MapScope({})
    selects = []
    for name, expr in zip(names, values, strict=True):
        if name == "ROWTIME":
            column_type: SqlType = BIGINT
        else:
            column = target.column(name)
            if column is None:
                raise KsqlError(f"Column name {name} does not exist.")
            column_type = column.type
        compiled = compile_expression(expr, scope)
        if not _assignable(compiled.type, column_type):
            raise KsqlError(
                f"Expected type {column_type} for field {name} but got {expr}({compiled.type})"
            )
        selects.append(f"TRY_CAST({compiled.sql} AS {column_type.duckdb()})")
    con = duckdb.connect()
    attach_udfs(con)  # user functions the values call
    rows = con.execute("SELECT " + ", ".join(selects)).fetchall()
    result = rows[0] if rows else None
    return dict(zip(names, result, strict=True)) if result else {}
