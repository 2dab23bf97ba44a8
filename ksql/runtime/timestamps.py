"""Timestamp extraction helpers: string timestamps with Java-style patterns -> epoch ms."""

from __future__ import annotations

import duckdb
import pyarrow as pa


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
