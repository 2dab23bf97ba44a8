"""Date and time functions with Java-style patterns (PARSE_DATE, FORMAT_TIMESTAMP, ...)."""

from __future__ import annotations

import re

import pyarrow as pa

from ksql.compiler.sql import Compiled, sql_string
from ksql.errors import StatementError
from ksql.functions.column_patterns import pattern_argument
from ksql.functions.java_time_format import OFFSET_MARKS, to_prefix_regex, to_strftime, zone_name
from ksql.functions.python_udf import internal_call
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import BIGINT, DATE, INTEGER, STRING, TIME, TIMESTAMP

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")

_UNIT_MS = {
    "MILLISECOND": 1, "SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000,
}  # fmt: skip


def _literal(c: Compiled) -> str | None:
    """The text of a string literal argument (None when the argument is not a literal)."""
    sql = c.sql
    if c.type == STRING and len(sql) >= 2 and sql[0] == "'" and sql[-1] == "'" and "'" not in sql[1:-1].replace("''", ""):
        return sql[1:-1].replace("''", "'")
    return None


def _java_pattern(pattern: Compiled) -> str:
    java = _literal(pattern)
    if java is None:
        raise StatementError("Only literal date-time patterns are supported")
    return java


def _format_of(pattern: Compiled) -> str:
    """A DuckDB format expression for a Java pattern given as a string literal."""
    return sql_string(to_strftime(_java_pattern(pattern)))


def _parse_input(s: Compiled, pattern: Compiled) -> str:
    """Java's X accepts 'Z' for UTC where DuckDB's %z needs an offset."""
    if "X" in _java_pattern(pattern):
        return f"regexp_replace({s.sql}, '[Zz]$', '+0000')"
    return s.sql


def _zone_offset_minutes(zone: str) -> int | None:
    m = _OFFSET.match(zone.strip())
    if m is None:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    return minutes if m.group(1) == "+" else -minutes


def utc_to_local(ts: str, zone: Compiled) -> str:
    """Naive UTC timestamp -> naive wall-clock timestamp in `zone` (a literal zone id or offset)."""
    name = _literal(zone)
    if name is None:
        return f"timezone({zone.sql}, timezone('UTC', {ts}))"
    offset = _zone_offset_minutes(name)
    if offset is not None:
        return f"({ts} + to_minutes({offset}))"
    return f"timezone({sql_string(name)}, timezone('UTC', {ts}))"


def local_to_utc(ts: str, zone: Compiled) -> str:
    name = _literal(zone)
    if name is None:
        return f"CAST(timezone('UTC', timezone({zone.sql}, {ts})) AS TIMESTAMP)"
    offset = _zone_offset_minutes(name)
    if offset is not None:
        return f"({ts} - to_minutes({offset}))"
    return f"CAST(timezone('UTC', timezone({sql_string(name)}, {ts})) AS TIMESTAMP)"


def _parsed_utc(s: Compiled, pattern: Compiled, zone: tuple[Compiled, ...]) -> str:
    """A naive UTC timestamp parsed from text; without an offset in the text, `zone` applies."""
    parsed = f"try_strptime({_parse_input(s, pattern)}, {_format_of(pattern)})"
    if "%z" in to_strftime(_java_pattern(pattern)):
        return f"CAST({parsed} AS TIMESTAMP)"
    return local_to_utc(f"CAST({parsed} AS TIMESTAMP)", zone[0]) if zone else f"CAST({parsed} AS TIMESTAMP)"


def _parse(target, duck: str):
    def hook(s: Compiled, pattern: Compiled, *zone: Compiled) -> Compiled:
        parsed = _parsed_utc(s, pattern, zone)
        if target == DATE:
            # ksqlDB's PARSE_DATE ignores text after a complete date: parse the longest prefix
            # of the pattern's shape when the whole text does not parse.
            prefix = to_prefix_regex(_java_pattern(pattern))
            if prefix is not None:
                head = Compiled(f"regexp_extract({s.sql}, {sql_string(prefix)}, 1)", STRING)
                parsed = f"coalesce({parsed}, {_parsed_utc(head, pattern, zone)})"
        return Compiled(f"CAST({parsed} AS {duck})", target)
    return hook


_ZONE_MARK = "\ue000"  # stands for the zone name while DuckDB formats the rest


def _zone_names(ms: pa.Array, zones: pa.Array) -> pa.Array:
    """Java's `z`: the zone's short name at each instant (PDT, CET, UTC, ...)."""
    names = []
    for t, z in zip(ms.to_pylist(), zones.to_pylist(), strict=True):
        names.append(None if t is None or z is None else zone_name(z, t))
    return pa.array(names, pa.string())


def _offset_text(token: str, minutes: str) -> str:
    """SQL: a zone offset in minutes as Java prints the pattern letter `token`."""
    sign = f"CASE WHEN {minutes} < 0 THEN '-' ELSE '+' END"
    hh = f"lpad(CAST(abs({minutes}) // 60 AS VARCHAR), 2, '0')"
    mm = f"lpad(CAST(abs({minutes}) % 60 AS VARCHAR), 2, '0')"
    if token == "Z":
        return f"{sign} || {hh} || {mm}"
    text = {"XXX": f"{sign} || {hh} || ':' || {mm}", "XX": f"{sign} || {hh} || {mm}"}.get(
        token, f"{sign} || {hh} || CASE WHEN abs({minutes}) % 60 = 0 THEN '' ELSE {mm} END"
    )
    return f"CASE WHEN {minutes} = 0 THEN 'Z' ELSE {text} END"


def _strftime(
    value: str,
    pattern: Compiled,
    ms_sql: str | None,
    zone: tuple[Compiled, ...],
    utc: str | None = None,
) -> str:
    """strftime with a Java pattern; its zone-name letters (`z`) and zone offsets (`Z`, `X`)
    filled in per row (`utc`: the instant `value` shows in local time, when a zone applies)."""
    fmt = to_strftime(_java_pattern(pattern), offsets=True)
    marks = [(t, m) for t, m in OFFSET_MARKS.items() if m in fmt]
    if "%Z" in fmt and ms_sql is not None:
        zone_arg = zone[0] if zone else Compiled("'UTC'", STRING)
        name = internal_call("ZONE_NAME", _zone_names, [Compiled(ms_sql, BIGINT), zone_arg], STRING)
        fmt = fmt.replace("%Z", _ZONE_MARK)
        marks.append(("z", _ZONE_MARK))
    out = f"strftime({value}, {sql_string(fmt)})"
    minutes = f"CAST(date_diff('minute', {utc}, {value}) AS INTEGER)" if utc and zone else "0"
    for token, mark in marks:
        text = name.sql if token == "z" else _offset_text(token, minutes)
        out = f"replace({out}, '{mark}', {text})"
    return out


def _format(s: Compiled, pattern: Compiled, *zone: Compiled) -> Compiled:
    value, ms_sql = s.sql, None
    if s.type == TIME:
        value = f"(DATE '1970-01-01' + {s.sql})"
    elif s.type == TIMESTAMP:
        ms_sql = f"epoch_ms({s.sql})"
        if zone:
            value = utc_to_local(s.sql, zone[0])
    utc = s.sql if s.type == TIMESTAMP else None
    return Compiled(_strftime(value, pattern, ms_sql, zone, utc), STRING)


def _timestamp_to_string(ms: Compiled, pattern: Compiled, *zone: Compiled) -> Compiled:
    utc = f"CAST(epoch_ms(CAST({ms.sql} AS BIGINT)) AS TIMESTAMP)"
    ts = utc_to_local(utc, zone[0]) if zone else utc
    return Compiled(_strftime(ts, pattern, f"CAST({ms.sql} AS BIGINT)", zone, utc), STRING)


def _string_to_timestamp(s: Compiled, pattern: Compiled, *zone: Compiled) -> Compiled:
    return Compiled(f"epoch_ms({_parsed_utc(s, pattern, zone)})", BIGINT)


def _string_to_date(s: Compiled, pattern: Compiled) -> Compiled:
    """Deprecated STRINGTODATE: epoch days of a date string."""
    parsed = f"CAST({_parsed_utc(s, pattern, ())} AS DATE)"
    return Compiled(f"CAST({parsed} - DATE '1970-01-01' AS INTEGER)", INTEGER)


def _date_to_string(days: Compiled, pattern: Compiled) -> Compiled:
    """Deprecated DATETOSTRING: format epoch days."""
    date = f"(DATE '1970-01-01' + CAST({days.sql} AS INTEGER))"
    return Compiled(f"strftime({date}, {_format_of(pattern)})", STRING)


def _convert_tz(ts: Compiled, source: Compiled, target: Compiled) -> Compiled:
    """Reinterpret a wall-clock timestamp from one zone into another."""
    if ts.type not in (TIMESTAMP, None):
        raise signature_error("CONVERT_TZ", [ts.type, source.type, target.type])
    utc = local_to_utc(ts.sql, source)
    return Compiled(f"CAST({utc_to_local(utc, target)} AS TIMESTAMP_MS)", TIMESTAMP)


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


def _shift(fn: str, sign: str, allowed: tuple):
    def hook(unit: Compiled, amount: Compiled, value: Compiled) -> Compiled:
        name = (_literal(unit) or "").upper().rstrip("S")
        ms = _UNIT_MS.get(name)
        if ms is None or amount.type not in (INTEGER, BIGINT, None) or value.type not in (*allowed, None):
            raise signature_error(fn, [unit.type, amount.type, value.type])
        t = value.type or allowed[0]
        sql = f"CAST({value.sql} {sign} to_milliseconds(CAST({amount.sql} AS BIGINT) * {ms}) AS {t.duckdb()})"
        return Compiled(sql, t)
    return hook


def register(registry) -> None:
    add = registry.register
    _p = pattern_argument  # patterns may be columns
    add(ScalarFunction("PARSE_DATE", _p("PARSE_DATE", _parse(DATE, "DATE")), "Parse a date", "DATE", (2, 2)))
    add(ScalarFunction("PARSE_TIME", _p("PARSE_TIME", _parse(TIME, "TIME")), "Parse a time", "DATE", (2, 2)))
    add(ScalarFunction("PARSE_TIMESTAMP", _p("PARSE_TIMESTAMP", _parse(TIMESTAMP, "TIMESTAMP_MS")), "Parse a timestamp", "DATE", (2, 3)))
    add(ScalarFunction("FORMAT_DATE", _p("FORMAT_DATE", _format), "Format a date", "DATE", (2, 2)))
    add(ScalarFunction("FORMAT_TIME", _p("FORMAT_TIME", _format), "Format a time", "DATE", (2, 2)))
    add(ScalarFunction("FORMAT_TIMESTAMP", _p("FORMAT_TIMESTAMP", _format), "Format a timestamp", "DATE", (2, 3)))
    add(ScalarFunction("TIMESTAMPTOSTRING", _p("TIMESTAMPTOSTRING", _timestamp_to_string), "Format epoch ms", "DATE", (2, 3)))
    add(ScalarFunction("STRINGTOTIMESTAMP", _p("STRINGTOTIMESTAMP", _string_to_timestamp), "Parse to epoch ms", "DATE", (2, 3)))
    add(ScalarFunction("UNIX_TIMESTAMP", _unix_timestamp, "Epoch milliseconds", "DATE", (0, 1)))
    add(ScalarFunction("UNIX_DATE", _unix_date, "Epoch days", "DATE", (0, 1)))
    add(ScalarFunction("FROM_UNIXTIME", _from_unixtime, "Timestamp of epoch ms", "DATE", (1, 1)))
    add(ScalarFunction("FROM_DAYS", _from_days, "Date of epoch days", "DATE", (1, 1)))
    add(ScalarFunction("TIMESTAMPADD", _shift("TIMESTAMPADD", "+", (TIMESTAMP,)), "Add to a timestamp", "DATE", (3, 3)))
    add(ScalarFunction("TIMESTAMPSUB", _shift("TIMESTAMPSUB", "-", (TIMESTAMP,)), "Subtract from a timestamp", "DATE", (3, 3)))
    add(ScalarFunction("DATEADD", _shift("DATEADD", "+", (DATE,)), "Add to a date", "DATE", (3, 3)))
    add(ScalarFunction("DATESUB", _shift("DATESUB", "-", (DATE,)), "Subtract from a date", "DATE", (3, 3)))
    add(ScalarFunction("TIMEADD", _shift("TIMEADD", "+", (TIME,)), "Add to a time", "DATE", (3, 3)))
    add(ScalarFunction("TIMESUB", _shift("TIMESUB", "-", (TIME,)), "Subtract from a time", "DATE", (3, 3)))
    add(ScalarFunction("STRINGTODATE", _p("STRINGTODATE", _string_to_date), "Epoch days of a date string", "DATE", (2, 2)))
    add(ScalarFunction("DATETOSTRING", _p("DATETOSTRING", _date_to_string), "Format epoch days", "DATE", (2, 2)))
    add(ScalarFunction("CONVERT_TZ", _convert_tz, "Convert a timestamp between zones", "DATE", (3, 3)))
