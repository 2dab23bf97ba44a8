"""The logical plan builder: one function turns the analysis of any query into a plan tree.

Persistent and transient queries are built the same way; only their sink differs (a topic, or
the client). The shape follows ksqlDB's: source(s) and joins, WHERE, re-keying, the aggregation
and HAVING, the projection, the sink.
"""

from __future__ import annotations

from ksql import ast
from ksql.analyzer.aggregate import AggregateAnalysis
from ksql.analyzer.join_plan import JoinInput, JoinPlan
from ksql.analyzer.join_select import JoinAnalysis
from ksql.analyzer.rewrite import strip_qualifiers, walk
from ksql.analyzer.select import SelectAnalysis
from ksql.catalog import KEY, Source
from ksql.functions.table_functions import TABLE_FUNCTIONS
from ksql.plan.logical import (
    AggregateNode,
    AggregateTerm,
    Field,
    FilterNode,
    GroupingKey,
    JoinNode,
    PlanNode,
    ProjectedColumn,
    ProjectNode,
    RepartitionNode,
    SinkNode,
    SourceNode,
    TableFunctionNode,
    WindowedAggregateNode,
)

Analysis = SelectAnalysis | AggregateAnalysis | JoinAnalysis


def logical_plan(analysis: Analysis, sink: Source | None, *, kind: str | None = None) -> SinkNode:
    """The plan of a query; `sink` is None for a transient query (rows go to the client), whose
    result `kind` (STREAM or TABLE) is then derived from the analysis."""
    if isinstance(analysis, AggregateAnalysis):
        node = _aggregation(analysis)
    elif isinstance(analysis, JoinAnalysis):
        node = _joined(analysis.plan)
        node = _filtered(node, analysis.where)
        node = _rekeyed(node, analysis)
    else:
        node = source_node(analysis.source, analysis.alias)
        node = _filtered(node, analysis.where)
        node = _flat_mapped(node, analysis)
        node = _rekeyed(node, analysis)
    node = ProjectNode(node, tuple(_projected(c) for c in analysis.columns))
    if sink is not None:
        return SinkNode(node, sink.name, sink.kind, sink.topic, sink.key_format, sink.value_format)
    result_kind = kind or ("TABLE" if _is_table(analysis) else "STREAM")
    return SinkNode(node, None, result_kind, None, None, None, limit=analysis.limit)


def source_node(source: Source, alias: str | None = None) -> SourceNode:
    fields = tuple(Field(c.name, c.type, c.namespace) for c in source.columns)
    return SourceNode(
        source.name, alias or source.name, source.kind, source.topic, source.key_format,
        source.value_format, fields, source.window,
    )  # fmt: skip


def _is_table(analysis: Analysis) -> bool:
    return isinstance(analysis, AggregateAnalysis) or analysis.source.is_table


def _filtered(node: PlanNode, predicate: ast.Expr | None, clause: str = "WHERE") -> PlanNode:
    return node if predicate is None else FilterNode(node, predicate, clause)


def _flat_mapped(node: PlanNode, analysis: SelectAnalysis) -> PlanNode:
    calls = [
        e
        for c in analysis.columns
        if c.expr is not None
        for e in walk(c.expr)
        if isinstance(e, ast.FunctionCall) and e.name in TABLE_FUNCTIONS
    ]
    return TableFunctionNode(node, tuple(calls)) if calls else node


def _rekeyed(node: PlanNode, analysis: SelectAnalysis | JoinAnalysis) -> PlanNode:
    """PARTITION BY: the key columns of the result are the partitioning expressions."""
    if not analysis.repartitioned:
        return node
    keys = tuple(c.expr for c in analysis.columns if c.namespace == KEY and c.expr is not None)
    return RepartitionNode(node, keys, "PARTITION BY")


def _joined(plan: JoinPlan) -> PlanNode:
    """A left-deep tree: each JOIN clause joins the rows so far with one more input."""
    node: PlanNode = _input(plan.inputs[0])
    for step in plan.steps:
        node = JoinNode(
            node, _input(step.right), step.shape, step.kind, step.on, step.key_type,
            step.before_ms, step.after_ms, step.grace_ms,
        )  # fmt: skip
    return node


def _input(inp: JoinInput) -> SourceNode:
    return source_node(inp.source, inp.alias)


def _aggregation(analysis: AggregateAnalysis) -> PlanNode:
    if analysis.join is not None:
        node = _joined(analysis.join)
    else:
        node = source_node(analysis.source, analysis.alias)
    node = _filtered(node, analysis.where)
    keys = tuple(GroupingKey(k.name, k.type, k.expr) for k in analysis.keys)
    if analysis.join is None and _regroups(analysis):
        node = RepartitionNode(node, tuple(k.expr for k in keys if k.expr is not None), "GROUP BY")
    terms = tuple(
        AggregateTerm(c.output, c.function.name, c.call) for c in analysis.calls
    )
    if analysis.window is not None:
        node = WindowedAggregateNode(node, keys, terms, analysis.window, analysis.emit_final)
    else:
        node = AggregateNode(node, keys, terms)
    return _filtered(node, analysis.having, "HAVING")


def _regroups(analysis: AggregateAnalysis) -> bool:
    """Whether rows change partition: unless the GROUP BY is exactly the source's key columns
    (in any order: the same key then lands on the same partition). Cluster mode's repartition
    topic follows this node (plan/cluster_rules.py)."""
    keys = {c.name for c in analysis.source.key_columns}
    grouped = set()
    for key in analysis.keys:
        expr = strip_qualifiers(key.expr) if key.expr is not None else None
        grouped.add(expr.name if isinstance(expr, ast.ColumnRef) else None)
    return not keys or grouped != keys


def _projected(column) -> ProjectedColumn:
    return ProjectedColumn(column.name, column.type, column.namespace, column.expr)
