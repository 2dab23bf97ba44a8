"""String scalar functions (CONCAT, SUBSTRING, UCASE, REPLACE, SPLIT, ...)."""

from __future__ import annotations

from ksql.compiler.casts import to_string_sql
from ksql.compiler.sql import Compiled
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import INTEGER, STRING, ArrayType


def _strings(name: str, *args: Compiled) -> None:
    if any(a.type not in (STRING, None) for a in args):
        raise signature_error(name, [a.type for a in args])


def _string_fn(name: str, sql: str, result=STRING):
    def hook(*args: Compiled) -> Compiled:
        return Compiled(sql.format(*(a.sql for a in args)), result)
    return hook


def _concat(*args: Compiled) -> Compiled:
    # ksqlDB's CONCAT skips null arguments.
    parts = ", ".join(f"coalesce({to_string_sql(a)}, '')" for a in args)
    return Compiled(f"concat({parts})", STRING)


def _concat_ws(sep: Compiled, *args: Compiled) -> Compiled:
    parts = ", ".join(a.sql for a in args)
    return Compiled(f"concat_ws({sep.sql}, {parts})", STRING)


def _substring(s: Compiled, start: Compiled, length: Compiled | None = None) -> Compiled:
    """1-based; a negative start counts from the end; start 0 behaves like 1 minus one char."""
    _strings("SUBSTRING", s)
    pos = f"(CASE WHEN {start.sql} < 0 THEN length({s.sql}) + {start.sql} + 1 ELSE {start.sql} END)"
    if length is None:
        return Compiled(f"substring({s.sql}, {pos})", STRING)
    return Compiled(f"substring({s.sql}, {pos}, {length.sql})", STRING)


def _len(s: Compiled) -> Compiled:
    return Compiled(f"CAST(length({s.sql}) AS INTEGER)", INTEGER)


def _instr(s: Compiled, sub: Compiled, *rest: Compiled) -> Compiled:
    return Compiled(f"CAST(instr({s.sql}, {sub.sql}) AS INTEGER)", INTEGER)


def _split(s: Compiled, sep: Compiled) -> Compiled:
    return Compiled(f"string_split({s.sql}, {sep.sql})", ArrayType(STRING))


def _pad(fn: str):
    def hook(s: Compiled, length: Compiled, fill: Compiled) -> Compiled:
        return Compiled(
            f"(CASE WHEN {fill.sql} = '' OR {length.sql} < 0 THEN NULL "
            f"ELSE {fn}({s.sql}, {length.sql}, {fill.sql}) END)",
            STRING,
        )
    return hook


def _initcap(s: Compiled) -> Compiled:
    words = f"string_split({s.sql}, ' ')"
    sql = (
        f"array_to_string(list_transform({words}, lambda w: "
        "upper(substring(w, 1, 1)) || lower(substring(w, 2))), ' ')"
    )
    return Compiled(sql, STRING)


def _chr(code: Compiled) -> Compiled:
    return Compiled(f"chr({code.sql})", STRING)


def _regexp_extract(s: Compiled, pattern: Compiled, group: Compiled | None = None) -> Compiled:
    g = group.sql if group else "0"
    return Compiled(
        f"nullif(regexp_extract({s.sql}, {pattern.sql}, {g}), '')", STRING
    )


def register(registry) -> None:
    add = registry.register
    add(ScalarFunction("CONCAT", _concat, "Concatenate strings", "STRING", (1, None)))
    add(ScalarFunction("CONCAT_WS", _concat_ws, "Concatenate with separator", "STRING", (2, None)))
    add(ScalarFunction("SUBSTRING", _substring, "Part of a string", "STRING", (2, 3)))
    add(ScalarFunction("UCASE", _string_fn("UCASE", "upper({})"), "Upper case", "STRING", (1, 1)))
    add(ScalarFunction("LCASE", _string_fn("LCASE", "lower({})"), "Lower case", "STRING", (1, 1)))
    add(ScalarFunction("TRIM", _string_fn("TRIM", "trim({})"), "Trim spaces", "STRING", (1, 1)))
    add(ScalarFunction("LTRIM", _string_fn("LTRIM", "ltrim({})"), "Trim left", "STRING", (1, 1)))
    add(ScalarFunction("RTRIM", _string_fn("RTRIM", "rtrim({})"), "Trim right", "STRING", (1, 1)))
    add(ScalarFunction("LEN", _len, "Length of a string", "STRING", (1, 1)), "LENGTH")
    add(ScalarFunction("REPLACE", _string_fn("REPLACE", "replace({}, {}, {})"), "Replace", "STRING", (3, 3)))
    add(ScalarFunction(
        "REGEXP_REPLACE", _string_fn("REGEXP_REPLACE", "regexp_replace({}, {}, {}, 'g')"),
        "Replace regex matches", "STRING", (3, 3),
    ))
    add(ScalarFunction("REGEXP_EXTRACT", _regexp_extract, "Regex group", "STRING", (2, 3)))
    add(ScalarFunction("INSTR", _instr, "Position of a substring", "STRING", (2, 4)))
    add(ScalarFunction("SPLIT", _split, "Split into an array", "STRING", (2, 2)))
    add(ScalarFunction("LPAD", _pad("lpad"), "Pad left", "STRING", (3, 3)))
    add(ScalarFunction("RPAD", _pad("rpad"), "Pad right", "STRING", (3, 3)))
    add(ScalarFunction("INITCAP", _initcap, "Capitalize words", "STRING", (1, 1)))
    add(ScalarFunction("CHR", _chr, "Character of a code point", "STRING", (1, 1)))
    add(ScalarFunction("UUID", lambda: Compiled("CAST(uuid() AS VARCHAR)", STRING), "Random UUID", "STRING", (0, 0)))
    add(ScalarFunction(
        "REVERSE", _string_fn("REVERSE", "reverse({})"), "Reverse a string", "STRING", (1, 1)
    ))
