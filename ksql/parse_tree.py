"""Lark transformer: builds ksql.ast nodes from the parse tree of grammar/ksql.lark."""

from __future__ import annotations

from typing import Any

from lark import Token, Transformer_NonRecursive

from ksql import ast
from ksql.errors import ParseError, StatementError
from ksql.parse_values import ValueCallbacks, error_at, integer_literal, unquote_string
from ksql.types import SqlType

# Milliseconds per time unit, singular and plural, as written in WINDOW, WITHIN, GRACE PERIOD.
_UNIT_MS = {
    "MILLISECOND": 1,
    "SECOND": 1000,
    "MINUTE": 60_000,
    "HOUR": 3_600_000,
    "DAY": 86_400_000,
}
TIME_UNITS_MS: dict[str, int] = {
    name: ms for unit, ms in _UNIT_MS.items() for name in (unit, unit + "S")
}
MAX_DURATION_MS = 2**63 - 1

_COMPARISON_OPS = {"!=": "<>"}
_NUMERIC_KINDS = frozenset({"INTEGER", "BIGINT", "DECIMAL", "DOUBLE"})


def _is_keyword(child: Any, keywords: frozenset[str]) -> bool:
    return isinstance(child, Token) and child.type in keywords


class Ident(str):
    """An identifier that remembers where it was written (line, column)."""

    __slots__ = ("pos",)

    pos: tuple[int, int] | None


def _identifier(token: Token) -> str:
    """Unquoted identifiers are upper-cased; backquoted ones keep their case."""
    text = token[1:-1].replace("``", "`") if token.type == "QUOTED_IDENT" else token.upper()
    ident = Ident(text)
    ident.pos = (token.line, token.column) if token.line is not None else None
    return ident


def _pos(name: str) -> tuple[int, int] | None:
    return getattr(name, "pos", None)


def _negate(literal: ast.Literal) -> ast.Literal:
    if literal.kind in ("INTEGER", "BIGINT"):
        return integer_literal(-literal.value)
    if literal.kind == "DECIMAL":
        text = literal.value
        return ast.Literal(text[1:] if text.startswith("-") else "-" + text, "DECIMAL")
    return ast.Literal(-literal.value, literal.kind)


def _python_value(literal: ast.Literal) -> Any:
    """A WITH property value as a Python literal."""
    if literal.kind == "DECIMAL":
        return float(literal.value)
    return literal.value


def _as_interval_unit(arg: ast.Expr) -> ast.Expr:
    """A bare time-unit word as a function argument, e.g. TIMESTAMPADD(SECONDS, 5, ts)."""
    if isinstance(arg, ast.ColumnRef) and arg.source is None and arg.name in TIME_UNITS_MS:
        return ast.IntervalUnit(arg.name)
    return arg


class AstBuilder(ValueCallbacks, Transformer_NonRecursive):
    """One callback per grammar alias; keyword tokens are dropped before building nodes.
    Nodes are built bottom-up without recursion, so a deep tree cannot exhaust the stack."""

    def __init__(self, keywords: frozenset[str]) -> None:
        super().__init__()
        self.keywords = keywords

    # ------------------------------------------------------------------ helpers

    def _values(self, children: tuple[Any, ...]) -> list[Any]:
        """Children without keyword tokens; None placeholders of optional parts stay."""
        return [c for c in children if not _is_keyword(c, self.keywords)]

    def _present(self, children: tuple[Any, ...]) -> list[Any]:
        """Children without keyword tokens and without None placeholders."""
        return [c for c in self._values(children) if c is not None]

    @staticmethod
    def _flags(children: tuple[Any, ...]) -> set[str]:
        return {c.type for c in children if isinstance(c, Token)}

    @staticmethod
    def _first(values: list[Any], kind: type, default: Any = None) -> Any:
        return next((v for v in values if isinstance(v, kind)), default)

    # ------------------------------------------------------------------ entry points

    def start(self, children: list[Any]) -> ast.Statement:
        return children[0]

    def single_expression(self, children: list[Any]) -> ast.Expr:
        return children[0]

    def single_type(self, children: list[Any]) -> SqlType:
        return children[0]

    # ------------------------------------------------------------------ statements

    def query_statement(self, children: list[Any]) -> ast.QueryStatement:
        return ast.QueryStatement(children[0])

    def create_source(self, children: list[Any]) -> ast.CreateSource:
        flags, values = self._flags(children), self._present(children)
        kind, name = values[0], values[1]
        return ast.CreateSource(
            kind,
            name,
            self._first(values[2:], tuple, ()),
            self._first(values, dict, {}),
            or_replace="OR" in flags,
            if_not_exists="IF" in flags,
            is_source="SOURCE" in flags,
        )

    def create_as_select(self, children: list[Any]) -> ast.CreateAsSelect:
        flags, values = self._flags(children), self._present(children)
        return ast.CreateAsSelect(
            values[0],
            values[1],
            values[-1],
            self._first(values, dict, {}),
            or_replace="OR" in flags,
            if_not_exists="IF" in flags,
        )

    def insert_into(self, children: list[Any]) -> ast.InsertInto:
        values = self._present(children)
        return ast.InsertInto(values[0], values[-1], self._first(values, dict, {}))

    def insert_values(self, children: list[Any]) -> ast.InsertValues:
        target, columns, values = self._values(children)
        return ast.InsertValues(target, columns or (), values or ())

    def drop_source(self, children: list[Any]) -> ast.DropSource:
        flags, (kind, name) = self._flags(children), self._present(children)
        return ast.DropSource(kind, name, if_exists="IF" in flags, delete_topic="DELETE" in flags)

    def terminate(self, children: list[Any]) -> ast.Terminate:
        target = children[1]
        if isinstance(target, Token) and target.type == "ALL":
            return ast.Terminate(None)
        return ast.Terminate(target)

    def show(self, children: list[Any]) -> ast.Show:
        what, all_topics = children[1]
        return ast.Show(what, extended=children[2] is not None, all_topics=all_topics)

    def show_target(self, children: list[Any]) -> tuple[str, bool]:
        return children[-1].upper(), len(children) == 2

    def show_connectors(self, children: list[Any]) -> ast.Show:
        return ast.Show("CONNECTORS", connector_kind=children[1].upper())

    def show_connector_plugins(self, children: list[Any]) -> ast.Show:
        return ast.Show("CONNECTOR PLUGINS")

    def describe_connector(self, children: list[Any]) -> ast.DescribeConnector:
        return ast.DescribeConnector(children[-1])

    def create_connector(self, children: list[Any]) -> ast.CreateConnector:
        flags, values = self._flags(children), self._present(children)
        kind = "SINK" if "SINK" in flags else "SOURCE"
        return ast.CreateConnector(values[0], kind, values[1], if_not_exists="IF" in flags)

    def drop_connector(self, children: list[Any]) -> ast.DropConnector:
        flags, (name,) = self._flags(children), self._present(children)
        return ast.DropConnector(name, if_exists="IF" in flags)

    def connector_props(self, children: list[Any]) -> dict[str, Any]:
        return dict(children[1:])

    def connector_property(self, children: list[Any]) -> tuple[str, Any]:
        name, value = children
        if isinstance(name, Token):  # 'name' or "name"
            name = name[1:-1].replace(name[0] * 2, name[0])
        value = _python_value(value)
        return name, value

    def describe_all(self, children: list[Any]) -> ast.Describe:
        return ast.Describe(None, extended=children[2] is not None, what=children[1].upper())

    def describe_function(self, children: list[Any]) -> ast.DescribeFunction:
        return ast.DescribeFunction(children[-1].upper())

    def describe(self, children: list[Any]) -> ast.Describe:
        return ast.Describe(children[1], extended=children[2] is not None)

    def explain(self, children: list[Any]) -> ast.Explain:
        target = children[1]
        if isinstance(target, ast.Statement):
            return ast.Explain(statement=target)
        return ast.Explain(query_id=target)

    def set_property(self, children: list[Any]) -> ast.SetProperty:
        return ast.SetProperty(unquote_string(children[1]), unquote_string(children[2]))

    def unset_property(self, children: list[Any]) -> ast.UnsetProperty:
        return ast.UnsetProperty(unquote_string(children[1]))

    def define_variable(self, children: list[Any]) -> ast.DefineVariable:
        return ast.DefineVariable(str(children[1]), unquote_string(children[2]))

    def undefine_variable(self, children: list[Any]) -> ast.UndefineVariable:
        return ast.UndefineVariable(str(children[1]))

    def print_topic(self, children: list[Any]) -> ast.PrintTopic:
        options = dict(children[2:])
        return ast.PrintTopic(children[1], **options)

    def topic_name(self, children: list[Any]) -> str:
        """Topic and subject names are case-sensitive: unquoted ones are kept as written."""
        name = children[0]
        if name.type == "IDENT":
            return str(name)
        return _identifier(name) if name.type == "QUOTED_IDENT" else unquote_string(name)

    def from_beginning(self, _children: list[Any]) -> tuple[str, bool]:
        return "from_beginning", True

    def print_interval(self, children: list[Any]) -> tuple[str, int]:
        return "interval", int(children[1])

    def print_limit(self, children: list[Any]) -> tuple[str, int]:
        return "limit", int(children[1])

    def create_type(self, children: list[Any]) -> ast.CreateType:
        flags, (name, type_) = self._flags(children), self._present(children)
        return ast.CreateType(name, type_, if_not_exists="IF" in flags)

    def drop_type(self, children: list[Any]) -> ast.DropType:
        flags, (name,) = self._flags(children), self._present(children)
        return ast.DropType(name, if_exists="IF" in flags)

    def assert_topic(self, children: list[Any]) -> ast.AssertTopic:
        flags, values = self._flags(children), self._present(children)
        options = dict(v for v in values if isinstance(v, tuple))
        return ast.AssertTopic(
            values[0],
            exists="NOT" not in flags,
            properties=self._first(values, dict, {}),
            **options,
        )

    def assert_schema(self, children: list[Any]) -> ast.AssertSchema:
        flags, values = self._flags(children), self._present(children)
        return ast.AssertSchema(exists="NOT" not in flags, **dict(values))

    def schema_subject(self, children: list[Any]) -> tuple[str, str]:
        return "subject", children[1]

    def schema_id(self, children: list[Any]) -> tuple[str, int]:
        return "schema_id", int(children[1])

    def timeout(self, children: list[Any]) -> tuple[str, int]:
        return "timeout_ms", children[1]

    def alter_source(self, children: list[Any]) -> ast.AlterSource:
        kind, name, *added = self._present(children)
        return ast.AlterSource(kind, name, tuple(added))

    def alter_add(self, children: list[Any]) -> ast.TableElement:
        name, type_ = self._present(children)
        return ast.TableElement(name, type_)

    def source_kind(self, children: list[Any]) -> str:
        return children[0].upper()

    def table_elements(self, children: list[Any]) -> tuple[ast.TableElement, ...]:
        return tuple(children)

    def table_element(self, children: list[Any]) -> ast.TableElement:
        name, type_, constraint = children
        kind, header_key = constraint or (None, None)
        return ast.TableElement(name, type_, kind, header_key)

    def key_constraint(self, _children: list[Any]) -> tuple[str, None]:
        return "KEY", None

    def primary_key_constraint(self, _children: list[Any]) -> tuple[str, None]:
        return "PRIMARY KEY", None

    def headers_constraint(self, _children: list[Any]) -> tuple[str, None]:
        return "HEADERS", None

    def header_constraint(self, children: list[Any]) -> tuple[str, str]:
        return "HEADER", unquote_string(children[1])

    def with_props(self, children: list[Any]) -> dict[str, Any]:
        return dict(children[1:])

    def property(self, children: list[Any]) -> tuple[str, Any]:
        name, value = children
        return name.upper(), _python_value(value)

    def negative(self, children: list[Any]) -> ast.Literal:
        return _negate(children[1])

    # ------------------------------------------------------------------ queries

    def query(self, children: list[Any]) -> ast.Query:
        select, relation, window, where, group_by, partition_by, having, emit, limit = self._values(
            children
        )
        return ast.Query(
            select,
            relation,
            where=where,
            window=window,
            group_by=group_by or (),
            partition_by=partition_by or (),
            having=having,
            emit=emit,
            limit=limit,
        )

    def select_items(self, children: list[Any]) -> tuple[ast.SelectItem, ...]:
        return tuple(children)

    def all_columns(self, _children: list[Any]) -> ast.AllColumns:
        return ast.AllColumns()

    def source_all_columns(self, children: list[Any]) -> ast.AllColumns:
        return ast.AllColumns(children[0])

    def struct_all(self, children: list[Any]) -> ast.StructAll:
        return ast.StructAll(children[0])

    def aliased_column(self, children: list[Any]) -> ast.SelectColumn:
        return ast.SelectColumn(children[0], children[-1])

    def select_column(self, children: list[Any]) -> ast.SelectColumn:
        return ast.SelectColumn(children[0])

    def aliased_source(self, children: list[Any]) -> ast.SourceRef:
        values = self._present(children)
        return ast.SourceRef(values[0], values[1] if len(values) > 1 else None)

    def join_relation(self, children: list[Any]) -> ast.JoinRelation:
        return ast.JoinRelation(children[0], tuple(children[1:]))

    def join_clause(self, children: list[Any]) -> ast.JoinClause:
        kind, right, within, on = self._values(children)
        return ast.JoinClause(kind or "INNER", right, on, within)

    def inner_join(self, _children: list[Any]) -> str:
        return "INNER"

    def left_join(self, _children: list[Any]) -> str:
        return "LEFT"

    def right_join(self, _children: list[Any]) -> str:
        return "RIGHT"

    def full_join(self, _children: list[Any]) -> str:
        return "FULL"

    def within_symmetric(self, children: list[Any]) -> ast.WithinClause:
        size_ms, grace_ms = self._values(children)
        return ast.WithinClause(size_ms, size_ms, grace_ms)

    def within_asymmetric(self, children: list[Any]) -> ast.WithinClause:
        before_ms, after_ms, grace_ms = self._values(children)
        return ast.WithinClause(before_ms, after_ms, grace_ms)

    def grace(self, children: list[Any]) -> int:
        return children[-1]

    def window(self, children: list[Any]) -> ast.WindowSpec:
        return children[-1]

    def tumbling(self, children: list[Any]) -> ast.WindowSpec:
        size_ms, *options = self._values(children)
        return ast.WindowSpec("TUMBLING", size_ms, **dict(options))

    def hopping(self, children: list[Any]) -> ast.WindowSpec:
        size_ms, advance_ms, *options = self._values(children)
        return ast.WindowSpec("HOPPING", size_ms, advance_ms=advance_ms, **dict(options))

    def session(self, children: list[Any]) -> ast.WindowSpec:
        size_ms, *options = self._values(children)
        return ast.WindowSpec("SESSION", size_ms, **dict(options))

    def retention(self, children: list[Any]) -> tuple[str, int]:
        return "retention_ms", children[-1]

    def window_grace(self, children: list[Any]) -> tuple[str, int]:
        return "grace_ms", children[-1]

    def where(self, children: list[Any]) -> ast.Expr:
        return children[-1]

    def having(self, children: list[Any]) -> ast.Expr:
        return children[-1]

    def group_by(self, children: list[Any]) -> tuple[ast.Expr, ...]:
        return children[-1]

    def partition_by(self, children: list[Any]) -> tuple[ast.Expr, ...]:
        return children[-1]

    def paren_group(self, children: list[Any]) -> tuple[ast.Expr, ...]:
        return (children[0], *children[1])

    def emit(self, children: list[Any]) -> str:
        return children[-1].upper()

    def empty_partition_by(self, children: list[Any]) -> tuple[ast.Expr, ...]:
        raise StatementError("PARTITION BY requires at least one expression")

    def limit(self, children: list[Any]) -> int:
        value = children[-1]
        if value.kind != "INTEGER":
            raise StatementError(
                "Failed to prepare statement: Value must be integer for command: LIMIT"
            )
        return value.value

    def duration(self, children: list[Any]) -> int:
        count, unit = children
        ms = TIME_UNITS_MS.get(unit.upper())
        if ms is None:
            raise error_at(unit, f"Unknown time unit: '{unit}'")
        if int(count) * ms > MAX_DURATION_MS:  # milliseconds are a BIGINT
            raise ParseError(f"Duration too long: {count} {unit}")
        return int(count) * ms

    # ------------------------------------------------------------------ expressions

    def expr_list(self, children: list[Any]) -> tuple[ast.Expr, ...]:
        return tuple(children)

    def ident_list(self, children: list[Any]) -> tuple[str, ...]:
        return tuple(children)

    def ident(self, children: list[Any]) -> str:
        return _identifier(children[0])

    def or_(self, children: list[Any]) -> ast.Or:
        return ast.Or(children[0], children[2])

    def and_(self, children: list[Any]) -> ast.And:
        return ast.And(children[0], children[2])

    def not_(self, children: list[Any]) -> ast.Not:
        return ast.Not(children[1])

    def comparison(self, children: list[Any]) -> ast.Comparison:
        left, op, right = children
        return ast.Comparison(_COMPARISON_OPS.get(str(op), str(op)), left, right)

    def distinct_from(self, children: list[Any]) -> ast.Comparison:
        left, right = self._present(children)
        op = "IS NOT DISTINCT FROM" if "NOT" in self._flags(children) else "IS DISTINCT FROM"
        return ast.Comparison(op, left, right)

    def between(self, children: list[Any]) -> ast.Between:
        value, low, high = self._present(children)
        return ast.Between(value, low, high, negated="NOT" in self._flags(children))

    def in_list(self, children: list[Any]) -> ast.InList:
        value, items = self._present(children)
        return ast.InList(value, items, negated="NOT" in self._flags(children))

    def like(self, children: list[Any]) -> ast.Like:
        value, _not, _like, pattern, _escape, escape = children
        escape_char = unquote_string(escape) if escape is not None else None
        return ast.Like(value, pattern, escape_char, negated=_not is not None)

    def is_null(self, children: list[Any]) -> ast.IsNull:
        return ast.IsNull(children[0], negated=children[2] is not None)

    def binary_op(self, children: list[Any]) -> ast.BinaryOp:
        left, op, right = children
        return ast.BinaryOp(str(op), left, right)

    def unary_op(self, children: list[Any]) -> ast.Expr:
        op, operand = str(children[0]), children[1]
        if isinstance(operand, ast.Literal) and operand.kind in _NUMERIC_KINDS:
            return _negate(operand) if op == "-" else operand
        return ast.UnaryOp(op, operand)

    def dereference(self, children: list[Any]) -> ast.Dereference:
        return ast.Dereference(children[0], children[1])

    def subscript(self, children: list[Any]) -> ast.Subscript:
        return ast.Subscript(children[0], children[1])

    def column(self, children: list[Any]) -> ast.ColumnRef:
        return ast.ColumnRef(children[0], pos=_pos(children[0]))

    def keyword_column(self, children: list[Any]) -> ast.ColumnRef:
        return ast.ColumnRef(children[0].upper())

    def qualified_column(self, children: list[Any]) -> ast.ColumnRef:
        return ast.ColumnRef(children[1], children[0], pos=_pos(children[0]))

    def count_star(self, children: list[Any]) -> ast.FunctionCall:
        return ast.FunctionCall(children[0].upper(), (ast.Star(),))

    def distinct_call(self, children: list[Any]) -> ast.FunctionCall:
        return ast.FunctionCall(children[0].upper(), (children[2],), distinct=True)

    def function_call(self, children: list[Any]) -> ast.FunctionCall:
        name, args = children
        return ast.FunctionCall(name.upper(), tuple(_as_interval_unit(a) for a in args or ()))

    def call_args(self, children: list[Any]) -> list[ast.Expr]:
        return children

    def lambda_one(self, children: list[Any]) -> ast.Lambda:
        return ast.Lambda((children[0],), children[1])

    def lambda_many(self, children: list[Any]) -> ast.Lambda:
        first, rest, body = children
        return ast.Lambda((first, *rest), body)

    def lambda_paren(self, children: list[Any]) -> ast.Lambda:
        param, body = children
        if not isinstance(param, ast.ColumnRef) or param.source is not None:
            raise ParseError("Syntax Error\nA lambda parameter must be a plain identifier")
        return ast.Lambda((param.name,), body)

    def simple_case(self, children: list[Any]) -> ast.Case:
        operand, *rest = self._present(children)
        return self._case(operand, rest)

    def searched_case(self, children: list[Any]) -> ast.Case:
        return self._case(None, self._present(children))

    @staticmethod
    def _case(operand: ast.Expr | None, rest: list[Any]) -> ast.Case:
        whens = tuple(w for w in rest if isinstance(w, ast.WhenClause))
        default = rest[-1] if not isinstance(rest[-1], ast.WhenClause) else None
        return ast.Case(operand, whens, default)

    def when_clause(self, children: list[Any]) -> ast.WhenClause:
        return ast.WhenClause(children[1], children[3])

    def cast(self, children: list[Any]) -> ast.Cast:
        value, type_ = self._present(children)
        return ast.Cast(value, type_)

    def array_constructor(self, children: list[Any]) -> ast.ArrayConstructor:
        return ast.ArrayConstructor(children[1] or ())

    def map_constructor(self, children: list[Any]) -> ast.MapConstructor:
        return ast.MapConstructor(tuple(self._present(children)))

    def map_entry(self, children: list[Any]) -> tuple[ast.Expr, ast.Expr]:
        return children[0], children[1]

    def struct_constructor(self, children: list[Any]) -> ast.StructConstructor:
        return ast.StructConstructor(tuple(self._present(children)))

    def struct_entry(self, children: list[Any]) -> tuple[str, ast.Expr]:
        return children[0], children[1]
