"""One DuckDB connection per thread for the formats' vectorized SQL over Arrow arrays."""

from __future__ import annotations

import os
import threading

import duckdb
import pyarrow as pa

_local = threading.local()
_THREADS = max(1, os.cpu_count() or 1)
_MIN_CHUNK = 8192


def chunked(table: pa.Table) -> pa.Table:
    """`table` cut into one record batch per DuckDB thread: DuckDB scans an Arrow table's
    batches in parallel (keeping their order), so a single big batch would use one core."""
    n = table.num_rows
    if _THREADS == 1 or n < 2 * _MIN_CHUNK:
        return table
    size = max(_MIN_CHUNK, -(-n // _THREADS))
    return pa.Table.from_batches(table.to_batches(max_chunksize=size), schema=table.schema)


def connection() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        con = duckdb.connect()
        _local.con = con
    return con


def run(sql: str, **tables: pa.Table) -> pa.Table:
    """Run `sql` with the given Arrow tables visible under their keyword names."""
    con = connection()
    for name, table in tables.items():
        con.register(name, chunked(table))
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        for name in tables:
            con.unregister(name)
