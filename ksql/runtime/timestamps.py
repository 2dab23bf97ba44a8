"""Timestamp extraction helpers: string timestamps with Java-style patterns -> epoch ms."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc


def parse_timestamp_strings(values: pa.Array, java_pattern: str | None) -> pa.Array:
    """Parse strings to epoch milliseconds (null where they do not parse)."""
    con = duckdb.connect()
    con.register("ts_input", pa.table({"v": values}))
    if java_pattern is None:
        sql = "SELECT epoch_ms(TRY_CAST(v AS TIMESTAMP)) AS ms FROM ts_input"
    else:
        from ksql.functions.java_time_format import to_strftime

        fmt = to_strftime(java_pattern).replace("'", "''")
        value = "v"
        if "%z" in fmt:
            # Java's X accepts 'Z' for UTC; strptime's %z wants an offset.
            value = "regexp_replace(v, 'Z$', '+0000')"
        sql = f"SELECT epoch_ms(TRY_STRPTIME({value}, '{fmt}')) AS ms FROM ts_input"
    result = con.sql(sql).to_arrow_table().column("ms").combine_chunks()
    return result.cast(pa.int64())


def sink_timestamps(
    column: pa.Array | pa.ChunkedArray, java_pattern: str | None, rowtimes: pa.Array
) -> tuple[pa.Array, pa.Array | None]:
    """Record timestamps from a sink's TIMESTAMP column (strings parsed with its
    TIMESTAMP_FORMAT), ROWTIME where the column is NULL, and the mask of records to keep: a
    value that does not parse or is negative cannot be a record timestamp (ksqlDB drops it)."""
    values = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        ms = parse_timestamp_strings(values, java_pattern)
        bad = pc.and_(pc.is_valid(values), pc.is_null(ms))
    else:
        ms = values.cast(pa.int64()) if not pa.types.is_timestamp(values.type) else values
        ms = ms.cast(pa.int64())
        bad = pc.fill_null(pc.less(ms, 0), False)
    bad = pc.or_(pc.fill_null(bad, False), pc.fill_null(pc.less(ms, 0), False))
    keep = pc.invert(bad) if pc.any(bad).as_py() else None
    return pc.coalesce(ms, rowtimes), keep
