"""A join seen as one source: for a GROUP BY over a join, the joined rows become a flat
relation whose columns are the prefixed names (`L_A`, `R_ROWTIME`), and the query is
rewritten to read them, so the single-source aggregation analysis applies unchanged."""

from __future__ import annotations

import dataclasses

from ksql import ast
from ksql.analyzer.join_plan import JoinPlan, plan_join
from ksql.analyzer.rewrite import transform
from ksql.catalog import KEY, VALUE, Catalog, Column, Source
from ksql.compiler.columns import KEY_COL
from ksql.errors import StatementError


def flatten_join(query: ast.Query, catalog: Catalog) -> tuple[ast.Query, Source, JoinPlan]:
    """The query over the flat joined relation, that relation as a Source, and the join plan."""
    assert isinstance(query.from_, ast.JoinRelation)
    plan = plan_join(query.from_, catalog)
    scope = plan.scope()

    def rename(node: ast.Expr) -> ast.Expr | None:
        if isinstance(node, ast.ColumnRef):
            inp = scope.owner(node)
            if inp is None:
                return ast.ColumnRef(KEY_COL if node.name != "ROWTIME" else "ROWTIME")
            column = inp.column(node.name)
            assert column is not None
            return ast.ColumnRef(column.joined)
        return None

    def expr(e: ast.Expr | None) -> ast.Expr | None:
        return None if e is None else transform(e, rename)

    select: list[ast.SelectItem] = []
    for item in query.select:
        if isinstance(item, ast.SelectColumn):
            alias = item.alias
            if alias is None and isinstance(item.expr, ast.ColumnRef):
                alias = scope.output_name(item.expr)
            select.append(ast.SelectColumn(expr(item.expr), alias))
        else:
            raise StatementError("SELECT * is not supported with GROUP BY over a join.")
    first = plan.inputs[0]
    columns = [Column(c.joined, c.type, VALUE) for inp in plan.inputs for c in inp.columns]
    if plan.is_table:
        columns.insert(0, Column(KEY_COL, plan.key_type, KEY))
    flat = Source(
        name=first.alias,
        kind="TABLE" if plan.is_table else "STREAM",
        topic=first.source.topic,
        columns=tuple(columns),
        key_format=first.source.key_format,
        value_format=first.source.value_format,
    )
    rewritten = dataclasses.replace(
        query,
        select=tuple(select),
        from_=ast.SourceRef(flat.name),
        where=expr(query.where),
        group_by=tuple(expr(e) for e in query.group_by),
        having=expr(query.having),
        partition_by=tuple(expr(e) for e in query.partition_by),
    )
    return rewritten, flat, plan
