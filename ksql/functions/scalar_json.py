"""JSON functions over STRING values (EXTRACTJSONFIELD, JSON_*, TO_JSON_STRING); bad JSON -> NULL."""

from __future__ import annotations

import json

import pyarrow as pa

from ksql.compiler.casts import to_string_sql
from ksql.compiler.sql import Compiled
from ksql.functions.python_udf import internal_call
from ksql.functions.registry import ScalarFunction, signature_error
from ksql.types import BOOLEAN, BYTES, DATE, INTEGER, STRING, TIME, TIMESTAMP, ArrayType, MapType


def _string_arg(name: str, *args: Compiled) -> None:
    if any(a.type not in (STRING, None) for a in args):
        raise signature_error(name, [a.type for a in args])


def _when_json(s: str, kind: str | None, sql: str) -> str:
    """`sql` where `s` is valid JSON (of the given json_type), NULL otherwise."""
    test = f"json_valid({s})"
    if kind:
        test += f" AND json_type({s}) = '{kind}'"
    return f"(CASE WHEN {test} THEN {sql} END)"


def _first_json_values(texts: pa.Array) -> pa.Array:
    """The leading JSON value of each text (Jackson's readTree ignores trailing tokens)."""
    decoder = json.JSONDecoder()
    out = []
    for text in texts.to_pylist():
        try:
            stripped = (text or "").lstrip()
            _, end = decoder.raw_decode(stripped)
            out.append(stripped[:end])
        except ValueError:
            out.append(None)
    return pa.array(out, pa.string())


def _leading_json(s: Compiled) -> str:
    """`s`, or for text that is not JSON as a whole, the JSON value it starts with; the Python
    path only sees the rows DuckDB finds invalid."""
    first = internal_call("FIRST_JSON_VALUE", _first_json_values, [s], STRING)
    return f"(CASE WHEN json_valid({s.sql}) THEN {s.sql} ELSE {first.sql} END)"


def _extract_json_field(s: Compiled, path: Compiled) -> Compiled:
    _string_arg("EXTRACTJSONFIELD", s, path)
    doc = _leading_json(s)
    return Compiled(_when_json(doc, None, f"json_extract_string({doc}, {path.sql})"), STRING)


def _json_array_length(s: Compiled) -> Compiled:
    _string_arg("JSON_ARRAY_LENGTH", s)
    sql = f"CAST(json_array_length({s.sql}) AS INTEGER)"
    return Compiled(_when_json(s.sql, "ARRAY", sql), INTEGER)


def _json_keys(s: Compiled) -> Compiled:
    _string_arg("JSON_KEYS", s)
    return Compiled(_when_json(s.sql, "OBJECT", f"json_keys({s.sql})"), ArrayType(STRING))


def _json_records(s: Compiled) -> Compiled:
    _string_arg("JSON_RECORDS", s)
    value = f"json_extract_string({s.sql}, '$.\"' || replace(k, '\"', '\\\"') || '\"')"
    entries = f"list_transform(json_keys({s.sql}), lambda k: {{'key': k, 'value': {value}}})"
    return Compiled(_when_json(s.sql, "OBJECT", f"map_from_entries({entries})"), MapType(STRING, STRING))


def _json_items(s: Compiled) -> Compiled:
    _string_arg("JSON_ITEMS", s)
    sql = f"CAST(json_extract({s.sql}, '$[*]') AS VARCHAR[])"
    return Compiled(_when_json(s.sql, "ARRAY", sql), ArrayType(STRING))


def _is_json_string(s: Compiled) -> Compiled:
    _string_arg("IS_JSON_STRING", s)
    return Compiled(f"coalesce(json_valid({s.sql}), false)", BOOLEAN)


def _json_concat(*args: Compiled) -> Compiled:
    """JSON_CONCAT: objects merge (later keys win); otherwise one array of every argument,
    arrays flattened one level. Any NULL or invalid argument gives NULL."""
    for a in args:
        _string_arg("JSON_CONCAT", a)
    valid = " AND ".join(f"coalesce(json_valid({a.sql}), false)" for a in args)
    objects = " AND ".join(f"json_type({a.sql}) = 'OBJECT'" for a in args)
    merged = ", ".join(f"CAST(CAST({a.sql} AS JSON) AS MAP(VARCHAR, JSON))" for a in args)
    items = ", ".join(
        f"(CASE WHEN json_type({a.sql}) = 'ARRAY' THEN CAST(CAST({a.sql} AS JSON) AS JSON[]) "
        f"ELSE [CAST({a.sql} AS JSON)] END)"
        for a in args
    )
    sql = (
        f"(CASE WHEN {valid} THEN (CASE WHEN {objects} "
        f"THEN CAST(to_json(map_concat({merged})) AS VARCHAR) "
        f"ELSE CAST(to_json(list_concat({items})) AS VARCHAR) END) END)"
    )
    return Compiled(sql, STRING)


def _json_array_contains(s: Compiled, v: Compiled) -> Compiled:
    _string_arg("JSON_ARRAY_CONTAINS", s)
    items = f"CAST(json_extract({s.sql}, '$[*]') AS VARCHAR[])"
    needle = f"CAST(to_json({v.sql}) AS VARCHAR)"
    return Compiled(f"coalesce({_when_json(s.sql, 'ARRAY', f'list_contains({items}, {needle})')}, false)", BOOLEAN)


def _to_json_string(v: Compiled) -> Compiled:
    """JSON text of any value; temporals as ksqlDB prints them, NULL as 'null'."""
    if v.type in (TIME, DATE, TIMESTAMP):
        sql = f"to_json({to_string_sql(v)})"
    elif v.type == BYTES:
        sql = f"to_json(to_base64({v.sql}))"
    else:
        sql = f"to_json({v.sql})"
    return Compiled(f"coalesce(CAST({sql} AS VARCHAR), 'null')", STRING)


def register(registry) -> None:
    add = registry.register
    add(ScalarFunction("EXTRACTJSONFIELD", _extract_json_field, "Value at a JSONPath as text", "JSON", (2, 2)))
    add(ScalarFunction("JSON_ARRAY_LENGTH", _json_array_length, "Length of a JSON array", "JSON", (1, 1)))
    add(ScalarFunction("JSON_KEYS", _json_keys, "Keys of a JSON object", "JSON", (1, 1)))
    add(ScalarFunction("JSON_RECORDS", _json_records, "Entries of a JSON object as a map", "JSON", (1, 1)))
    add(ScalarFunction("JSON_ITEMS", _json_items, "Items of a JSON array as text", "JSON", (1, 1)))
    add(ScalarFunction("IS_JSON_STRING", _is_json_string, "Whether a string is valid JSON", "JSON", (1, 1)))
    add(ScalarFunction("JSON_CONCAT", _json_concat, "Merge JSON objects or concatenate arrays", "JSON", (1, None)))
    add(ScalarFunction("JSON_ARRAY_CONTAINS", _json_array_contains, "Whether a JSON array holds a value", "JSON", (2, 2)))
    add(ScalarFunction("TO_JSON_STRING", _to_json_string, "Any value as JSON text", "JSON", (1, 1)))
