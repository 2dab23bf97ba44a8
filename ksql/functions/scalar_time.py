"""Date and time functions with Java-style patterns (PARSE_DATE, FORMAT_TIMESTAMP, ...)."""

from __future__ import annotations

from ksql.compiler.sql import Compiled
from ksql.functions.java_time_format import to_strftime
from ksql.functions.registry import ScalarFunction
from ksql.types import BIGINT, DATE, INTEGER, STRING, TIME, TIMESTAMP

_UNIT_MS = {
    "MILLISECOND": 1, "SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000,
}  # fmt: skip


def _format_of(pattern: Compiled) -> str:
    """A DuckDB format expression for a Java pattern given as a string literal."""
    sql = pattern.sql
    if sql.startswith("'") and sql.endswith("'"):
        java = sql[1:-1].replace("''", "'")
        return "'" + to_strftime(java).replace("'", "''") + "'"
    return sql  # not a literal: used as given


def _parse(target, duck: str):
    def hook(s: Compiled, pattern: Compiled, *zone: Compiled) -> Compiled:
        return Compiled(f"CAST(try_strptime({s.sql}, {_format_of(pattern)}) AS {duck})", target)
    return hook


def _format(s: Compiled, pattern: Compiled, *zone: Compiled) -> Compiled:
    value = s.sql
    if s.type == TIME:
        value = f"(DATE '1970-01-01' + {s.sql})"
    return Compiled(f"strftime({value}, {_format_of(pattern)})", STRING)


def _timestamp_to_string(ms: Compiled, pattern: Compiled, *zone: Compiled) -> Compiled:
    return Compiled(f"strftime(epoch_ms(CAST({ms.sql} AS BIGINT)), {_format_of(pattern)})", STRING)


def _string_to_timestamp(s: Compiled, pattern: Compiled, *zone: Compiled) -> Compiled:
    return Compiled(f"epoch_ms(try_strptime({s.sql}, {_format_of(pattern)}))", BIGINT)


def _unix_timestamp(*args: Compiled) -> Compiled:
    if args:
        return Compiled(f"epoch_ms(CAST({args[0].sql} AS TIMESTAMP))", BIGINT)
    return Compiled("epoch_ms(current_timestamp)", BIGINT)


def _unix_date(*args: Compiled) -> Compiled:
    if args:
        return Compiled(f"CAST({args[0].sql} - DATE '1970-01-01' AS INTEGER)", INTEGER)
    return Compiled("CAST(current_date - DATE '1970-01-01' AS INTEGER)", INTEGER)


def _from_unixtime(ms: Compiled) -> Compiled:
    return Compiled(f"CAST(epoch_ms(CAST({ms.sql} AS BIGINT)) AS TIMESTAMP_MS)", TIMESTAMP)


def _from_days(days: Compiled) -> Compiled:
    return Compiled(f"CAST(DATE '1970-01-01' + CAST({days.sql} AS INTEGER) AS DATE)", DATE)


def _shift(sign: str, target=None):
    def hook(unit: Compiled, amount: Compiled, value: Compiled) -> Compiled:
        name = unit.sql.strip("'").rstrip("S")
        ms = _UNIT_MS.get(name, 1)
        t = target or value.type
        sql = f"CAST({value.sql} {sign} to_milliseconds(CAST({amount.sql} AS BIGINT) * {ms}) AS {t.duckdb()})"
        return Compiled(sql, t)
    return hook


def register(registry) -> None:
    add = registry.register
    add(ScalarFunction("PARSE_DATE", _parse(DATE, "DATE"), "Parse a date", "DATE", (2, 2)))
    add(ScalarFunction("PARSE_TIME", _parse(TIME, "TIME"), "Parse a time", "DATE", (2, 2)))
    add(ScalarFunction("PARSE_TIMESTAMP", _parse(TIMESTAMP, "TIMESTAMP_MS"), "Parse a timestamp", "DATE", (2, 3)))
    add(ScalarFunction("FORMAT_DATE", _format, "Format a date", "DATE", (2, 2)))
    add(ScalarFunction("FORMAT_TIME", _format, "Format a time", "DATE", (2, 2)))
    add(ScalarFunction("FORMAT_TIMESTAMP", _format, "Format a timestamp", "DATE", (2, 3)))
    add(ScalarFunction("TIMESTAMPTOSTRING", _timestamp_to_string, "Format epoch ms", "DATE", (2, 3)))
    add(ScalarFunction("STRINGTOTIMESTAMP", _string_to_timestamp, "Parse to epoch ms", "DATE", (2, 3)))
    add(ScalarFunction("UNIX_TIMESTAMP", _unix_timestamp, "Epoch milliseconds", "DATE", (0, 1)))
    add(ScalarFunction("UNIX_DATE", _unix_date, "Epoch days", "DATE", (0, 1)))
    add(ScalarFunction("FROM_UNIXTIME", _from_unixtime, "Timestamp of epoch ms", "DATE", (1, 1)))
    add(ScalarFunction("FROM_DAYS", _from_days, "Date of epoch days", "DATE", (1, 1)))
    add(ScalarFunction("TIMESTAMPADD", _shift("+"), "Add to a timestamp", "DATE", (3, 3)))
    add(ScalarFunction("TIMESTAMPSUB", _shift("-"), "Subtract from a timestamp", "DATE", (3, 3)))
    add(ScalarFunction("DATEADD", _shift("+", DATE), "Add to a date", "DATE", (3, 3)))
    add(ScalarFunction("DATESUB", _shift("-", DATE), "Subtract from a date", "DATE", (3, 3)))
    add(ScalarFunction("TIMEADD", _shift("+", TIME), "Add to a time", "DATE", (3, 3)))
    add(ScalarFunction("TIMESUB", _shift("-", TIME), "Subtract from a time", "DATE", (3, 3)))
