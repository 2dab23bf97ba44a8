"""Numeric scalar functions and null handling (ABS, ROUND, IFNULL, COALESCE, ...)."""

from __future__ import annotations

from ksql.compiler.sql import Compiled, cast_sql
from ksql.compiler.typing import common_type, is_numeric
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import BIGINT, DOUBLE, INTEGER, DecimalType


def _numeric(name: str, *args: Compiled) -> None:
    if any(a.type is not None and not is_numeric(a.type) for a in args):
        raise signature_error(name, [a.type for a in args])


def _same_type(name: str, sql: str):
    def hook(x: Compiled) -> Compiled:
        _numeric(name, x)
        t = x.type or INTEGER
        return Compiled(cast_sql(sql.format(x.sql), t), t)
    return hook


def _double(name: str, sql: str):
    def hook(*args: Compiled) -> Compiled:
        _numeric(name, *args)
        return Compiled(sql.format(*(cast_sql(a.sql, DOUBLE) for a in args)), DOUBLE)
    return hook


def _round(x: Compiled, digits: Compiled | None = None) -> Compiled:
    """ROUND rounds half up (Java's HALF_UP for decimals, Math.round for doubles)."""
    _numeric("ROUND", x)
    t = x.type or INTEGER
    if digits is None:
        if t == DOUBLE:
            return Compiled(f"CAST(floor({x.sql} + 0.5) AS BIGINT)", BIGINT)
        if isinstance(t, DecimalType):
            out = DecimalType(max(1, t.precision - t.scale + 1), 0)
            return Compiled(f"CAST(round({x.sql}) AS {out.duckdb()})", out)
        return Compiled(x.sql, t)
    if t == DOUBLE:
        return Compiled(
            f"(floor({x.sql} * pow(10, {digits.sql}) + 0.5) / pow(10, {digits.sql}))", DOUBLE
        )
    if isinstance(t, DecimalType):
        return Compiled(f"CAST(round({x.sql}, {digits.sql}) AS {t.duckdb()})", t)
    return Compiled(x.sql, t)


def _coalesce(name: str):
    def hook(*args: Compiled) -> Compiled:
        t = common_type([a.type for a in args])
        if t is None and any(a.type is not None for a in args):
            raise signature_error(name, [a.type for a in args])
        sqls = [cast_sql(a.sql, t) if t else a.sql for a in args]
        return Compiled(f"coalesce({', '.join(sqls)})", t)
    return hook


def _nullif(a: Compiled, b: Compiled) -> Compiled:
    return Compiled(f"nullif({a.sql}, {b.sql})", a.type)


def _extreme(name: str, fn: str):
    def hook(*args: Compiled) -> Compiled:
        t = common_type([a.type for a in args])
        if t is None:
            raise signature_error(name, [a.type for a in args])
        sqls = ", ".join(cast_sql(a.sql, t) for a in args)
        # ksqlDB skips nulls: GREATEST(1, null) is 1.
        return Compiled(f"{fn}({sqls})", t)
    return hook


def _sign(x: Compiled) -> Compiled:
    _numeric("SIGN", x)
    return Compiled(f"CAST(sign({x.sql}) AS INTEGER)", INTEGER)


def _random() -> Compiled:
    return Compiled("random()", DOUBLE)


def register(registry) -> None:
    add = registry.register
    add(ScalarFunction("ABS", _same_type("ABS", "abs({})"), "Absolute value", "MATH", (1, 1)))
    add(ScalarFunction("CEIL", _same_type("CEIL", "ceil({})"), "Round up", "MATH", (1, 1)))
    add(ScalarFunction("FLOOR", _same_type("FLOOR", "floor({})"), "Round down", "MATH", (1, 1)))
    add(ScalarFunction("ROUND", _round, "Round half up", "MATH", (1, 2)))
    add(ScalarFunction("SIGN", _sign, "Sign of a number", "MATH", (1, 1)))
    for name, sql in (
        ("SQRT", "sqrt({})"), ("EXP", "exp({})"), ("LN", "ln({})"), ("CBRT", "cbrt({})"),
        ("SIN", "sin({})"), ("COS", "cos({})"), ("TAN", "tan({})"), ("ASIN", "asin({})"),
        ("ACOS", "acos({})"), ("ATAN", "atan({})"), ("DEGREES", "degrees({})"),
        ("RADIANS", "radians({})"), ("SINH", "sinh({})"), ("COSH", "cosh({})"),
        ("TANH", "tanh({})"), ("COT", "cot({})"),
    ):  # fmt: skip
        add(ScalarFunction(name, _double(name, sql), name.title(), "MATH", (1, 1)))
    add(ScalarFunction("LOG", _double("LOG", "ln({})"), "Natural logarithm", "MATH", (1, 1)))
    add(ScalarFunction("POWER", _double("POWER", "pow({}, {})"), "Power", "MATH", (2, 2)))
    add(ScalarFunction("ATAN2", _double("ATAN2", "atan2({}, {})"), "atan2", "MATH", (2, 2)))
    add(ScalarFunction("PI", lambda: Compiled("pi()", DOUBLE), "Pi", "MATH", (0, 0)))
    add(ScalarFunction("RANDOM", _random, "Random double in [0, 1)", "MATH", (0, 0)))
    add(ScalarFunction("GREATEST", _extreme("GREATEST", "greatest"), "Largest value", "MATH", (1, None)))
    add(ScalarFunction("LEAST", _extreme("LEAST", "least"), "Smallest value", "MATH", (1, None)))
    add(ScalarFunction("COALESCE", _coalesce("COALESCE"), "First non-null", "NULLS", (1, None)))
    add(ScalarFunction("IFNULL", _coalesce("IFNULL"), "Replace null", "NULLS", (2, 2)))
    add(ScalarFunction("NULLIF", _nullif, "Null when equal", "NULLS", (2, 2)))
    add(ScalarFunction("AS_VALUE", lambda x: x, "Copy a key column into the value", "OTHER", (1, 1)))
