"""Vectorized JSON decoding: a batch of JSON texts -> typed Arrow columns plus per-row errors.

Fast path (see `_decode_fast`): the batch's key layout is guessed from one record, every record
is parsed once into typed fields by json_transform, and a record counts as decoded only when
re-serializing its typed fields reproduces its text byte for byte — which proves the record is an
object with exactly those keys, in that order, whose values are already of the declared types, so
ksqlDB's coercions are the identity on it. Records that fail the check (and whole batches DuckDB
rejects) take the general path below.

General path: step 1 finds the batch's top-level keys (one DuckDB pass) so each declared column can be matched
to its JSON key as written or upper-cased, the way ksqlDB matches. Step 2 parses each document
once (json_transform to JSON-typed fields) and coerces every field with ksqlDB's rules
(json_coerce), producing the values and the first error of each row in the same query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ksql.formats import duck
from ksql.formats.base import Columns, DecodeResult, as_array, null_table
from ksql.formats.json_coerce import coerce, json_path, sql_string
from ksql.types import DecimalType, PrimitiveType, quote_identifier

PARSE_ERROR = "Failed to deserialize JSON: malformed JSON text"


def decode_json(data: pa.Array, columns: Columns, *, unwrapped: bool) -> DecodeResult:
    data = as_array(data)
    n = len(data)
    if n == 0 or not columns:
        return DecodeResult(null_table(n, columns), None)
    texts, utf8_errors = _texts(data)
    if not unwrapped and utf8_errors is None:
        fast = _decode_fast(texts, columns)
        if fast is not None:
            return fast
    if unwrapped and utf8_errors is None:
        whole = _decode_whole_numbers(texts, columns)
        if whole is not None:
            return whole
    table = _decode_general(texts, columns, unwrapped=unwrapped)
    errors = as_array(table.column("__error"))
    if utf8_errors is not None:
        errors = pc.coalesce(utf8_errors, errors)
    return _finish(table, errors, columns)


def _decode_general(texts: pa.Array, columns: Columns, *, unwrapped: bool) -> pa.Table:
    """Columns c0.. plus __error, by ksqlDB's rules for any input."""
    try:
        return _decode_texts(texts, columns, unwrapped=unwrapped)
    except Exception:  # noqa: BLE001 - a batch DuckDB rejects is retried row by row below
        return _decode_rows(texts, columns, unwrapped=unwrapped)


# ---------------------------------------------------------------- fast path

# Declared types json_transform produces directly; a verified record holds them already typed.
_TYPED = {"BOOLEAN": "BOOLEAN", "INTEGER": "INTEGER", "BIGINT": "BIGINT", "DOUBLE": "DOUBLE",
          "STRING": "VARCHAR"}
_plans: dict[tuple, FastLayout | None] = {}
_MAX_PLANS = 256


def sample_keys(texts: pa.Array) -> tuple[str, ...] | None:
    """The top-level keys, in order, of the first non-null record (None: not an object)."""
    for i in range(min(len(texts), 4)):
        raw = texts[i].as_py()
        if raw is None:
            continue
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        return tuple(doc) if isinstance(doc, dict) and doc else None
    return None


@dataclass(frozen=True, slots=True)
class FastLayout:
    """SQL decoding records whose top-level keys are exactly `keys`, in that order.

    Over a text column `v`: `parsed` is the one parse (`... AS r`), `values[i]` column i's value
    over `r`, `ok` whether the record verified (its values are then ksqlDB's). `exact` tells
    that every value already has the DuckDB type of its column's Arrow type.
    """

    keys: tuple[str, ...]
    parsed: str
    values: tuple[str, ...]
    ok: str
    exact: bool

    def sql(self) -> str:
        values = ", ".join(f"{v} AS c{i}" for i, v in enumerate(self.values))
        return f"SELECT {values}, {self.ok} AS __ok FROM (SELECT v, {self.parsed} AS r FROM src)"


def _layout(columns: Columns, keys: tuple[str, ...]) -> FastLayout | None:
    if len({k.lower() for k in keys}) != len(keys):
        return None  # DuckDB struct fields are case-insensitive
    key_of: list[str | None] = []
    used: set[str] = set()
    for name, _ in columns:
        found = [k for k in keys if k == name] + [k for k in keys if k != name and k.upper() == name]
        if len(found) > 1:
            return None
        key = found[0] if found else None
        if key is not None:
            if key in used:
                return None
            used.add(key)
        key_of.append(key)
    type_of = {k: t for (_, t), k in zip(columns, key_of, strict=True) if k is not None}
    spec: dict[str, str] = {}
    for k in keys:
        t = type_of.get(k)
        typed = isinstance(t, PrimitiveType) and t.name in _TYPED
        spec[k] = _TYPED[t.name] if typed else "JSON"  # type: ignore[union-attr]
    values, checks = [], ["(v IS NULL OR coalesce(to_json(r)::VARCHAR = v, false))"]
    exact = True
    for (_, sql_type), key in zip(columns, key_of, strict=True):
        flat = isinstance(sql_type, PrimitiveType | DecimalType)
        if key is None:
            values.append(f"CAST(NULL AS {sql_type.duckdb()})" if flat else "NULL")
            exact = exact and flat
            continue
        ref = f"r.{quote_identifier(key)}"
        if spec[key] != "JSON":
            values.append(ref)
            continue
        # Values json_transform cannot type (DECIMAL, TIMESTAMP, nested ...) are coerced from
        # their JSON by the general rules; a record whose coercion fails is not fast.
        value, error = coerce(sql_type, ref)
        checks.append(f"({error}) IS NULL")
        if flat:
            values.append(f"CAST({value} AS {sql_type.duckdb()})")
        else:
            values.append(value)
            exact = False
    parsed = f"json_transform(v, {sql_string(json.dumps(spec))})"
    return FastLayout(keys, parsed, tuple(values), " AND ".join(checks), exact)


def fast_layout(columns: Columns, keys: tuple[str, ...]) -> FastLayout | None:
    """The fast decoding of records laid out as `keys` (None: ambiguous field matches)."""
    cache_key = (tuple(columns), keys)
    try:
        return _plans[cache_key]
    except KeyError:
        pass
    except TypeError:  # unhashable column types: plan without caching
        return _layout(columns, keys)
    layout = _layout(columns, keys)
    if len(_plans) >= _MAX_PLANS:
        _plans.clear()
    _plans[cache_key] = layout
    return layout


def _decode_fast(texts: pa.Array, columns: Columns) -> DecodeResult | None:
    """Decoded batch, or None when the fast path does not apply to this batch at all."""
    keys = sample_keys(texts)
    if keys is None:
        return None
    layout = fast_layout(columns, keys)
    if layout is None:
        return None
    try:
        table = duck.run(layout.sql(), src=pa.table({"v": texts}))
    except Exception:  # noqa: BLE001 - e.g. a malformed record: the general path reports it
        return None
    ok = pc.fill_null(as_array(table.column("__ok")), False)
    n = len(texts)
    passed = pc.sum(ok).as_py() or 0
    if passed == n:
        return _finish(table, pa.nulls(n, pa.string()), columns)
    if passed == 0:
        return None
    # Records that did not verify: decode just those by the general rules, then put them back.
    bad = pc.invert(ok)
    slow = _decode_general(texts.filter(bad), columns, unwrapped=False)
    bad_np = bad.to_numpy(zero_copy_only=False)
    indices = np.arange(n, dtype=np.int64)
    indices[bad_np] = n + np.arange(n - passed, dtype=np.int64)
    indices = pa.array(indices)
    merged = {}
    for i, (_, sql_type) in enumerate(columns):
        target = sql_type.arrow()
        fast_col = as_array(table.column(f"c{i}")).cast(target)
        slow_col = as_array(slow.column(f"c{i}")).cast(target)
        merged[f"c{i}"] = pc.take(pa.concat_arrays([fast_col, slow_col]), indices)
    slow_errors = as_array(slow.column("__error")).cast(pa.string())
    errors = pc.take(pa.concat_arrays([pa.nulls(n, pa.string()), slow_errors]), indices)
    return _finish(pa.table(merged), errors, columns)


_WHOLE_NUMBERS = ("INTEGER", "BIGINT")


def _decode_whole_numbers(texts: pa.Array, columns: Columns) -> DecodeResult | None:
    """A single INT/BIGINT value per record (typically a key): one cast, kept only when every
    record is exactly the number's text, so nothing needs ksqlDB's coercions."""
    if len(columns) != 1:
        return None
    name, sql_type = columns[0]
    if not (isinstance(sql_type, PrimitiveType) and sql_type.name in _WHOLE_NUMBERS):
        return None
    out = duck.run(
        f"SELECT TRY_CAST(v AS {sql_type.duckdb()}) AS c0, "
        "coalesce(v IS NULL OR c0::VARCHAR = v, false) AS ok FROM t",
        t=pa.table({"v": texts}),
    )
    if not pc.all(out.column("ok")).as_py():
        return None
    return DecodeResult(pa.table({name: out.column("c0").cast(sql_type.arrow())}), None)


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
