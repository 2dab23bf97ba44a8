"""Vectorized JSON decoding: a batch of JSON texts -> typed Arrow columns plus per-row errors.

Step 1 finds the batch's top-level keys (one DuckDB pass) so each declared column can be matched
to its JSON key as written or upper-cased, the way ksqlDB matches. Step 2 parses each document
once (json_transform to JSON-typed fields) and coerces every field with ksqlDB's rules
(json_coerce), producing the values and the first error of each row in the same query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from ksql.formats import duck
from ksql.formats.base import Columns, DecodeResult, as_array, null_table
from ksql.formats.json_coerce import coerce, json_path, sql_string
from ksql.types import quote_identifier

PARSE_ERROR = "Failed to deserialize JSON: malformed JSON text"


def decode_json(data: pa.Array, columns: Columns, *, unwrapped: bool) -> DecodeResult:
    data = as_array(data)
    n = len(data)
    if n == 0 or not columns:
        return DecodeResult(null_table(n, columns), None)
    texts, utf8_errors = _texts(data)
    try:
        table = _decode_texts(texts, columns, unwrapped=unwrapped)
    except Exception:  # noqa: BLE001 - a batch DuckDB rejects is retried row by row below
        table = _decode_rows(texts, columns, unwrapped=unwrapped)
    errors = as_array(table.column("__error"))
    if utf8_errors is not None:
        errors = pc.coalesce(utf8_errors, errors)
    return _finish(table, errors, columns)


def _texts(data: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """The records as UTF-8 text; records that are not valid UTF-8 become errors."""
    try:
        return data.cast(pa.string()), None
    except pa.ArrowInvalid:
        texts, errors = [], []
        for raw in data.cast(pa.binary()).to_pylist():  # rare: only batches with bad UTF-8
            try:
                texts.append(None if raw is None else raw.decode("utf-8"))
                errors.append(None)
            except UnicodeDecodeError:
                texts.append(None)
                errors.append("Failed to deserialize JSON: invalid UTF-8")
        return pa.array(texts, pa.string()), pa.array(errors, pa.string())


def _decode_rows(texts: pa.Array, columns: Columns, *, unwrapped: bool) -> pa.Table:
    """Fallback: decode each record alone so one record DuckDB rejects cannot sink the batch."""
    parts = []
    for i in range(len(texts)):
        one = texts.slice(i, 1)
        try:
            parts.append(_decode_texts(one, columns, unwrapped=unwrapped))
        except Exception as error:  # noqa: BLE001 - the reason becomes this row's error
            empty = null_table(1, [(f"c{j}", t) for j, (_, t) in enumerate(columns)])
            parts.append(empty.append_column("__error", pa.array([str(error)], pa.string())))
    return pa.concat_tables(parts, promote_options="permissive")


def _decode_texts(texts: pa.Array, columns: Columns, *, unwrapped: bool) -> pa.Table:
    source = pa.table({"v": texts})
    if unwrapped:
        value, error = coerce(columns[0][1], "doc")
        sql = (
            f"SELECT {value} AS c0, coalesce({_parse_error('doc IS NULL')}, {error}) AS __error "
            f"FROM (SELECT v, CASE WHEN json_valid(v) THEN v::JSON END AS doc FROM src)"
        )
        return duck.run(sql, src=source)
    fields = _field_sources(source, columns)
    # Step 1: the document once; step 2: its fields as JSON; step 3: each field's JSON type;
    # step 4: typed values; step 5: errors from the values and types computed before.
    raw_fields = ", ".join(f"{ref} AS j{i}" for i, ref in enumerate(fields.refs))
    types = ", ".join(f"json_type(j{i}) AS t{i}" for i in range(len(columns)))
    values, errors = [], ["perr", _object_error()]
    for i, (_, sql_type) in enumerate(columns):
        value, error = coerce(sql_type, f"j{i}", t=f"t{i}", value_ref=f"c{i}")
        values.append(f"{value} AS c{i}")
        errors.append(error)
    carried = ", ".join(f"j{i}, t{i}" for i in range(len(columns)))
    outputs = ", ".join(f"c{i}" for i in range(len(columns)))
    js = ", ".join(f"j{i}" for i in range(len(columns)))
    sql = (
        f"WITH parsed AS (SELECT {_parse_error('doc IS NULL')} AS perr, dt, {js}, "
        f"{types} FROM (SELECT v, doc, dt, {raw_fields} FROM "
        f"(SELECT v, doc, dt, {_raw_fields_sql(fields)} FROM "
        f"(SELECT v, doc, CASE WHEN doc IS NOT NULL THEN json_type(doc) END AS dt FROM "
        f"(SELECT v, CASE WHEN json_valid(v) THEN v END AS doc FROM src))))), "
        f"typed AS (SELECT perr, dt, {carried}, {', '.join(values)} FROM parsed) "
        f"SELECT {outputs}, coalesce({', '.join(errors)}) AS __error FROM typed"
    )
    return duck.run(sql, src=source)


def _parse_error(doc_is_null: str) -> str:
    # Nested CASE: only the few rows that failed to parse pay for trim().
    return (
        f"CASE WHEN {doc_is_null} AND v IS NOT NULL THEN "
        f"CASE WHEN trim(v) <> '' THEN {sql_string(PARSE_ERROR)} END END"
    )


def _object_error() -> str:
    return (
        "CASE WHEN dt NOT IN ('OBJECT', 'NULL') THEN 'Can''t convert type. "
        "sourceType: ' || CASE dt WHEN 'VARCHAR' THEN 'TextNode' WHEN 'ARRAY' "
        "THEN 'ArrayNode' WHEN 'BOOLEAN' THEN 'BooleanNode' WHEN 'DOUBLE' THEN 'DoubleNode' "
        "ELSE 'IntNode' END || ', requiredType: STRUCT' END"
    )


@dataclass(frozen=True, slots=True)
class _Fields:
    """SQL for each column's raw JSON field, plus the one parse that produces them."""

    refs: list[str] = field(default_factory=list)
    spec: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)


def _field_sources(source: pa.Table, columns: Columns) -> _Fields:
    keys = _top_level_keys(source)
    matches: list[list[str]] = []
    for name, _ in columns:
        found = [k for k in keys if k == name] + [
            k for k in keys if k != name and k.upper() == name
        ]
        matches.append(found)
    chosen = [k for found in matches for k in found]
    # DuckDB struct names are case-insensitive: keys differing only in case need json_extract.
    by_json_transform = len({k.lower() for k in chosen}) == len(chosen)
    fields = _Fields()
    for found in matches:
        refs = []
        for key in found:
            if by_json_transform:
                fields.spec[key] = "JSON"
                refs.append(f"raw.{quote_identifier(key)}")
            else:
                fields.paths.append(json_path(key))
                refs.append(f"raw[{len(fields.paths)}]")
        if not refs:
            fields.refs.append("NULL::JSON")
        elif len(refs) == 1:
            fields.refs.append(refs[0])
        else:
            fields.refs.append(f"coalesce({', '.join(refs)})")
    return fields


def _raw_fields_sql(fields: _Fields) -> str:
    obj = "CASE WHEN dt = 'OBJECT' THEN doc END"
    if fields.paths:
        return f"json_extract({obj}, [{', '.join(fields.paths)}]) AS raw"
    if fields.spec:
        return f"json_transform({obj}, {sql_string(json.dumps(fields.spec))}) AS raw"
    return "NULL AS raw"


def _top_level_keys(source: pa.Table) -> list[str]:
    # json_keys of a non-object is NULL, so invalid and bare values simply add no keys.
    sql = "SELECT DISTINCT unnest(json_keys(v)) AS k FROM src WHERE json_valid(v)"
    return sorted(k for k in duck.run(sql, src=source).column("k").to_pylist() if k is not None)


def _finish(table: pa.Table, errors: pa.Array, columns: Columns) -> DecodeResult:
    failed = pc.is_valid(errors)
    any_failed = errors.null_count < len(errors)
    arrays = []
    for i, (_, sql_type) in enumerate(columns):
        target = sql_type.arrow()
        column = as_array(table.column(f"c{i}"))
        if column.type != target:
            column = column.cast(target)
        if any_failed:
            column = pc.if_else(failed, pa.scalar(None, target), column)
        arrays.append(column)
    names = [name for name, _ in columns]
    return DecodeResult(pa.table(arrays, names=names), errors if any_failed else None)
