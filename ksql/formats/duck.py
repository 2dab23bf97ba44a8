"""One DuckDB connection per thread for the formats' vectorized SQL over Arrow arrays."""

from __future__ import annotations

import threading

import duckdb
import pyarrow as pa

_local = threading.local()


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
        con.register(name, table)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        for name in tables:
            con.unregister(name)
