"""Logical plan nodes: what a query computes, as a tree of typed relational steps.

Nodes hold typed expressions as the user wrote them (AST nodes), never SQL text: the physical
planner (`physical.py`) decides how each step runs. Every node renders itself as one line of
EXPLAIN, and `render` prints a tree from the sink down to its sources, one node per line,
deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass

from ksql import ast
from ksql.catalog import KEY, FormatSpec, WindowInfo
from ksql.expr_text import format_expr
from ksql.types import SqlType

INDENT = "    "


@dataclass(frozen=True, slots=True)
class Field:
    """One column of a node's output schema."""

    name: str
    type: SqlType
    namespace: str  # KEY, VALUE, HEADER or HEADERS

    def text(self) -> str:
        suffix = " KEY" if self.namespace == KEY else ""
        return f"{self.name} {self.type}{suffix}"


class PlanNode:
    """Base of logical plan nodes."""

    __slots__ = ()
    label = ""

    @property
    def inputs(self) -> tuple[PlanNode, ...]:
        return ()

    def details(self) -> str:
        return ""


@dataclass(frozen=True, slots=True)
class SourceNode(PlanNode):
    """Reads a STREAM or TABLE from its topic."""

    name: str
    alias: str
    kind: str  # STREAM or TABLE
    topic: str
    key_format: FormatSpec
    value_format: FormatSpec
    fields: tuple[Field, ...]
    window: WindowInfo | None = None
    label = "SOURCE"

    def details(self) -> str:
        alias = f" AS {self.alias}" if self.alias != self.name else ""
        window = f" | Windowed: {self.window.kind}" if self.window is not None else ""
        return (
            f"{self.kind} {self.name}{alias} | Topic: {self.topic} | Formats: "
            f"{_formats(self.key_format, self.value_format)}{window} | Schema: {_schema(self.fields)}"
        )


@dataclass(frozen=True, slots=True)
class FilterNode(PlanNode):
    """Keeps the rows for which `predicate` is true (WHERE, or HAVING after an aggregation)."""

    input: PlanNode
    predicate: ast.Expr
    clause: str = "WHERE"
    label = "FILTER"

    @property
    def inputs(self) -> tuple[PlanNode, ...]:
        return (self.input,)

    def details(self) -> str:
        return f"{self.clause} {format_expr(self.predicate)}"


@dataclass(frozen=True, slots=True)
class RepartitionNode(PlanNode):
    """Re-keys rows by new key expressions (PARTITION BY, or GROUP BY on other columns)."""

    input: PlanNode
    keys: tuple[ast.Expr, ...]
    reason: str  # PARTITION BY or GROUP BY
    label = "REPARTITION"

    @property
    def inputs(self) -> tuple[PlanNode, ...]:
        return (self.input,)

    def details(self) -> str:
        keys = ", ".join(format_expr(k) for k in self.keys) or "NULL (no key)"
        return f"{self.reason} {keys}"


@dataclass(frozen=True, slots=True)
class TableFunctionNode(PlanNode):
    """Expands each row into as many rows as its table functions return (EXPLODE...)."""

    input: PlanNode
    calls: tuple[ast.Expr, ...]
    label = "FLAT MAP"

    @property
    def inputs(self) -> tuple[PlanNode, ...]:
        return (self.input,)

    def details(self) -> str:
        return "Table functions: " + ", ".join(format_expr(c) for c in self.calls)


@dataclass(frozen=True, slots=True)
class GroupingKey:
    name: str  # the operator's key column
    type: SqlType
    expr: ast.Expr | None  # None: the single group of an aggregation without GROUP BY


@dataclass(frozen=True, slots=True)
class AggregateTerm:
    name: str  # the operator's output column
    function: str
    call: ast.Expr | None


@dataclass(frozen=True, slots=True)
class AggregateNode(PlanNode):
    """Running aggregates per group key."""

    input: PlanNode
    keys: tuple[GroupingKey, ...]
    aggregates: tuple[AggregateTerm, ...]
    label = "AGGREGATE"

    @property
    def inputs(self) -> tuple[PlanNode, ...]:
        return (self.input,)

    def details(self) -> str:
        return f"{_grouping(self.keys)} | Aggregates: {_aggregates(self.aggregates)}"


@dataclass(frozen=True, slots=True)
class WindowedAggregateNode(PlanNode):
    """Running aggregates per group key and window."""

    input: PlanNode
    keys: tuple[GroupingKey, ...]
    aggregates: tuple[AggregateTerm, ...]
    window: ast.WindowSpec
    emit_final: bool
    label = "WINDOWED AGGREGATE"

    @property
    def inputs(self) -> tuple[PlanNode, ...]:
        return (self.input,)

    def details(self) -> str:
        emit = "FINAL" if self.emit_final else "CHANGES"
        return (
            f"{_grouping(self.keys)} | Aggregates: {_aggregates(self.aggregates)} | "
            f"Window: {window_text(self.window)} | Emit: {emit}"
        )


JOIN_LABELS = {
    "STREAM_STREAM": "STREAM-STREAM JOIN",
    "STREAM_TABLE": "STREAM-TABLE JOIN",
    "TABLE_TABLE": "TABLE-TABLE JOIN",
    "FOREIGN_KEY": "FOREIGN-KEY JOIN",
}


@dataclass(frozen=True, slots=True)
class JoinNode(PlanNode):
    """Joins the rows joined so far (left) with one more source (right)."""

    left: PlanNode
    right: PlanNode
    shape: str  # STREAM_STREAM, STREAM_TABLE, TABLE_TABLE or FOREIGN_KEY
    kind: str  # INNER, LEFT, RIGHT or FULL
    on: ast.Expr | None
    key_type: SqlType
    before_ms: int = 0
    after_ms: int = 0
    grace_ms: int | None = None

    @property
    def label(self) -> str:  # type: ignore[override]
        return JOIN_LABELS[self.shape]

    @property
    def inputs(self) -> tuple[PlanNode, ...]:
        return (self.left, self.right)

    def details(self) -> str:
        on = f" ON {format_expr(self.on)}" if self.on is not None else ""
        text = f"{self.kind}{on} | Key: {self.key_type}"
        if self.shape == "STREAM_STREAM":
            text += f" | Within: {duration_text(self.before_ms)} before, "
            text += f"{duration_text(self.after_ms)} after"
            if self.grace_ms is not None:
                text += f" | Grace: {duration_text(self.grace_ms)}"
        return text


@dataclass(frozen=True, slots=True)
class ProjectedColumn:
    name: str
    type: SqlType
    namespace: str
    expr: ast.Expr | None  # None: the column passes through under its name

    def text(self) -> str:
        shown = format_expr(self.expr) if self.expr is not None else None
        computed = f" = {shown}" if shown is not None and shown != self.name else ""
        suffix = " KEY" if self.namespace == KEY else ""
        return f"{self.name} {self.type}{suffix}{computed}"


@dataclass(frozen=True, slots=True)
class ProjectNode(PlanNode):
    """Computes the output columns."""

    input: PlanNode
    columns: tuple[ProjectedColumn, ...]
    label = "PROJECT"

    @property
    def inputs(self) -> tuple[PlanNode, ...]:
        return (self.input,)

    def details(self) -> str:
        return "Schema: " + ", ".join(c.text() for c in self.columns)


@dataclass(frozen=True, slots=True)
class SinkNode(PlanNode):
    """Writes the result: to a topic (persistent queries) or to the client (transient ones)."""

    input: PlanNode
    name: str | None  # None: rows go to the client
    kind: str  # STREAM or TABLE
    topic: str | None
    key_format: FormatSpec | None
    value_format: FormatSpec | None
    limit: int | None = None
    label = "SINK"

    @property
    def inputs(self) -> tuple[PlanNode, ...]:
        return (self.input,)

    def details(self) -> str:
        if self.name is None:
            limit = f" | Limit: {self.limit}" if self.limit is not None else ""
            return f"{self.kind} to the client{limit}"
        assert self.key_format is not None and self.value_format is not None
        return (
            f"{self.kind} {self.name} | Topic: {self.topic} | Formats: "
            f"{_formats(self.key_format, self.value_format)}"
        )


def walk_plan(node: PlanNode):
    """Every node of the tree, parents before children, left input before right."""
    yield node
    for child in node.inputs:
        yield from walk_plan(child)


def sources_of(node: PlanNode) -> list[SourceNode]:
    return [n for n in walk_plan(node) if isinstance(n, SourceNode)]


def render(node: PlanNode, depth: int = 0) -> str:
    """The tree as EXPLAIN prints it, the sink first, one node per line."""
    details = node.details()
    line = f"{INDENT * depth}> [ {node.label} ]" + (f" | {details}" if details else "")
    return "\n".join([line, *(render(child, depth + 1) for child in node.inputs)])


def duration_text(ms: int) -> str:
    """A duration in the largest unit that divides it: 3600000 -> '1 HOUR'."""
    for unit, size in (("DAY", 86_400_000), ("HOUR", 3_600_000), ("MINUTE", 60_000),
                       ("SECOND", 1000)):  # fmt: skip
        if ms and ms % size == 0:
            n = ms // size
            return f"{n} {unit}{'S' if n != 1 else ''}"
    return f"{ms} MILLISECOND{'S' if ms != 1 else ''}"


def window_text(window: ast.WindowSpec) -> str:
    parts = [window.kind]
    if window.kind == "SESSION":
        parts.append(f"GAP {duration_text(window.size_ms)}")
    else:
        parts.append(f"SIZE {duration_text(window.size_ms)}")
    if window.advance_ms is not None:
        parts.append(f"ADVANCE BY {duration_text(window.advance_ms)}")
    if window.retention_ms is not None:
        parts.append(f"RETENTION {duration_text(window.retention_ms)}")
    if window.grace_ms is not None:
        parts.append(f"GRACE PERIOD {duration_text(window.grace_ms)}")
    return " ".join(parts)


def _formats(key: FormatSpec, value: FormatSpec) -> str:
    return f"key {key.name}, value {value.name}"


def _schema(fields: tuple[Field, ...]) -> str:
    return ", ".join(f.text() for f in fields)


def _grouping(keys: tuple[GroupingKey, ...]) -> str:
    shown = [format_expr(k.expr) for k in keys if k.expr is not None]
    return "Group by: " + (", ".join(shown) if shown else "(all rows)")


def _aggregates(terms: tuple[AggregateTerm, ...]) -> str:
    return ", ".join(format_expr(t.call) if t.call is not None else t.function for t in terms)
