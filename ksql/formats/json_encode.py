"""Vectorized JSON encoding: typed Arrow columns -> JSON texts as ksqlDB writes them.

ksqlDB writes TIMESTAMP and TIME as milliseconds, DATE as days since the epoch, BYTES as base64,
DECIMAL as a JSON number with all its digits, and a value schema as an object keyed by column name
(or the bare value when a single column is unwrapped).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ksql.formats import duck
from ksql.formats.base import Columns, table_column
from ksql.types import ArrayType, MapType, SqlType, StructType, quote_identifier


def needs_conversion(sql_type: SqlType) -> bool:
    if isinstance(sql_type, ArrayType):
        return needs_conversion(sql_type.element)
    if isinstance(sql_type, MapType):
        return needs_conversion(sql_type.value)
    if isinstance(sql_type, StructType):
        return any(needs_conversion(f.type) for f in sql_type.fields)
    return sql_type.name in ("TIMESTAMP", "TIME", "DATE", "BYTES", "DOUBLE")


def json_value(sql_type: SqlType, expr: str, depth: int = 0) -> str:
    """A DuckDB expression whose to_json() is ksqlDB's JSON for `expr` of `sql_type`."""
    if not needs_conversion(sql_type):
        return expr
    if isinstance(sql_type, ArrayType):
        x = f"x{depth}"
        return f"list_transform({expr}, lambda {x}: {json_value(sql_type.element, x, depth + 1)})"
    if isinstance(sql_type, MapType):
        e = f"e{depth}"
        inner = json_value(sql_type.value, f"{e}.value", depth + 1)
        return (
            f"map_from_entries(list_transform(map_entries({expr}), "
            f"lambda {e}: struct_pack(key := {e}.key, value := {inner})))"
        )
    if isinstance(sql_type, StructType):
        fields = ", ".join(
            f"{quote_identifier(f.name)} := {json_value(f.type, f'{expr}.{quote_identifier(f.name)}', depth + 1)}"
            for f in sql_type.fields
        )
        return f"CASE WHEN {expr} IS NOT NULL THEN struct_pack({fields}) END"
    name = sql_type.name
    if name == "DOUBLE":
        # Jackson (ksqlDB) writes non-finite doubles as the strings "NaN", "Infinity", "-Infinity".
        return (
            f"CASE WHEN isfinite({expr}) OR {expr} IS NULL THEN to_json({expr}) "
            f"WHEN isnan({expr}) THEN '\"NaN\"'::JSON "
            f"WHEN {expr} > 0 THEN '\"Infinity\"'::JSON ELSE '\"-Infinity\"'::JSON END"
        )
    if name == "TIMESTAMP":
        return f"epoch_ms(CAST({expr} AS TIMESTAMP))"
    if name == "TIME":
        return f"epoch_ms(DATE '1970-01-01' + {expr})"
    if name == "DATE":
        return f"date_diff('day', DATE '1970-01-01', {expr})"
    return f"to_base64({expr})"  # BYTES


def json_text_sql(columns: Columns, refs: list[str], *, unwrapped: bool) -> str:
    """A DuckDB expression for the JSON text of one record whose column i is `refs[i]`."""
    if unwrapped:
        return f"to_json({json_value(columns[0][1], refs[0])})"
    fields = ", ".join(
        f"{quote_identifier(name)} := {json_value(t, ref)}"
        for (name, t), ref in zip(columns, refs, strict=True)
    )
    return f"to_json(struct_pack({fields}))"


def encode_json(table, columns: Columns, *, unwrapped: bool) -> pa.Array:
    n = table.num_rows
    if not columns:
        return pa.nulls(n, pa.binary())
    source = pa.table({f"c{i}": table_column(table, name) for i, (name, _) in enumerate(columns)})
    text = json_text_sql(columns, [f"c{i}" for i in range(len(columns))], unwrapped=unwrapped)
    out = duck.run(f"SELECT {text} AS j FROM src", src=source).column("j")
    out = out.combine_chunks() if out.num_chunks != 1 else out.chunk(0)
    return pc.cast(out, pa.string()).cast(pa.binary())
