"""SELECT analysis for single-source queries: output columns, key columns, compiled SQL."""

from __future__ import annotations

from dataclasses import dataclass

from ksql import ast
from ksql.analyzer.rewrite import strip_qualifiers, walk
from ksql.analyzer.scope import SourceScope
from ksql.catalog import KEY, VALUE, Catalog, Source
from ksql.compiler import compile_expression
from ksql.compiler.columns import select_list_sql  # noqa: F401 - executor imports it here
from ksql.errors import StatementError
from ksql.expr_text import format_expr
from ksql.functions.table_functions import TABLE_FUNCTIONS
from ksql.types import BOOLEAN, SqlType, StructType, check_storable

RESERVED_NAMES = ("ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND")


@dataclass(frozen=True, slots=True)
class OutputColumn:
    """One column of a query's output: how to compute it and where it goes."""

    name: str
    type: SqlType
    sql: str
    namespace: str = VALUE
    expr: ast.Expr | None = None


class KeyedColumns:
    """Mixin for analyses with `columns`: the key and the value columns of the output."""

    __slots__ = ()
    columns: tuple[OutputColumn, ...]

    @property
    def key_columns(self) -> tuple[OutputColumn, ...]:
        return tuple(c for c in self.columns if c.namespace == KEY)

    @property
    def value_columns(self) -> tuple[OutputColumn, ...]:
        return tuple(c for c in self.columns if c.namespace == VALUE)


@dataclass(frozen=True, slots=True)
class SelectAnalysis(KeyedColumns):
    """What a stateless query computes from its source, ready for planning."""

    source: Source
    alias: str
    where_sql: str | None
    columns: tuple[OutputColumn, ...]
    repartitioned: bool
    limit: int | None
    where: ast.Expr | None = None  # as written, for plans and EXPLAIN


@dataclass(slots=True)
class _Item:
    expr: ast.Expr
    alias: str | None
    name: str = ""


def _column_name(expr: ast.Expr) -> str | None:
    if isinstance(expr, ast.ColumnRef):
        return expr.name
    if isinstance(expr, ast.Dereference):
        return expr.field
    return None


def expand_select(
    query: ast.Query, scope: SourceScope, *, repartitioned: bool
) -> list[_Item]:
    """Expand `*`, `src.*` and `struct->*` into one item per column."""
    source = scope.source
    items: list[_Item] = []
    for item in query.select:
        if isinstance(item, ast.AllColumns):
            scope.check_qualifier(item.source)
            keys = [c for c in source.columns if c.namespace == KEY]
            others = [c for c in source.columns if c.namespace != KEY]
            # After PARTITION BY, ksqlDB has moved the old key into the value, after it.
            ordered = others + keys if repartitioned else keys + others
            for c in ordered:
                items.append(_Item(ast.ColumnRef(c.name), None))
        elif isinstance(item, ast.StructAll):
            items += expand_struct_all(item, scope)
        else:
            assert isinstance(item, ast.SelectColumn)
            items.append(_Item(item.expr, item.alias))
    return items


def expand_struct_all(item: ast.StructAll, scope) -> list[_Item]:
    """`struct->*`: one item per field of the struct."""
    compiled = compile_expression(item.expr, scope)
    if not isinstance(compiled.type, StructType):
        raise StatementError(f"Expression {format_expr(item.expr)} is not a struct")
    return [_Item(ast.Dereference(item.expr, f.name), f.name) for f in compiled.type.fields]


def name_items(
    items: list[_Item],
    source_names: set[str] | frozenset[str] = frozenset(),
    *,
    persistent: bool = True,
) -> None:
    """Give every item its output name: alias, column or field name, or KSQL_COL_n.

    Generated names skip names already used by the projection or the source; a struct
    field whose name is taken by the projection or the source gets a suffix (`B_1`), as
    ksqlDB names them.
    """
    taken = {i.alias for i in items if i.alias} | {
        n for i in items if not i.alias and isinstance(i.expr, ast.ColumnRef) and (n := i.expr.name)
    }
    generated_taken = taken | set(source_names)
    counter = 0
    for item in items:
        if item.alias:
            if item.alias in RESERVED_NAMES:
                raise StatementError(
                    f"`{item.alias}` is a reserved column name. "
                    "You cannot use it as an alias for a column."
                )
            item.name = item.alias
            continue
        name = _column_name(item.expr)
        if name is None:
            while f"KSQL_COL_{counter}" in generated_taken:
                counter += 1
            name = f"KSQL_COL_{counter}"
            counter += 1
        elif name in RESERVED_NAMES and persistent:
            # Transient queries may show ROWTIME, WINDOWSTART, ...; sinks may not store them.
            raise StatementError(
                f"Reserved column name in select: `{name}`. Please remove or alias the column."
            )
        elif isinstance(item.expr, ast.Dereference) and (name in taken or name in source_names):
            suffix = 1
            while f"{name}_{suffix}" in taken or f"{name}_{suffix}" in source_names:
                suffix += 1
            name = f"{name}_{suffix}"
        taken.add(name)
        item.name = name


def check_output_columns(columns: list[OutputColumn]) -> None:
    """Every output column has a type (a bare NULL has none) that can hold values, and a name
    of its own (ksqlDB names the second of two with its type)."""
    seen: set[str] = set()
    for column in columns:
        if column.type is None:
            raise StatementError(
                "Can't infer a type of null. Please explicitly cast it to a required type, "
                "e.g. CAST(null AS VARCHAR)."
            )
        check_storable(column.type)
        if column.name in seen:
            raise StatementError(
                f"Duplicate value columns found in schema: `{column.name}` {column.type}"
            )
        seen.add(column.name)


def compile_predicate(expr: ast.Expr, scope, clause: str, shown: ast.Expr | None = None) -> str:
    """SQL of a WHERE or HAVING condition; errors name the clause as ksqlDB does."""
    try:
        compiled = compile_expression(expr, scope)
    except StatementError as error:
        raise StatementError(f"Error in {clause} expression: {error.message}") from None
    if compiled.type not in (BOOLEAN, None):
        raise StatementError(
            f"Type error in {clause} expression: Should evaluate to boolean but is "
            f"{format_expr(shown or expr)} ({compiled.type}) instead."
        )
    return compiled.sql


def analyze_select(
    query: ast.Query,
    catalog: Catalog,
    session: dict[str, str],
    *,
    sink_name: str | None,
    sink_kind: str | None,
) -> SelectAnalysis:
    """Analyze a single-source query without aggregation or joins."""
    if not isinstance(query.from_, ast.SourceRef):
        raise StatementError("Joins are not supported yet")
    source = catalog.require_source(query.from_.name)
    if source.is_table and source.window is not None and sink_kind is not None:
        raise StatementError("KSQL does not support persistent queries on windowed tables.")
    scope = SourceScope(source, query.from_.alias)
    repartitioned = bool(query.partition_by)
    items = expand_select(query, scope, repartitioned=repartitioned)
    name_items(items, {c.name for c in source.columns}, persistent=sink_kind is not None)
    if source.is_table and any(uses_table_function(i.expr) for i in items):
        raise StatementError("Table source is not supported with table functions")

    where_sql = None
    if query.where is not None:
        where_sql = compile_predicate(query.where, scope.with_context("WHERE"), "WHERE")

    try:
        compiled = [compile_expression(i.expr, scope) for i in items]
    except StatementError as error:
        raise StatementError(f"Invalid Select: {error.message}") from None
    if repartitioned:
        columns = _partitioned_columns(query, scope, items, compiled, sink_name)
    else:
        new_planner = str(session.get("ksql.new.query.planner.enabled", "false")).lower() == "true"
        columns = _keyed_columns(source, items, compiled, sink_name, sink_kind, new_planner)
    check_output_columns(columns)
    if sink_kind is not None and not any(c.namespace == VALUE for c in columns):
        raise StatementError("The projection contains no value columns.")
    return SelectAnalysis(
        source=source,
        alias=scope.alias,
        where_sql=where_sql,
        columns=tuple(columns),
        repartitioned=repartitioned,
        limit=query.limit,
        where=query.where,
    )


def _keyed_columns(
    source: Source,
    items: list[_Item],
    compiled: list,
    sink_name: str | None,
    sink_kind: str | None,
    new_planner: bool,
) -> list[OutputColumn]:
    """Without PARTITION BY the key columns pass through: find them in the projection."""
    key_names = [c.name for c in source.key_columns]
    key_at: dict[str, int] = {}
    for index, item in enumerate(items):
        expr = item.expr
        if isinstance(expr, ast.ColumnRef) and expr.name in key_names and expr.name not in key_at:
            key_at[expr.name] = index
    missing = [k for k in key_names if k not in key_at]
    if missing and sink_name is not None and (source.is_table or not new_planner):
        raise StatementError(
            f"The query used to build `{sink_name}` must include the key column {missing[0]} "
            f"in its projection (eg, SELECT {missing[0]}...)."
        )
    if sink_kind is not None:
        for name, first in key_at.items():
            _check_key_once(items, first, ast.ColumnRef(name))
    columns: list[OutputColumn] = []
    if sink_kind is not None:
        order = sorted(key_at.values()) if new_planner else [key_at[k] for k in key_names if k in key_at]
        if missing and not source.is_table:
            order = []  # a stream that drops part of its key becomes keyless
        for index in order:
            c = compiled[index]
            columns.append(OutputColumn(items[index].name, c.type, c.sql, KEY, items[index].expr))
        key_indexes = set(order)
    else:
        key_indexes = set()
    for index, item in enumerate(items):
        if index in key_indexes:
            continue
        c = compiled[index]
        columns.append(OutputColumn(item.name, c.type, c.sql, VALUE, item.expr))
    return columns


def _check_key_once(items: list[_Item], first: int, key_expr: ast.Expr) -> None:
    """A key column may appear once in the projection; ksqlDB names every alias it got."""
    aliases = [
        it.name for i, it in enumerate(items) if i == first or strip_qualifiers(it.expr) == key_expr
    ]
    if len(aliases) > 1:
        raise StatementError(
            f"The projection contains a key column (`{format_expr(key_expr)}`) more than once, "
            f"aliased as: {' and '.join(aliases)}."
        )


def _partitioned_columns(
    query: ast.Query,
    scope: SourceScope,
    items: list[_Item],
    compiled: list,
    sink_name: str | None,
) -> list[OutputColumn]:
    """PARTITION BY: the partition expressions become the key, named from the projection."""
    columns: list[OutputColumn] = []
    used: set[int] = set()
    taken = {i.name for i in items}
    counter = 0
    is_null = [isinstance(e, ast.Literal) and e.kind == "NULL" for e in query.partition_by]
    if any(is_null) and len(is_null) > 1:
        raise StatementError("Cannot PARTITION BY multiple columns including NULL")
    for expr in query.partition_by:
        if isinstance(expr, ast.Literal) and expr.kind == "NULL":
            continue  # PARTITION BY NULL: a keyless stream
        c = compile_expression(expr, scope.with_context("PARTITION BY"))
        sql = c.sql if _uses_only_keys(expr, scope.source) else f'(CASE WHEN NOT "__DELETED" THEN {c.sql} END)'
        bare = strip_qualifiers(expr)
        match = next(
            (i for i, it in enumerate(items) if strip_qualifiers(it.expr) == bare and i not in used),
            None,
        )
        if match is not None:
            _check_key_once(items, match, bare)
            used.add(match)
            name = items[match].name
        else:
            name = _column_name(expr)
            if name is not None and name in taken and sink_name is not None:
                shown = f"{scope.source.name}.{format_expr(bare)}"
                raise StatementError(
                    f"The query used to build `{sink_name}` must include the partitioning "
                    f"expression {shown} in its projection (eg, SELECT {shown}...)."
                )
            if name is None:
                while f"KSQL_COL_{counter}" in taken:
                    counter += 1
                name = f"KSQL_COL_{counter}"
                counter += 1
            taken.add(name)
        columns.append(OutputColumn(name, c.type, sql, KEY, expr))
    key_names = {c.name for c in columns}
    for index, item in enumerate(items):
        if index in used or item.name in key_names:
            continue
        c = compiled[index]
        columns.append(OutputColumn(item.name, c.type, c.sql, VALUE, item.expr))
    return columns


def uses_table_function(expr: ast.Expr) -> bool:
    return any(
        isinstance(node, ast.FunctionCall) and node.name in TABLE_FUNCTIONS for node in walk(expr)
    )


def _uses_only_keys(expr: ast.Expr, source: Source) -> bool:
    """Whether an expression can be computed for a record without a value."""
    keys = {c.name for c in source.key_columns} | set(RESERVED_NAMES)
    return all(
        node.name in keys for node in walk(expr) if isinstance(node, ast.ColumnRef)
    )
