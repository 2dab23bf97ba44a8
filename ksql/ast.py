"""Frozen dataclasses for ksql statements and expressions: what the parser builds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ksql.types import SqlType


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every AST node."""


# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Expr(Node):
    """Base of every expression node."""


@dataclass(frozen=True, slots=True)
class Literal(Expr):
    """A literal; kind is NULL, BOOLEAN, INTEGER, BIGINT, DECIMAL, DOUBLE or STRING.

    INTEGER literals that do not fit 32 bits are BIGINT; DECIMAL literals keep their text
    (value is a str like '1.50') so precision and scale survive; DOUBLE is scientific notation.
    """

    value: Any
    kind: str


@dataclass(frozen=True, slots=True)
class ColumnRef(Expr):
    """A column name, optionally qualified by a source name or alias: `a.col`.

    `pos` is (line, column) in the statement text, for error messages; it takes no part in
    comparisons, so the same reference written twice is equal.
    """

    name: str
    source: str | None = None
    pos: tuple[int, int] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Dereference(Expr):
    """Struct field access `base->field`."""

    base: Expr
    field: str


@dataclass(frozen=True, slots=True)
class Subscript(Expr):
    """Array index (1-based, negative from the end) or map lookup `base[index]`."""

    base: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class UnaryOp(Expr):
    """Unary '-' or '+'."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class BinaryOp(Expr):
    """Arithmetic '+', '-', '*', '/', '%' and string concatenation '||'."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Comparison(Expr):
    """op is one of '=', '<>', '<', '<=', '>', '>=', 'IS DISTINCT FROM', 'IS NOT DISTINCT FROM'.

    '!=' is normalised to '<>' by the parser.
    """

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class And(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or(Expr):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True, slots=True)
class Between(Expr):
    value: Expr
    low: Expr
    high: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InList(Expr):
    value: Expr
    items: tuple[Expr, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Like(Expr):
    value: Expr
    pattern: Expr
    escape: str | None = None
    negated: bool = False


@dataclass(frozen=True, slots=True)
class IsNull(Expr):
    value: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class WhenClause(Node):
    condition: Expr
    result: Expr


@dataclass(frozen=True, slots=True)
class Case(Expr):
    """Searched CASE (operand is None) or simple CASE (operand compared with each WHEN)."""

    operand: Expr | None
    whens: tuple[WhenClause, ...]
    default: Expr | None = None


@dataclass(frozen=True, slots=True)
class Cast(Expr):
    value: Expr
    type: SqlType


@dataclass(frozen=True, slots=True)
class Star(Expr):
    """The `*` in COUNT(*)."""


@dataclass(frozen=True, slots=True)
class FunctionCall(Expr):
    """A scalar, aggregate or table function call; name is upper-cased."""

    name: str
    args: tuple[Expr, ...] = ()
    distinct: bool = False


@dataclass(frozen=True, slots=True)
class IntervalUnit(Expr):
    """A time unit passed as a function argument, e.g. DATEADD(DAYS, 2, d); unit upper-cased."""

    unit: str


@dataclass(frozen=True, slots=True)
class TypeArgument(Expr):
    """A type passed as a function argument (rare; kept for completeness)."""

    type: SqlType


@dataclass(frozen=True, slots=True)
class Lambda(Expr):
    """`x => body` or `(x, y) => body`; parameter names upper-cased unless quoted."""

    params: tuple[str, ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class LambdaVariable(Expr):
    """Reference to a lambda parameter inside a lambda body (the analyzer may create these)."""

    name: str


@dataclass(frozen=True, slots=True)
class ArrayConstructor(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class MapConstructor(Expr):
    entries: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True, slots=True)
class StructConstructor(Expr):
    fields: tuple[tuple[str, Expr], ...]


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class SelectItem(Node):
    """Base of the items of a SELECT list."""


@dataclass(frozen=True, slots=True)
class SelectColumn(SelectItem):
    expr: Expr
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class AllColumns(SelectItem):
    """`*` or `src.*`."""

    source: str | None = None


@dataclass(frozen=True, slots=True)
class StructAll(SelectItem):
    """`expr->*`: every field of a struct as its own column."""

    expr: Expr


@dataclass(frozen=True, slots=True)
class Relation(Node):
    """Base of FROM items."""


@dataclass(frozen=True, slots=True)
class SourceRef(Relation):
    name: str
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class WithinClause(Node):
    """WITHIN n unit, or WITHIN (before, after); GRACE PERIOD optional; all in ms."""

    before_ms: int
    after_ms: int
    grace_ms: int | None = None


@dataclass(frozen=True, slots=True)
class JoinClause(Node):
    """kind is INNER, LEFT, RIGHT or FULL."""

    kind: str
    right: SourceRef
    on: Expr
    within: WithinClause | None = None


@dataclass(frozen=True, slots=True)
class JoinRelation(Relation):
    """`left JOIN r1 ON ... JOIN r2 ON ...`, kept flat in the order written."""

    left: SourceRef
    joins: tuple[JoinClause, ...]


@dataclass(frozen=True, slots=True)
class WindowSpec(Node):
    """kind is TUMBLING, HOPPING or SESSION; times in ms."""

    kind: str
    size_ms: int
    advance_ms: int | None = None
    retention_ms: int | None = None
    grace_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Query(Node):
    """A SELECT; emit is 'CHANGES', 'FINAL' or None (a pull query)."""

    select: tuple[SelectItem, ...]
    from_: Relation
    where: Expr | None = None
    window: WindowSpec | None = None
    group_by: tuple[Expr, ...] = ()
    partition_by: tuple[Expr, ...] = ()
    having: Expr | None = None
    emit: str | None = None
    limit: int | None = None


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Statement(Node):
    """Base of every statement."""


@dataclass(frozen=True, slots=True)
class TableElement(Node):
    """A column in CREATE STREAM/TABLE.

    constraint is None (a value column), 'KEY', 'PRIMARY KEY', 'HEADERS' or 'HEADER'
    (then header_key holds the header's name).
    """

    name: str
    type: SqlType
    constraint: str | None = None
    header_key: str | None = None


@dataclass(frozen=True, slots=True)
class CreateSource(Statement):
    """CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name (cols) WITH (...).

    kind is 'STREAM' or 'TABLE'; property names upper-cased, values Python literals
    (str, int, float, bool).
    """

    kind: str
    name: str
    elements: tuple[TableElement, ...]
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    or_replace: bool = False
    if_not_exists: bool = False
    is_source: bool = False


@dataclass(frozen=True, slots=True)
class CreateAsSelect(Statement):
    """CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] name WITH (...) AS SELECT ..."""

    kind: str
    name: str
    query: Query
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    or_replace: bool = False
    if_not_exists: bool = False


@dataclass(frozen=True, slots=True)
class InsertInto(Statement):
    """INSERT INTO target [WITH (...)] SELECT ..."""

    target: str
    query: Query
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)


@dataclass(frozen=True, slots=True)
class InsertValues(Statement):
    """INSERT INTO target [(cols)] VALUES (exprs); columns empty means all, in order."""

    target: str
    columns: tuple[str, ...]
    values: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class QueryStatement(Statement):
    """A bare SELECT: a push query (EMIT CHANGES) or a pull query."""

    query: Query


@dataclass(frozen=True, slots=True)
class DropSource(Statement):
    kind: str
    name: str
    if_exists: bool = False
    delete_topic: bool = False


@dataclass(frozen=True, slots=True)
class Terminate(Statement):
    """TERMINATE query_id, or TERMINATE ALL (query_id None)."""

    query_id: str | None


@dataclass(frozen=True, slots=True)
class Show(Statement):
    """SHOW/LIST: what is STREAMS, TABLES, QUERIES, TOPICS, FUNCTIONS, PROPERTIES, TYPES,
    VARIABLES, CONNECTORS; extended for SHOW ... EXTENDED; all_topics for SHOW ALL TOPICS."""

    what: str
    extended: bool = False
    all_topics: bool = False
    connector_kind: str | None = None  # SHOW SOURCE|SINK CONNECTORS: "SOURCE" or "SINK"


@dataclass(frozen=True, slots=True)
class Describe(Statement):
    """DESCRIBE name [EXTENDED]; DESCRIBE STREAMS|TABLES [EXTENDED] sets name None, what set."""

    name: str | None
    extended: bool = False
    what: str | None = None


@dataclass(frozen=True, slots=True)
class DescribeFunction(Statement):
    name: str


@dataclass(frozen=True, slots=True)
class Explain(Statement):
    """EXPLAIN query_id, or EXPLAIN <statement>."""

    query_id: str | None = None
    statement: Statement | None = None


@dataclass(frozen=True, slots=True)
class SetProperty(Statement):
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class UnsetProperty(Statement):
    name: str


@dataclass(frozen=True, slots=True)
class DefineVariable(Statement):
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class UndefineVariable(Statement):
    name: str


@dataclass(frozen=True, slots=True)
class PrintTopic(Statement):
    topic: str
    from_beginning: bool = False
    interval: int | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class CreateType(Statement):
    name: str
    type: SqlType
    if_not_exists: bool = False


@dataclass(frozen=True, slots=True)
class DropType(Statement):
    name: str
    if_exists: bool = False


@dataclass(frozen=True, slots=True)
class AssertTopic(Statement):
    """ASSERT [NOT EXISTS] TOPIC name [WITH (...)] [TIMEOUT n unit]."""

    topic: str
    exists: bool = True
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    timeout_ms: int | None = None


@dataclass(frozen=True, slots=True)
class AssertSchema(Statement):
    """ASSERT [NOT EXISTS] SCHEMA [SUBJECT name] [ID n] [TIMEOUT n unit]."""

    subject: str | None = None
    schema_id: int | None = None
    exists: bool = True
    timeout_ms: int | None = None


@dataclass(frozen=True, slots=True)
class AlterSource(Statement):
    """ALTER STREAM|TABLE name ADD [COLUMN] col type, ..."""

    kind: str
    name: str
    added: tuple[TableElement, ...]


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """One statement with the exact text it was parsed from (for statementText in REST)."""

    statement: Statement
    text: str
    line: int = 1
    column: int = 1


@dataclass(frozen=True, slots=True)
class CreateConnector(Statement):
    """CREATE SOURCE|SINK CONNECTOR name WITH (...): kind is "SOURCE" or "SINK"; property
    names are kept as written."""

    name: str
    kind: str
    properties: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)
    if_not_exists: bool = False


@dataclass(frozen=True, slots=True)
class DropConnector(Statement):
    name: str
    if_exists: bool = False


@dataclass(frozen=True, slots=True)
class DescribeConnector(Statement):
    name: str
