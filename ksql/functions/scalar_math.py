"""Numeric scalar functions and null handling (ABS, ROUND, IFNULL, COALESCE, ...)."""

from __future__ import annotations

from ksql.compiler.sql import Compiled, cast_sql
from ksql.compiler.typing import common_type, is_numeric
from ksql.functions.registry import ScalarFunction, ambiguous_error, signature_error
from ksql.types import BIGINT, DATE, DOUBLE, INTEGER, STRING, TIME, TIMESTAMP, DecimalType, SqlType


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


def _log(*args: Compiled) -> Compiled:
    """LOG(x) is ln(x); LOG(base, x) is ln(x) / ln(base)."""
    _numeric("LOG", *args)
    values = [cast_sql(a.sql, DOUBLE) for a in args]
    if len(values) == 1:
        return Compiled(f"ln({values[0]})", DOUBLE)
    base, value = values
    # ksqlDB: a base <= 0 or 1, or a negative value, gives NaN.
    nan = f"{base} <= 0 OR {base} = 1 OR {value} < 0"
    return Compiled(f"(CASE WHEN {nan} THEN 'NaN'::DOUBLE ELSE ln({value}) / ln({base}) END)", DOUBLE)


def _trunc(x: Compiled, digits: Compiled | None = None) -> Compiled:
    _numeric("TRUNC", x)
    t = x.type or INTEGER
    if t in (INTEGER, BIGINT):
        return Compiled(x.sql, t)
    if digits is None:
        out = BIGINT if t == DOUBLE else DecimalType(max(1, t.precision - t.scale), 0)
        return Compiled(cast_sql(f"trunc({x.sql})", out), out)
    scaled = f"trunc({x.sql} * pow(10, {digits.sql})) / pow(10, {digits.sql})"
    return Compiled(cast_sql(scaled, t), t)


def _extreme_type(name: str, args: tuple[Compiled, ...]) -> SqlType:
    """ksqlDB's GREATEST/LEAST overloads: one type, DOUBLE widening, or strings as temporals."""
    types = [a.type for a in args]
    known = {t for t in types if t is not None}
    temporal = known & {DATE, TIME, TIMESTAMP}
    if len(temporal) == 1 and known <= temporal | {STRING}:
        return temporal.pop()
    if len(known) == 1:
        return known.pop()
    if not known or (all(is_numeric(t) for t in known) and DOUBLE not in known):
        if not known or not all(isinstance(t, DecimalType) for t in known):
            raise ambiguous_error(name, types)
        return common_type(types)
    if all(is_numeric(t) for t in known):
        return DOUBLE
    raise signature_error(name, types)


def _extreme(name: str, fn: str):
    def hook(*args: Compiled) -> Compiled:
        if not args:
            raise signature_error(name, [])
        t = _extreme_type(name, args)
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
    add(ScalarFunction("LOG", _log, "Logarithm (natural, or to a base)", "MATH", (1, 2)))
    add(ScalarFunction("TRUNC", _trunc, "Truncate toward zero", "MATH", (1, 2)))
    add(ScalarFunction("POWER", _double("POWER", "pow({}, {})"), "Power", "MATH", (2, 2)))
    add(ScalarFunction("ATAN2", _double("ATAN2", "atan2({}, {})"), "atan2", "MATH", (2, 2)))
    add(ScalarFunction("PI", lambda: Compiled("pi()", DOUBLE), "Pi", "MATH", (0, 0)))
    add(ScalarFunction("RANDOM", _random, "Random double in [0, 1)", "MATH", (0, 0)))
    add(ScalarFunction("GREATEST", _extreme("GREATEST", "greatest"), "Largest value", "MATH", (0, None)))
    add(ScalarFunction("LEAST", _extreme("LEAST", "least"), "Smallest value", "MATH", (0, None)))
    add(ScalarFunction("COALESCE", _coalesce("COALESCE"), "First non-null", "NULLS", (1, None), display="COALESCE"))
    add(ScalarFunction("IFNULL", _coalesce("IFNULL"), "Replace null", "NULLS", (2, 2)))
    add(ScalarFunction("NULLIF", _nullif, "Null when equal", "NULLS", (2, 2)))
    add(ScalarFunction("AS_VALUE", lambda x: x, "Copy a key column into the value", "OTHER", (1, 1)))
