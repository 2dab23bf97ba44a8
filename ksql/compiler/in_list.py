"""`x [NOT] IN (...)`: items coerced to x's type as ksqlDB does, or rejected with its message.

String literals are parsed into the value's type ('4.000' matches an INT 4); constructors
(ARRAY[...], MAP(...), STRUCT(...)) coerce their elements the same way; other items must have
a type that compares with the value's (numbers with numbers, collections element-wise).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ksql import ast
from ksql.compiler.sql import Compiled, cast_sql, sql_string
from ksql.compiler.typing import common_type, is_numeric
from ksql.errors import StatementError
from ksql.expr_text import format_expr
from ksql.types import BOOLEAN, STRING, ArrayType, MapType, SqlType, StructType, quote_identifier

_NEVER = "CAST(NULL AS BOOLEAN)"


class _Incompatible(StatementError):
    """An item whose type cannot be compared with the value's."""


class _NoMatch(Exception):
    """The item can never equal the value (e.g. a struct with other fields)."""


def _invalid_syntax(target: SqlType, text: str) -> StatementError:
    return StatementError(f'Invalid Predicate: invalid input syntax for type {target}: "{text}".')


def _no_operator(target: SqlType, item_type: SqlType | None, expr: ast.Expr) -> StatementError:
    return _Incompatible(
        f"Invalid Predicate: operator does not exist: {target} = {item_type} ({format_expr(expr)})"
        "\nHint: You might need to add explicit type casts."
    )


def _compatible(target: SqlType, source: SqlType) -> bool:
    if target == source or (is_numeric(target) and is_numeric(source)):
        return True
    if isinstance(target, ArrayType) and isinstance(source, ArrayType):
        return _compatible(target.element, source.element)
    if isinstance(target, MapType) and isinstance(source, MapType):
        return _compatible(target.key, source.key) and _compatible(target.value, source.value)
    if isinstance(target, StructType) and isinstance(source, StructType):
        return all(
            _compatible(f.type, other.type)
            for f in target.fields
            if (other := source.field(f.name)) is not None
        )
    return False


def _string_literal(target: SqlType, text: str) -> str:
    if target == BOOLEAN:
        if text.strip().lower() not in ("true", "false"):
            raise _invalid_syntax(target, text)
        return "TRUE" if text.strip().lower() == "true" else "FALSE"
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise _invalid_syntax(target, text) from None
    if not number.is_finite():
        raise _invalid_syntax(target, text)
    return f"CAST({sql_string(str(number))} AS DECIMAL(38, {max(0, -int(number.as_tuple().exponent))}))"


def _coerce(compiler, target: SqlType, expr: ast.Expr) -> str:
    """SQL of `expr` as a value comparable with a `target` value."""
    if isinstance(expr, ast.Literal) and expr.kind == "NULL":
        return cast_sql("NULL", target)
    if isinstance(expr, ast.Literal) and expr.kind == "STRING" and (is_numeric(target) or target == BOOLEAN):
        return _string_literal(target, str(expr.value))
    if isinstance(expr, ast.Literal) and target == STRING:
        return sql_string(str(expr.value).lower() if expr.kind == "BOOLEAN" else str(expr.value))
    if isinstance(expr, ast.ArrayConstructor | ast.MapConstructor | ast.StructConstructor):
        try:
            return _constructor(compiler, target, expr)
        except _Incompatible:
            raise _no_operator(target, compiler.compile(expr).type, expr) from None
    item = compiler.compile(expr)
    if item.type is None:
        return cast_sql(item.sql, target)
    if not _compatible(target, item.type):
        raise _no_operator(target, item.type, expr)
    if item.type == target:
        return item.sql
    if is_numeric(target) and is_numeric(item.type):
        return item.sql
    same_fields = not isinstance(target, StructType) or {f.name for f in target.fields} == {
        f.name for f in item.type.fields
    }
    if not same_fields:
        raise _NoMatch
    return f"TRY_CAST({item.sql} AS {target.duckdb()})"


def _constructor(compiler, target: SqlType, expr: ast.Expr) -> str:
    """ARRAY / MAP / STRUCT constructors with their elements coerced to the target's."""
    if isinstance(expr, ast.ArrayConstructor) and isinstance(target, ArrayType):
        items = [cast_sql(_coerce(compiler, target.element, i), target.element) for i in expr.items]
        return f"list_value({', '.join(items)})"
    if isinstance(expr, ast.MapConstructor) and isinstance(target, MapType):
        keys = [cast_sql(_coerce(compiler, target.key, k), target.key) for k, _ in expr.entries]
        values = [cast_sql(_coerce(compiler, target.value, v), target.value) for _, v in expr.entries]
        return f"MAP([{', '.join(keys)}], [{', '.join(values)}])"
    if isinstance(expr, ast.StructConstructor) and isinstance(target, StructType):
        given = dict(expr.fields)
        if any(target.field(name) is None for name in given):
            raise _NoMatch
        parts = [
            f"{quote_identifier(f.name)} := "
            + cast_sql(_coerce(compiler, f.type, given.get(f.name, ast.Literal(None, "NULL"))), f.type)
            for f in target.fields
        ]
        return f"struct_pack({', '.join(parts)})"
    raise _no_operator(target, compiler.compile(expr).type, expr)


def compile_in(compiler, e: ast.InList) -> Compiled:
    value = compiler.compile(e.value)
    target = value.type or STRING
    terms = []
    for expr in e.items:
        try:
            item = _coerce(compiler, target, expr)
        except _NoMatch:
            terms.append(_NEVER)
            continue
        if is_numeric(target) and not (isinstance(expr, ast.Literal) and expr.kind == "STRING"):
            # Later items are checked against the type the numbers so far widen to.
            target = common_type([target, compiler.compile(expr).type]) or target
        terms.append(f"({value.sql} = {item})")
    matched = f"coalesce({' OR '.join(terms) or 'FALSE'}, false)"
    return Compiled(f"(NOT {matched})" if e.negated else matched, BOOLEAN)
