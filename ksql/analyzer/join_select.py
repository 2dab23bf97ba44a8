"""JOIN analysis, part two: the projection and WHERE over joined rows, and the result's key.

Output names follow ksqlDB: `*` and `alias.*` give `ALIAS_COL`; a column named in only one
input keeps its name, one present in several inputs is named `ALIAS_COL`. The result is keyed
by the join key: the first projected column among the equivalent key expressions, or the
synthetic `ROWKEY` of outer joins and joins on expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ksql import ast
from ksql.analyzer.join_plan import JoinPlan, JoinScope, plan_join
from ksql.analyzer.select import (
    RESERVED_NAMES,
    KeyedColumns,
    OutputColumn,
    _Item,
    check_output_columns,
    compile_predicate,
    expand_struct_all,
    name_items,
)
from ksql.catalog import KEY, VALUE, Catalog, Column, Source
from ksql.compiler import compile_expression
from ksql.compiler.columns import KEY_COL
from ksql.errors import StatementError
from ksql.types import quote_identifier

KEY_MISSING = "Key missing from projection (ie, SELECT). See https://cnfl.io/2LV7ouS.\n"


@dataclass(frozen=True, slots=True)
class JoinAnalysis(KeyedColumns):
    """What a join query computes: the join plan, then a projection over joined rows."""

    source: Source  # the joined relation, as a source (formats of the left input)
    plan: JoinPlan
    alias: str
    where_sql: str | None
    columns: tuple[OutputColumn, ...]
    limit: int | None
    repartitioned: bool = False
    where: ast.Expr | None = None  # as written, for plans and EXPLAIN

    def needed_columns(self) -> frozenset[str]:
        """The joined columns the join keys, the projection and WHERE read."""
        sqls = [c.sql for c in self.columns] + [self.where_sql or ""]
        for step in self.plan.steps:
            sqls += [step.left_key_sql, step.right_key_sql]
        quoted = set(re.findall(r'"((?:[^"]|"")*)"', " ".join(sqls)))
        names = {n.replace('""', '"') for n in quoted}
        first = self.plan.inputs[0]
        if first.source.window is not None:
            names |= {f"{first.alias}_WINDOWSTART", f"{first.alias}_WINDOWEND"}
        return frozenset(names)


def is_join(query: ast.Query) -> bool:
    return isinstance(query.from_, ast.JoinRelation)


def analyze_join(
    query: ast.Query,
    catalog: Catalog,
    session: dict[str, str],
    *,
    sink_name: str | None,
    sink_kind: str | None,
) -> JoinAnalysis:
    assert isinstance(query.from_, ast.JoinRelation)
    plan = plan_join(query.from_, catalog)
    scope = plan.scope()
    items = _expand(query, scope)
    if sink_kind is not None:
        for item in items:
            if item.alias in RESERVED_NAMES:
                raise StatementError(
                    f"Reserved column name in select: `{item.alias}`. "
                    "Please remove or alias the column."
                )
    name_items(items, set(), persistent=sink_kind is not None)
    where_sql = None
    if query.where is not None:
        where_sql = compile_predicate(query.where, scope.with_context("WHERE"), "WHERE")
    try:
        compiled = [compile_expression(i.expr, scope) for i in items]
    except StatementError as error:
        raise StatementError(f"Invalid Select: {error.message}") from None
    if query.partition_by:
        columns = _partitioned_columns(query, scope, items, compiled)
    else:
        columns = _columns(plan, scope, items, compiled, sink_name, sink_kind)
    check_output_columns(columns)
    if sink_kind is not None and not any(c.namespace == VALUE for c in columns):
        raise StatementError("The projection contains no value columns.")
    first = plan.inputs[0].source
    joined = Source(
        name=plan.inputs[0].alias,
        kind="TABLE" if plan.is_table else "STREAM",
        topic=first.topic,
        columns=tuple(Column(c.name, c.type, c.namespace) for c in columns),
        key_format=first.key_format,
        value_format=first.value_format,
    )
    return JoinAnalysis(
        source=joined,
        plan=plan,
        alias=plan.inputs[0].alias,
        where_sql=where_sql,
        columns=tuple(columns),
        limit=query.limit,
        repartitioned=bool(query.partition_by),
        where=query.where,
    )


def _expand(query: ast.Query, scope: JoinScope) -> list[_Item]:
    items: list[_Item] = []
    for item in query.select:
        if isinstance(item, ast.AllColumns):
            inputs = scope.inputs if item.source is None else [scope.input_named(item.source)]
            if item.source is None and scope.synthetic is not None:
                items.append(_Item(ast.ColumnRef(scope.synthetic[0]), scope.synthetic[0]))
            for inp in inputs:
                for c in inp.columns:
                    if c.in_star:
                        items.append(_Item(ast.ColumnRef(c.name, inp.alias), c.joined))
        elif isinstance(item, ast.StructAll):
            items += expand_struct_all(item, scope)
        else:
            assert isinstance(item, ast.SelectColumn)
            expr = scope.qualify(item.expr)
            alias = item.alias
            if alias is None and isinstance(expr, ast.ColumnRef) and expr.source is not None:
                alias = scope.output_name(expr)
            items.append(_Item(expr, alias))
    return items


def _viable(plan: JoinPlan) -> list[ast.ColumnRef]:
    return [k for k in plan.key_exprs if isinstance(k, ast.ColumnRef)]


def _columns(plan, scope, items, compiled, sink_name, sink_kind) -> list[OutputColumn]:
    if sink_kind is None:
        return [
            OutputColumn(i.name, c.type, c.sql, VALUE, i.expr)
            for i, c in zip(items, compiled, strict=True)
        ]
    if plan.foreign_key:
        return _foreign_key_columns(plan, items, compiled, sink_name)
    synthetic = plan.synthetic
    if synthetic is not None:
        wanted = [ast.ColumnRef(synthetic[0])]
    else:
        wanted = _viable(plan)
    # The leftmost source's key wins, wherever it is in the projection.
    exprs = [i.expr for i in items]
    at = next((exprs.index(k) for k in wanted if k in exprs), None)
    if at is None:
        if synthetic is not None:
            name = synthetic[0]
            raise StatementError(
                f"{KEY_MISSING}The query used to build `{sink_name}` must include the join "
                f"expression {name} in its projection (eg, SELECT {name}...).\n"
                f"{name} was added as a synthetic key column because the join criteria did not "
                "match any source column. This expression must be included in the projection and "
                "may be aliased."
            )
        shown = [f"{k.source}.{k.name}" for k in wanted]
        listing = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + f" or {shown[-1]}"
        noun = "expression" if len(shown) == 1 else "expressions"
        raise StatementError(
            f"{KEY_MISSING}The query used to build `{sink_name}` must include the join {noun} "
            f"{listing} in its projection (eg, SELECT {shown[0]}...)."
        )
    _check_once(items, at, plan)
    key_item = items[at]
    columns = [
        OutputColumn(key_item.name, plan.key_type, quote_identifier(KEY_COL), KEY, key_item.expr)
    ]
    for n, (item, c) in enumerate(zip(items, compiled, strict=True)):
        if n != at:
            columns.append(OutputColumn(item.name, c.type, c.sql, VALUE, item.expr))
    return columns


def _partitioned_columns(query, scope: JoinScope, items, compiled) -> list[OutputColumn]:
    """PARTITION BY over a join: the expressions become the key, named from the projection."""
    columns: list[OutputColumn] = []
    used: set[int] = set()
    taken = {i.name for i in items}
    counter = 0
    for expr in query.partition_by:
        qualified = scope.qualify(expr)
        c = compile_expression(qualified, scope.with_context("PARTITION BY"))
        at = next((n for n, i in enumerate(items) if i.expr == qualified and n not in used), None)
        if at is not None:
            used.add(at)
            name = items[at].name
        elif isinstance(qualified, ast.ColumnRef):
            name = qualified.name
        else:
            while f"KSQL_COL_{counter}" in taken:
                counter += 1
            name = f"KSQL_COL_{counter}"
            taken.add(name)
        columns.append(OutputColumn(name, c.type, c.sql, KEY, qualified))
    keys = {c.name for c in columns}
    for n, (item, c) in enumerate(zip(items, compiled, strict=True)):
        if n not in used and item.name not in keys:
            columns.append(OutputColumn(item.name, c.type, c.sql, VALUE, item.expr))
    return columns


def _check_once(items, at: int, plan: JoinPlan) -> None:
    expr = items[at].expr
    names = sorted(i.name for i in items if i.expr == expr)
    if len(names) > 1:
        shown = (
            f"{expr.source}_{expr.name}"
            if isinstance(expr, ast.ColumnRef) and expr.source
            else expr.name
        )
        raise StatementError(
            f"The projection contains a key column (`{shown}`) more than once, "
            f"aliased as: {' and '.join(names)}."
        )


def _foreign_key_columns(plan, items, compiled, sink_name) -> list[OutputColumn]:
    """A foreign-key join keeps the left table's primary key."""
    left = plan.inputs[0]
    columns: list[OutputColumn] = []
    used: set[int] = set()
    for key in left.source.key_columns:
        ref = ast.ColumnRef(key.name, left.alias)
        at = next((n for n, i in enumerate(items) if i.expr == ref), None)
        if at is None:
            shown = f"{left.alias}.{key.name}"
            raise StatementError(
                f"{KEY_MISSING}The query used to build `{sink_name}` must include the join "
                f"expression {shown} in its projection (eg, SELECT {shown}...)."
            )
        names = sorted(i.name for i in items if i.expr == ref)
        if len(names) > 1:
            raise StatementError(
                f"The projection contains a key column (`{left.alias}_{key.name}`) more than "
                f"once, aliased as: {' and '.join(names)}."
            )
        used.add(at)
        c = compiled[at]
        columns.append(OutputColumn(items[at].name, c.type, c.sql, KEY, items[at].expr))
    for n, (item, c) in enumerate(zip(items, compiled, strict=True)):
        if n not in used:
            columns.append(OutputColumn(item.name, c.type, c.sql, VALUE, item.expr))
    return columns
