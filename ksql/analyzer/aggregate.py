"""GROUP BY analysis: grouping keys, aggregate calls, and the projection over aggregated rows.

An aggregation runs in three steps (ksql/runtime/aggregation_query.py):
1. a pre-projection over the source batch computes the group key columns `__K<i>` and the
   argument columns `__A<i>_<j>` of every aggregate call;
2. the aggregate operator turns those into running aggregates `__AGG<i>` per group (and window);
3. the projection below computes the output columns (and HAVING) from the aggregated rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from ksql import ast
from ksql.analyzer.join_flatten import flatten_join
from ksql.analyzer.join_plan import JoinPlan
from ksql.analyzer.rewrite import strip_qualifiers, transform, walk
from ksql.analyzer.scope import SourceScope
from ksql.analyzer.select import (
    KeyedColumns,
    OutputColumn,
    _Item,
    check_output_columns,
    compile_predicate,
    expand_select,
    name_items,
    uses_table_function,
)
from ksql.catalog import KEY, VALUE, Catalog, Source
from ksql.compiler import compile_expression
from ksql.compiler.scope import MapScope, ResolvedColumn
from ksql.errors import StatementError
from ksql.expr_text import format_expr
from ksql.functions.aggregates import Arg, aggregate_registry
from ksql.functions.aggregates.base import AggregateFunction
from ksql.types import BIGINT, INTEGER, PrimitiveType, SqlType, quote_identifier

WINDOW_BOUNDS = ("WINDOWSTART", "WINDOWEND")


@dataclass(frozen=True, slots=True)
class AggregateCall:
    """One aggregate of the query, bound to its argument types."""

    function: AggregateFunction
    arg_sqls: tuple[str, ...]  # over the source batch
    arg_names: tuple[str, ...]  # the operator's input columns
    output: str  # the operator's output column
    call: ast.FunctionCall | None = None  # as written in the query


@dataclass(frozen=True, slots=True)
class GroupKey:
    name: str  # the operator's key column
    type: SqlType
    sql: str  # over the source batch
    expr: ast.Expr | None = None  # as written in GROUP BY; None for the keyless push query's


@dataclass(frozen=True, slots=True)
class AggregateAnalysis(KeyedColumns):
    """What an aggregation computes, ready for the runtime."""

    source: Source
    alias: str
    where_sql: str | None
    keys: tuple[GroupKey, ...]
    calls: tuple[AggregateCall, ...]
    window: ast.WindowSpec | None
    emit_final: bool
    columns: tuple[OutputColumn, ...]  # sql over the aggregated rows
    having_sql: str | None
    limit: int | None
    join: JoinPlan | None = None  # set when aggregating the rows of a join
    where: ast.Expr | None = None  # as written, for plans and EXPLAIN
    having: ast.Expr | None = None


def is_aggregation(query: ast.Query) -> bool:
    """GROUP BY, a WINDOW, or an aggregate function anywhere in the projection."""
    if query.group_by or query.window is not None:
        return True
    return any(
        isinstance(item, ast.SelectColumn) and _has_aggregate(item.expr) for item in query.select
    )


class _Rewriter:
    """Replaces aggregate calls and grouping expressions with the operator's columns."""

    def __init__(
        self,
        scope: SourceScope,
        group_exprs: list[ast.Expr],
        properties: dict[str, str],
        windowed: bool,
    ):
        self.scope = scope
        self.windowed = windowed
        self.group_exprs = [strip_qualifiers(e) for e in group_exprs]
        self.properties = properties
        self.calls: list[AggregateCall] = []
        self.call_index: dict[ast.Expr, str] = {}
        self.registry = aggregate_registry()

    def rewrite(self, expr: ast.Expr, context: str) -> tuple[ast.Expr, list[ast.Expr]]:
        """The rewritten expression and the source columns it still uses (not allowed)."""
        loose: list[ast.Expr] = []

        def visit(node: ast.Expr) -> ast.Expr | None:
            stripped = strip_qualifiers(node)
            if stripped in self.group_exprs:
                return ast.ColumnRef(f"__K{self.group_exprs.index(stripped)}")
            if isinstance(node, ast.FunctionCall) and self.registry.is_aggregate(node.name):
                return ast.ColumnRef(self._call(node))
            if isinstance(node, ast.ColumnRef):
                if node.name in WINDOW_BOUNDS and self.windowed:
                    return ast.ColumnRef(node.name)
                loose.append(node)
                return node
            return None

        return transform(expr, visit), loose

    def original_names(self, message: str) -> str:
        """A message about rewritten expressions, with the user's expressions put back."""
        names = {out: format_expr(call) for call, out in self.call_index.items()}
        names.update({f"__K{i}": format_expr(e) for i, e in enumerate(self.group_exprs)})
        for name in sorted(names, key=len, reverse=True):
            message = message.replace(name, names[name])
        return message

    def _call(self, call: ast.FunctionCall) -> str:
        key = strip_qualifiers(call)
        if key in self.call_index:
            return self.call_index[key]
        index = len(self.calls)
        args = [a for a in call.args if not isinstance(a, ast.Star)]
        bound_args = []
        compiled = []
        for a in args:
            if isinstance(a, ast.Literal):
                c = compile_expression(a, self.scope)
                bound_args.append(Arg(c.type, True, _literal_value(a)))
                compiled.append(c)
            else:
                c = compile_expression(a, self.scope)
                bound_args.append(Arg(c.type))
                compiled.append(c)
        bound = self.registry.bind(call.name, bound_args, self.properties)
        arg_sqls = tuple(compiled[i].sql for i in bound.column_args)
        names = tuple(f"__A{index}_{j}" for j in range(len(arg_sqls)))
        output = f"__AGG{index}"
        self.calls.append(AggregateCall(bound.function, arg_sqls, names, output, call))
        self.call_index[key] = output
        return output


def _has_aggregate(expr: ast.Expr) -> bool:
    registry = aggregate_registry()
    return any(
        isinstance(node, ast.FunctionCall) and registry.is_aggregate(node.name)
        for node in walk(expr)
    )


def _literal_value(lit: ast.Literal):
    if lit.kind in ("INTEGER", "BIGINT"):
        return int(lit.value)
    if lit.kind == "DOUBLE":
        return float(lit.value)
    return lit.value


def _check_window(window: ast.WindowSpec) -> None:
    """Window sizes Kafka Streams accepts, with its messages."""
    if window.kind == "SESSION":
        if window.size_ms <= 0:
            raise StatementError("Gap time cannot be zero or negative.")
        return
    if window.size_ms <= 0:
        raise StatementError("Window size (sizeMs) must be larger than zero.")
    advance = window.advance_ms
    if advance is not None and not 0 < advance <= window.size_ms:
        raise StatementError(
            "Window advancement interval should be more than zero and less than window "
            f"duration which is {window.size_ms} ms, but given advancement interval is: "
            f"{advance} ms"
        )


def analyze_aggregate(
    query: ast.Query,
    catalog: Catalog,
    session: dict[str, str],
    *,
    sink_name: str | None,
) -> AggregateAnalysis:
    """Analyze a GROUP BY query (optionally windowed) over a source or a join."""
    exprs = [i.expr for i in query.select if isinstance(i, ast.SelectColumn)]
    if query.having is not None:
        exprs.append(query.having)
    if query.window is not None and not query.group_by and not any(map(_has_aggregate, exprs)):
        raise StatementError("WINDOW clause requires a GROUP BY clause.")
    if query.window is not None:
        _check_window(query.window)
    join = None
    if isinstance(query.from_, ast.JoinRelation):
        # Over a join, aggregate the joined rows as one flat source.
        query, source, join = flatten_join(query, catalog)
    else:
        source = catalog.require_source(query.from_.name)
    _check_source(source, sink_name)
    scope = SourceScope(source, query.from_.alias)
    items = expand_select(query, scope, repartitioned=False)
    name_items(items, {c.name for c in source.columns}, persistent=sink_name is not None)
    _check_functions_exist(items, query.having)
    if any(uses_table_function(i.expr) for i in items):
        raise StatementError("Table functions cannot be used with aggregations.")

    where_sql = None
    if query.where is not None:
        if source.window is None:
            for node in walk(query.where):
                if isinstance(node, ast.ColumnRef) and node.name in WINDOW_BOUNDS:
                    raise StatementError(f"Error in WHERE expression: Unknown column {node.name}.")
        where_sql = compile_predicate(query.where, scope.with_context("WHERE"), "WHERE")

    group_exprs = list(query.group_by)
    keys = _group_keys(group_exprs, scope, source)
    if not keys and sink_name is None:
        # A push query aggregating without GROUP BY folds every record into one group; its
        # key is not shown.
        keys = [GroupKey("__K0", INTEGER, "0")]
    rewriter = _Rewriter(scope, group_exprs, session, windowed=query.window is not None)
    rewritten: list[ast.Expr] = []
    loose_names: list[str] = []
    for item in items:
        expr, loose = rewriter.rewrite(item.expr, "SELECT")
        rewritten.append(expr)
        if loose:
            loose_names.append(format_expr(item.expr))
    if query.group_by and not rewriter.calls and not (
        query.having is not None and _has_aggregate(query.having)
    ):
        raise StatementError(
            "GROUP BY requires aggregate functions in either the SELECT or HAVING clause."
        )
    if loose_names:
        raise StatementError(
            "Non-aggregate SELECT expression(s) not part of GROUP BY: " + ", ".join(loose_names)
            + "\nEither add the column(s) to the GROUP BY or remove them from the SELECT."
        )
    having_expr = None
    if query.having is not None:
        _no_window_bounds(query.having)
        having_expr, loose = rewriter.rewrite(query.having, "HAVING")
        if loose:
            raise StatementError(
                "Non-aggregate HAVING expression not part of GROUP BY: "
                + ", ".join(n.name for n in loose if isinstance(n, ast.ColumnRef))
            )
    if not rewriter.calls:
        raise StatementError(
            "GROUP BY requires aggregate functions in either the SELECT or HAVING clause."
        )
    if source.is_table:
        aggregate_registry().check_table_source([c.function for c in rewriter.calls])
    _check_intermediate_types(source, rewriter.calls)

    agg_scope = _aggregated_scope(keys, rewriter.calls, windowed=query.window is not None)
    columns = _output_columns(items, rewritten, agg_scope, keys, group_exprs, sink_name)
    check_output_columns(columns)
    if sink_name is not None and not any(c.namespace == VALUE for c in columns):
        raise StatementError("The projection contains no value columns.")
    having_sql = None
    if having_expr is not None:
        try:
            having_sql = compile_predicate(having_expr, agg_scope, "HAVING", query.having)
        except StatementError as error:
            raise StatementError(rewriter.original_names(error.message)) from None
    return AggregateAnalysis(
        source=source,
        alias=scope.alias,
        where_sql=where_sql,
        keys=tuple(keys),
        calls=tuple(rewriter.calls),
        window=query.window,
        emit_final=query.emit == "FINAL",
        columns=tuple(columns),
        having_sql=having_sql,
        limit=query.limit,
        join=join,
        where=query.where,
        having=query.having,
    )


def _check_source(source: Source, sink_name: str | None) -> None:
    if source.is_table and source.window is not None and sink_name is not None:
        raise StatementError("KSQL does not support persistent queries on windowed tables.")
    if source.value_format.name == "KAFKA":
        raise StatementError(
            f"Source(s) {source.name} are using the 'KAFKA' value format. "
            "This format does not yet support GROUP BY."
        )


def _check_functions_exist(items: list[_Item], having: ast.Expr | None) -> None:
    """Unknown functions are reported as such, before GROUP BY membership."""
    from ksql.functions.registry import default_registry

    scalar, aggregates = default_registry(), aggregate_registry()
    exprs = [i.expr for i in items] + ([having] if having is not None else [])
    for expr in exprs:
        for node in walk(expr):
            if isinstance(node, ast.FunctionCall) and not (
                scalar.lookup(node.name) or aggregates.is_aggregate(node.name)
            ):
                raise StatementError(f"Can't find any functions with the name '{node.name}'")


def _group_keys(group_exprs: list[ast.Expr], scope: SourceScope, source: Source) -> list[GroupKey]:
    seen: list[ast.Expr] = []
    keys = []
    for index, expr in enumerate(group_exprs):
        bare = strip_qualifiers(expr)
        if bare in seen:
            raise StatementError(
                f"Duplicate GROUP BY expression: {source.name}.{format_expr(bare)}"
            )
        seen.append(bare)
        _no_window_bounds(expr)
        for node in walk(expr):
            if isinstance(node, ast.FunctionCall) and aggregate_registry().is_aggregate(node.name):
                raise StatementError(
                    f"GROUP BY does not support aggregate functions: {node.name} is an "
                    "aggregate function."
                )
        c = compile_expression(expr, scope.with_context("GROUP BY"))
        keys.append(GroupKey(f"__K{index}", c.type, c.sql, expr))
    return keys


def _no_window_bounds(expr: ast.Expr) -> None:
    for node in walk(expr):
        if isinstance(node, ast.ColumnRef) and node.name in WINDOW_BOUNDS:
            raise StatementError(
                f"Window bounds column {node.name} can only be used in the SELECT clause of "
                "windowed aggregations"
            )


def _check_intermediate_types(source: Source, calls: list[AggregateCall]) -> None:
    """DELIMITED cannot hold structured intermediate aggregate state (AVG, TOPK, ...)."""
    if source.value_format.name != "DELIMITED":
        return
    for call in calls:
        state = call.function.state_types()
        if len(state) > 1 or any(not isinstance(t, PrimitiveType) for _, t in state):
            raise StatementError(
                "One of the functions used in the statement has an intermediate type that the "
                "value format can not handle. Please remove the function or change the format."
            )


def _aggregated_scope(keys: list[GroupKey], calls: list[AggregateCall], *, windowed: bool) -> MapScope:
    names: dict[str, ResolvedColumn] = {}
    for key in keys:
        names[key.name] = ResolvedColumn(quote_identifier(key.name), key.type)
    for call in calls:
        names[call.output] = ResolvedColumn(quote_identifier(call.output), call.function.result_type())
    if windowed:
        for bound in WINDOW_BOUNDS:
            names[bound] = ResolvedColumn(quote_identifier(bound), BIGINT)
    return MapScope(names)


def _output_columns(
    items: list[_Item],
    rewritten: list[ast.Expr],
    scope: MapScope,
    keys: list[GroupKey],
    group_exprs: list[ast.Expr],
    sink_name: str | None,
) -> list[OutputColumn]:
    """Group keys become the key columns, named after the projection item that selects them."""
    key_item: dict[str, int] = {}
    for index, expr in enumerate(rewritten):
        if isinstance(expr, ast.ColumnRef) and expr.name.startswith("__K"):
            if expr.name in key_item:
                first = items[key_item[expr.name]].name
                raise StatementError(
                    f"The projection contains a key column more than once: `{first}` and "
                    f"`{items[index].name}`."
                )
            key_item[expr.name] = index
    columns: list[OutputColumn] = []
    for position, key in enumerate(keys):
        index = key_item.get(key.name)
        if index is None:
            if sink_name is None:
                continue  # a transient query may leave keys out
            text = format_expr(group_exprs[position])
            raise StatementError(
                f"The query used to build `{sink_name}` must include the grouping expression "
                f"{text} in its projection (eg, SELECT {text}...)."
            )
        columns.append(OutputColumn(items[index].name, key.type, quote_identifier(key.name), KEY))
    used = set(key_item.values())
    for index, (item, expr) in enumerate(zip(items, rewritten, strict=True)):
        if index in used:
            continue
        c = compile_expression(expr, scope)
        columns.append(OutputColumn(item.name, c.type, c.sql, VALUE, item.expr))
    return columns
