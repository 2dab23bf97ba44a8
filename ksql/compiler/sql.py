"""Expression AST -> DuckDB SQL text over the batch relation, with ksqlDB's types and semantics."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal

import duckdb

from ksql import ast
from ksql.compiler.scope import ResolvedColumn, Scope
from ksql.compiler.typing import (
    arithmetic_type,
    common_type,
    comparable,
    exact_decimal_product,
    is_numeric,
)
from ksql.errors import StatementError
from ksql.expr_text import format_expr
from ksql.formats import duck
from ksql.types import (
    BIGINT,
    BOOLEAN,
    DATE,
    DOUBLE,
    INTEGER,
    STRING,
    TIME,
    TIMESTAMP,
    ArrayType,
    DecimalType,
    MapType,
    SqlType,
    StructField,
    StructType,
    quote_identifier,
)


@dataclass(frozen=True, slots=True)
class Compiled:
    """SQL text evaluating the expression, and its ksql type (None: an untyped NULL)."""

    sql: str
    type: SqlType | None


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def cast_sql(sql: str, target: SqlType) -> str:
    return f"CAST({sql} AS {target.duckdb()})"


_OP_NAMES = {
    "=": "EQUAL", "<>": "NOT_EQUAL", "<": "LESS_THAN", "<=": "LESS_THAN_OR_EQUAL",
    ">": "GREATER_THAN", ">=": "GREATER_THAN_OR_EQUAL", "IS DISTINCT FROM": "IS_DISTINCT_FROM",
    "IS NOT DISTINCT FROM": "IS_NOT_DISTINCT_FROM",
}  # fmt: skip

_TIME_COLUMNS = ("ROWTIME", "WINDOWSTART", "WINDOWEND")
# Functions whose first argument is a time unit word (DATEADD(DAYS, 2, d)).
_UNIT_FUNCTIONS = frozenset(
    {"TIMESTAMPADD", "TIMESTAMPSUB", "DATEADD", "DATESUB", "TIMEADD", "TIMESUB"}
)


def _is_time_column(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.ColumnRef) and expr.name in _TIME_COLUMNS


_PARTIAL_TIMESTAMP = re.compile(
    r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2})(?::(\d{2}))?(?::(\d{2}))?(?:\.(\d{1,3}))?)?(.*)"
)


def complete_timestamp_text(text: str) -> str:
    """ksqlDB's partial timestamps ('2018', '2018-05', '2018-05-11T10'): missing parts are the
    start of the period."""
    m = _PARTIAL_TIMESTAMP.fullmatch(text.strip())
    if m is None:
        return text
    y, mo, d, h, mi, sec, ms, zone = m.groups()
    fraction = (ms or "0").ljust(3, "0")
    return f"{y}-{mo or '01'}-{d or '01'}T{h or '00'}:{mi or '00'}:{sec or '00'}.{fraction}{zone}"


def _epoch_ms_of_text(sql: str) -> str:
    """Epoch ms of an ISO date-time string, with an optional zone offset (UTC otherwise). A
    literal that is no date-time fails the statement, as in ksqlDB, not every row."""
    if len(sql) >= 2 and sql[0] == "'" and sql[-1] == "'" and "'" not in sql[1:-1].replace("''", ""):
        written = sql[1:-1].replace("''", "'")
        sql = sql_string(complete_timestamp_text(written))
        try:
            duck.connection().execute(f"SELECT CAST({sql} AS TIMESTAMPTZ)").fetchall()
        except duckdb.Error as error:
            reason = str(error).split("\n", 1)[0]
            raise StatementError(f"Failed to parse timestamp '{written}': {reason}") from None
    return f"epoch_ms(CAST({sql} AS TIMESTAMPTZ))"


def _is_null_literal(expr: ast.Expr) -> bool:
    return isinstance(expr, ast.Literal) and expr.kind == "NULL"


def _operand(expr: ast.Expr, compiled: Compiled, target: SqlType) -> str:
    """An arithmetic operand's SQL in `target`. The SQL of arithmetic is already of its own
    type (see `_BinaryOp`), so a chain `a + b + c` casts only its terms: DuckDB bounds how
    deeply an expression nests, and each cast would be a level."""
    if isinstance(expr, ast.BinaryOp) and compiled.type == target:
        return compiled.sql
    return cast_sql(compiled.sql, target)


def _type_name(t: SqlType | None) -> str:
    return "NULL" if t is None else str(t)


class Compiler:
    """Compiles expressions against one scope; lambda bodies get nested compilers."""

    def __init__(self, scope: Scope, lambda_depth: int = 0) -> None:
        self.scope = scope
        self.lambda_depth = lambda_depth

    def compile(self, expr: ast.Expr) -> Compiled:
        method = getattr(self, f"_{type(expr).__name__}", None)
        if method is None:
            raise StatementError(f"Unsupported expression: {expr}")
        return method(expr)

    # ------------------------------------------------------------------ leaves
    def _Literal(self, e: ast.Literal) -> Compiled:
        kind, value = e.kind, e.value
        if kind == "NULL":
            return Compiled("NULL", None)
        if kind == "BOOLEAN":
            return Compiled("TRUE" if value else "FALSE", BOOLEAN)
        if kind == "INTEGER":
            return Compiled(f"CAST({int(value)} AS INTEGER)", INTEGER)
        if kind == "BIGINT":
            return Compiled(f"CAST({int(value)} AS BIGINT)", BIGINT)
        if kind == "DOUBLE":
            return Compiled(f"CAST({float(value)!r} AS DOUBLE)", DOUBLE)
        if kind == "DECIMAL":
            digits = Decimal(str(value)).as_tuple()
            scale = max(0, -int(digits.exponent))
            precision = max(len(digits.digits), scale, 1)
            t = DecimalType(precision, scale)
            return Compiled(f"CAST({sql_string(str(value))} AS {t.duckdb()})", t)
        return Compiled(sql_string(str(value)), STRING)

    def _ColumnRef(self, e: ast.ColumnRef) -> Compiled:
        found: ResolvedColumn = self.scope.resolve(e)
        return Compiled(found.sql, found.type)

    def _LambdaVariable(self, e: ast.LambdaVariable) -> Compiled:
        return self._ColumnRef(ast.ColumnRef(e.name))

    def _Star(self, e: ast.Star) -> Compiled:
        raise StatementError("'*' is only allowed in COUNT(*)")

    def _IntervalUnit(self, e: ast.IntervalUnit) -> Compiled:
        # A bare unit word outside DATEADD & co. is a column of that name when there is one.
        try:
            return self._ColumnRef(ast.ColumnRef(e.unit))
        except StatementError:
            return Compiled(sql_string(e.unit), STRING)

    # ------------------------------------------------------------------ access
    def _Dereference(self, e: ast.Dereference) -> Compiled:
        base = self.compile(e.base)
        if not isinstance(base.type, StructType):
            raise StatementError(f"Can't dereference a non-struct: {_type_name(base.type)}")
        field = base.type.field(e.field) or next(
            (f for f in base.type.fields if f.name.upper() == e.field.upper()), None
        )
        if field is None:
            raise StatementError(f"Could not find field '{e.field}' in '{e.base}'.")
        return Compiled(f"struct_extract({base.sql}, {sql_string(field.name)})", field.type)

    def _Subscript(self, e: ast.Subscript) -> Compiled:
        base = self.compile(e.base)
        index = self.compile(e.index)
        if isinstance(base.type, ArrayType):
            return Compiled(f"list_extract({base.sql}, {index.sql})", base.type.element)
        if isinstance(base.type, MapType):
            return Compiled(f"({base.sql})[{index.sql}]", base.type.value)
        raise StatementError(f"Can't subscript a {_type_name(base.type)}")

    # ------------------------------------------------------------------ operators
    def _UnaryOp(self, e: ast.UnaryOp) -> Compiled:
        operand = self.compile(e.operand)
        if operand.type is not None and not is_numeric(operand.type):
            raise StatementError(f"Unsupported arithmetic type for unary {e.op}: {operand.type}")
        return Compiled(f"({e.op}{operand.sql})", operand.type)

    def _BinaryOp(self, e: ast.BinaryOp) -> Compiled:
        left, right = self.compile(e.left), self.compile(e.right)
        if e.op == "||" or (e.op == "+" and STRING in (left.type, right.type)):
            if left.type not in (STRING, None) or right.type not in (STRING, None):
                raise StatementError(
                    f"Error processing expression: {format_expr(e)}. "
                    f"Unsupported arithmetic types. {_type_name(left.type)} {_type_name(right.type)}"
                )
            return Compiled(f"({left.sql} || {right.sql})", STRING)
        if _is_null_literal(e.left) or _is_null_literal(e.right):
            # ksqlDB refuses arithmetic on a NULL literal (its type is unknown), whatever the
            # other side is.
            names = " and ".join("null" if t is None else str(t) for t in (left.type, right.type))
            raise StatementError(
                f"Error processing expression: {format_expr(e)}. "
                f"Arithmetic on types {names} are not supported."
            )
        if not all(t is None or is_numeric(t) for t in (left.type, right.type)):
            names = " ".join(_type_name(t).split("(")[0] for t in (left.type, right.type))
            raise StatementError(
                f"Error processing expression: {format_expr(e)}. Unsupported arithmetic types. {names}"
            )
        result = arithmetic_type(e.op, left.type, right.type)
        a, b = _operand(e.left, left, result), _operand(e.right, right, result)
        exact = exact_decimal_product(e.op, left.type, right.type, result)
        if exact is not None:  # in the operands' own types: DuckDB's product is already exact
            a, b = _operand(e.left, left, exact[0]), _operand(e.right, right, exact[1])
        if e.op == "/" and result in (INTEGER, BIGINT):
            sql = f"(CASE WHEN {b} = 0 THEN NULL ELSE {a} // {b} END)"
        elif e.op in ("/", "%") and result != DOUBLE:
            sql = f"(CASE WHEN {b} = 0 THEN NULL ELSE {a} {e.op} {b} END)"
        elif e.op == "%" and result == DOUBLE:
            sql = f"fmod({a}, {b})"
        else:
            sql = f"({a} {e.op} {b})"
        # Over operands of the result's type, DuckDB's arithmetic stays INTEGER, BIGINT or
        # DOUBLE; its decimal arithmetic sizes results unlike ksqlDB's, so decimals are cast.
        return Compiled(cast_sql(sql, result) if isinstance(result, DecimalType) else sql, result)

    def _comparison_operands(self, left: Compiled, right: Compiled, op: str, e) -> tuple[str, str]:
        a, b = left.sql, right.sql
        # ROWTIME and window bounds compare with date-time strings ("magic" conversion).
        if _is_time_column(e.left) and right.type == STRING:
            return a, _epoch_ms_of_text(b)
        if _is_time_column(e.right) and left.type == STRING:
            return _epoch_ms_of_text(a), b
        if not comparable(left.type, right.type):
            raise StatementError(
                f"Cannot compare {format_expr(e.left)} ({_type_name(left.type)}) to "
                f"{format_expr(e.right)} ({_type_name(right.type)}) with {_OP_NAMES.get(op, op)}."
            )
        temporal = (TIMESTAMP, DATE, TIME)
        if left.type == STRING and right.type in temporal:
            a = cast_sql(a, right.type)
        elif right.type == STRING and left.type in temporal:
            b = cast_sql(b, left.type)
        elif {left.type, right.type} == {TIMESTAMP, DATE}:
            a, b = cast_sql(a, TIMESTAMP), cast_sql(b, TIMESTAMP)
        return a, b

    def _Comparison(self, e: ast.Comparison) -> Compiled:
        left, right = self.compile(e.left), self.compile(e.right)
        a, b = self._comparison_operands(left, right, e.op, e)
        if e.op in ("IS DISTINCT FROM", "IS NOT DISTINCT FROM"):
            return Compiled(f"({a} {e.op} {b})", BOOLEAN)
        if isinstance(left.type, ArrayType | MapType | StructType) and e.op not in ("=", "<>"):
            raise StatementError(
                f"Cannot compare {format_expr(e.left)} ({left.type}) to {format_expr(e.right)} "
                f"({right.type}) with {_OP_NAMES[e.op]}."
            )
        # ksqlDB: a comparison with a null operand is false, not null.
        return Compiled(f"coalesce({a} {e.op} {b}, false)", BOOLEAN)

    def _boolean(self, expr: ast.Expr, what: str) -> str:
        c = self.compile(expr)
        if c.type not in (BOOLEAN, None):
            raise StatementError(
                f"{what} requires a BOOLEAN operand, got {c.type}: {format_expr(expr)}"
            )
        return c.sql

    def _And(self, e: ast.And) -> Compiled:
        return self._connective(e, ast.And, "AND")

    def _Or(self, e: ast.Or) -> Compiled:
        return self._connective(e, ast.Or, "OR")

    def _connective(self, e: ast.And | ast.Or, kind: type, word: str) -> Compiled:
        """`a AND b AND c` as one flat SQL chain (the same value: AND and OR associate): the
        compiler walks the chain without recursing along it, and DuckDB nests it one deep."""
        terms: list[ast.Expr] = []
        node: ast.Expr = e
        while isinstance(node, ast.And | ast.Or) and type(node) is kind:
            terms.append(node.right)
            node = node.left
        terms.append(node)
        sqls = [self._boolean(term, word) for term in reversed(terms)]
        return Compiled("(" + f" {word} ".join(sqls) + ")", BOOLEAN)

    def _Not(self, e: ast.Not) -> Compiled:
        return Compiled(f"(NOT {self._boolean(e.operand, 'NOT')})", BOOLEAN)

    def _Between(self, e: ast.Between) -> Compiled:
        value, low, high = self.compile(e.value), self.compile(e.low), self.compile(e.high)
        _, low_sql = self._comparison_operands(value, low, "BETWEEN", ast.Comparison(">=", e.value, e.low))
        _, high_sql = self._comparison_operands(value, high, "BETWEEN", ast.Comparison("<=", e.value, e.high))
        neg = "NOT " if e.negated else ""
        return Compiled(f"({value.sql} {neg}BETWEEN {low_sql} AND {high_sql})", BOOLEAN)

    def _InList(self, e: ast.InList) -> Compiled:
        from ksql.compiler.in_list import compile_in

        return compile_in(self, e)

    def _Like(self, e: ast.Like) -> Compiled:
        value, pattern = self.compile(e.value), self.compile(e.pattern)
        for c in (value, pattern):
            if c.type not in (STRING, None):
                raise StatementError(f"LIKE requires STRING operands, got {c.type}")
        neg = "NOT " if e.negated else ""
        escape = f" ESCAPE {sql_string(e.escape)}" if e.escape else ""
        return Compiled(f"({value.sql} {neg}LIKE {pattern.sql}{escape})", BOOLEAN)

    def _IsNull(self, e: ast.IsNull) -> Compiled:
        value = self.compile(e.value)
        return Compiled(f"({value.sql} IS {'NOT ' if e.negated else ''}NULL)", BOOLEAN)

    def _Case(self, e: ast.Case) -> Compiled:
        operand = self.compile(e.operand) if e.operand is not None else None
        conditions, results = [], []
        for when in e.whens:
            if operand is not None:
                cond = self.compile(when.condition)
                a, b = self._comparison_operands(
                    operand, cond, "=", ast.Comparison("=", e.operand, when.condition)
                )
                conditions.append(f"{a} = {b}")
            else:
                conditions.append(self._boolean(when.condition, "WHEN"))
            results.append(self.compile(when.result))
        default = self.compile(e.default) if e.default is not None else None
        branches = results + ([default] if default else [])
        result_type = common_type([r.type for r in branches])
        if result_type is None and any(r.type is not None for r in branches):
            raise StatementError(
                "Invalid Case expression. Type for all 'THEN' clauses should be the same."
            )
        if result_type is None:
            raise StatementError("Invalid Case expression. All case branches have NULL type")
        def typed(c: Compiled) -> str:
            return cast_sql(c.sql, result_type) if result_type is not None else c.sql
        parts = [f"WHEN {c} THEN {typed(r)}" for c, r in zip(conditions, results, strict=True)]
        tail = f" ELSE {typed(default)}" if default else ""
        return Compiled(f"(CASE {' '.join(parts)}{tail} END)", result_type)

    def _Cast(self, e: ast.Cast) -> Compiled:
        from ksql.compiler.casts import compile_cast

        return compile_cast(self.compile(e.value), e.type)

    # ------------------------------------------------------------------ constructors
    def _ArrayConstructor(self, e: ast.ArrayConstructor) -> Compiled:
        from ksql.compiler.coercion import coerce, element_type

        if not e.items:
            raise StatementError(
                "Array constructor cannot be empty. Please supply at least one element "
                "(see https://github.com/confluentinc/ksql/issues/4239)."
            )
        exprs = list(e.items)
        items = [self.compile(i) for i in exprs]
        element = element_type(exprs, items, "ARRAY") or STRING
        sqls = [coerce(x, c, element) for x, c in zip(exprs, items, strict=True)]
        return Compiled(f"list_value({', '.join(sqls)})", ArrayType(element))

    def _MapConstructor(self, e: ast.MapConstructor) -> Compiled:
        from ksql.compiler.coercion import coerce, element_type

        if not e.entries:
            raise StatementError(
                "Map constructor cannot be empty. Please supply at least one key value pair "
                "(see https://github.com/confluentinc/ksql/issues/4239)."
            )
        key_exprs = [k for k, _ in e.entries]
        value_exprs = [v for _, v in e.entries]
        keys = [self.compile(k) for k in key_exprs]
        values = [self.compile(v) for v in value_exprs]
        key_type = element_type(key_exprs, keys, "MAP") or STRING
        value_type = element_type(value_exprs, values, "MAP") or STRING
        ks = [coerce(x, c, key_type) for x, c in zip(key_exprs, keys, strict=True)]
        if key_type == STRING:
            # DuckDB maps refuse NULL keys; ksqlDB's JSON writes a null key as "null".
            ks = [f"coalesce({k}, 'null')" for k in ks]
        vs = [coerce(x, c, value_type) for x, c in zip(value_exprs, values, strict=True)]
        return Compiled(f"MAP([{', '.join(ks)}], [{', '.join(vs)}])", MapType(key_type, value_type))

    def _StructConstructor(self, e: ast.StructConstructor) -> Compiled:
        names = [name for name, _ in e.fields]
        if len(set(names)) != len(names):
            raise StatementError("Duplicate field names found in STRUCT")
        fields, parts = [], []
        for name, value in e.fields:
            c = self.compile(value)
            t = c.type or STRING
            fields.append(StructField(name, t))
            parts.append(f"{quote_identifier(name)} := {cast_sql(c.sql, t)}")
        return Compiled(f"struct_pack({', '.join(parts)})", StructType(tuple(fields)))

    # ------------------------------------------------------------------ functions
    def _FunctionCall(self, e: ast.FunctionCall) -> Compiled:
        from ksql.functions.registry import default_registry

        function = default_registry().lookup(e.name)
        if function is None:
            from ksql.functions.aggregates import aggregate_registry

            if aggregate_registry().is_aggregate(e.name):
                raise StatementError(
                    f"Aggregate functions can not be used here: {e.name} is an aggregate function."
                )
            raise StatementError(f"Can't find any functions with the name '{e.name}'")
        if e.args and isinstance(e.args[0], ast.IntervalUnit) and e.name in _UNIT_FUNCTIONS:
            unit = ast.Literal(e.args[0].unit, "STRING")
            e = dataclasses.replace(e, args=(unit, *e.args[1:]))
        return function.compile(self, e)

    def _Lambda(self, e: ast.Lambda) -> Compiled:
        raise StatementError("Lambdas are only allowed as arguments of TRANSFORM, FILTER and REDUCE")
