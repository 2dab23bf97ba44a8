"""Element types of ARRAY[...] and MAP(...) constructors, coerced as ksqlDB does.

The element type is the common type of the elements that are not string literals or NULL
(numbers widen; structs merge their fields, missing ones NULL). String literals are then parsed
into that type ('2e1' in a BIGINT array is 20, 'no' in a BOOLEAN map is false) and other literals
become text when the type is STRING. Anything else that does not fit is an error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ksql import ast
from ksql.compiler.sql import Compiled, cast_sql, sql_string
from ksql.compiler.typing import common_type, is_numeric
from ksql.errors import StatementError
from ksql.types import (
    BOOLEAN,
    STRING,
    DecimalType,
    SqlType,
    StructField,
    StructType,
    quote_identifier,
)

_JAVA_BOOLEANS = {
    "true": True,
    "false": False,
    "yes": True,
    "no": False,
    "t": True,
    "f": False,
    "y": True,
    "n": False,
}


def _invalid(target: SqlType, text: str) -> StatementError:
    return StatementError(f'invalid input syntax for type {target}: "{text}".')


def _is_string_literal(e: ast.Expr) -> bool:
    return isinstance(e, ast.Literal) and e.kind == "STRING"


def _merged_structs(types: list[StructType]) -> StructType:
    names: list[str] = []
    for t in types:
        names += [f.name for f in t.fields if f.name not in names]
    fields = []
    for name in names:
        found = [f.type for t in types if (f := t.field(name)) is not None]
        merged = common_type(found)
        if merged is None:
            raise StatementError("invalid input syntax for type STRUCT: mixed field types")
        fields.append(StructField(name, merged))
    return StructType(tuple(fields))


def _decimal_of_text(text: str) -> SqlType | None:
    """The DECIMAL a numeric string literal parses to (None: not a number)."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    digits, exponent = number.as_tuple().digits, int(number.as_tuple().exponent)
    scale = max(0, -exponent)
    precision = max(len(digits) + max(0, exponent), scale, 1)
    return DecimalType(min(precision, 38), min(scale, 38))


def element_type(exprs: list[ast.Expr], items: list[Compiled], what: str) -> SqlType | None:
    """The type every element converts to (None: all NULL).

    Expressions that are not literals decide it; literals only widen numbers (a numeric string
    literal counts as the DECIMAL it parses to)."""
    pairs = list(zip(exprs, items, strict=True))
    computed = [c.type for e, c in pairs if not isinstance(e, ast.Literal) and c.type is not None]
    literals = [c.type for e, c in pairs if isinstance(e, ast.Literal) and e.kind != "STRING"]
    literals = [t for t in literals if t is not None]
    strings = [str(e.value) for e, _ in pairs if _is_string_literal(e)]  # type: ignore[attr-defined]
    base_types = computed or literals
    if not base_types:
        return STRING if strings else None
    if all(isinstance(t, StructType) for t in base_types):
        return _merged_structs(base_types)  # type: ignore[arg-type]
    base = common_type(base_types)
    if base is None:
        raise StatementError(f"invalid input syntax for type {what}: mixed element types")
    if is_numeric(base):
        widened = [base, *(t for t in literals if is_numeric(t))]
        widened += [d for text in strings if (d := _decimal_of_text(text)) is not None]
        base = common_type(widened) or base
    return base


def _parsed_literal(text: str, target: SqlType) -> str:
    if target == BOOLEAN:
        value = _JAVA_BOOLEANS.get(text.strip().lower())
        if value is None:
            raise _invalid(target, text)
        return "TRUE" if value else "FALSE"
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        raise _invalid(target, text) from None
    if not number.is_finite():
        raise _invalid(target, text)
    if number != number.to_integral_value() and target.name in ("INTEGER", "BIGINT"):
        raise _invalid(target, text)
    return cast_sql(sql_string(str(number)), target)


def coerce(expr: ast.Expr, item: Compiled, target: SqlType) -> str:
    """SQL of one element converted to the element type."""
    if item.type is None:
        return cast_sql("NULL", target)
    if _is_string_literal(expr) and target != STRING:
        if is_numeric(target) or target == BOOLEAN:
            return _parsed_literal(str(expr.value), target)  # type: ignore[attr-defined]
        return cast_sql(item.sql, target)
    if isinstance(expr, ast.Literal) and target == STRING and item.type != STRING:
        text = str(expr.value).lower() if expr.kind == "BOOLEAN" else str(expr.value)
        return sql_string(text)
    if isinstance(target, StructType) and isinstance(item.type, StructType):
        if item.type == target:
            return item.sql
        parts = [
            f"{quote_identifier(f.name)} := "
            + (
                cast_sql(f"struct_extract({item.sql}, {sql_string(f.name)})", f.type)
                if item.type.field(f.name) is not None
                else cast_sql("NULL", f.type)
            )
            for f in target.fields
        ]
        return f"(CASE WHEN {item.sql} IS NOT NULL THEN struct_pack({', '.join(parts)}) END)"
    if item.type != target and common_type([item.type, target]) != target:
        raise StatementError(f"invalid input syntax for type {target}: mixed element types")
    return cast_sql(item.sql, target)
