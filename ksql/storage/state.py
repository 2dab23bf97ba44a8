"""DuckDB-backed keyed state stores: one table per operator inside a DuckDB database file.

Writes happen inside a transaction that `commit()` ends, so a store checkpoints together with
the source offsets the runner commits; reopening the same path gives the committed contents.
Several stores may share one file: they share one DuckDB database per path (DuckDB allows one
writer process per file) and each uses its own cursor.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import duckdb
import pyarrow as pa

from ksql.types import quote_identifier as q

_DATABASES: dict[str, duckdb.DuckDBPyConnection] = {}
_LOCK = threading.Lock()


def _database(path: str) -> duckdb.DuckDBPyConnection:
    if path == ":memory:":
        return duckdb.connect(":memory:")
    with _LOCK:
        con = _DATABASES.get(path)
        if con is None:
            con = duckdb.connect(path)
            _DATABASES[path] = con
        return con


def open_connection(path: str) -> duckdb.DuckDBPyConnection:
    """A connection to a state file, for stores that share one transaction."""
    return _database(path).cursor()


def close_database(path: str) -> None:
    """Close the shared connection of a file (after all its stores are closed)."""
    with _LOCK:
        con = _DATABASES.pop(path, None)
    if con is not None:
        con.close()


def table_name(name: str) -> str:
    """The table of the store `name` in its state file."""
    return f"state_{name}"


# The stores' metadata (stream time, counters): one row per (store, k), values as JSON.
META_TABLE = "store_meta"


class StateStore:
    """A keyed table `name` with key columns and value columns, plus a small metadata map."""

    def __init__(self, path: str, name: str, con: duckdb.DuckDBPyConnection | None = None) -> None:
        """With `con`, the store joins a connection whose owner begins and commits the
        transactions (several stores then checkpoint atomically, e.g. with source offsets)."""
        self.path = path
        self.name = name
        self.table = table_name(name)
        self.owns_transactions = con is None
        self.con = _database(path).cursor() if con is None else con
        self.key_columns: list[str] = []
        self._in_txn = False
        self._run(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (store VARCHAR, k VARCHAR, v VARCHAR)")

    # --- schema ---------------------------------------------------------------------------
    def ensure(self, schema: pa.Schema, key_columns: list[str]) -> None:
        """Create the table for `schema` unless it exists (a restart reuses it)."""
        self.key_columns = list(key_columns)
        empty = pa.Table.from_batches([], schema=schema)
        self.con.register("__empty", empty)
        self._run(f"CREATE TABLE IF NOT EXISTS {q(self.table)} AS SELECT * FROM __empty")
        self.con.unregister("__empty")

    def _run(self, sql: str, params: list[Any] | None = None) -> list[Any]:
        """Execute and drain (DuckDB 2 refuses new work while a result is unfinished)."""
        return self.con.execute(sql, params or []).fetchall()

    def _begin(self) -> None:
        if self.owns_transactions and not self._in_txn:
            self._run("BEGIN TRANSACTION")
            self._in_txn = True

    def _match(self, a: str, b: str, columns: list[str] | None = None) -> str:
        cols = self.key_columns if columns is None else columns
        return " AND ".join(f"{a}.{q(k)} IS NOT DISTINCT FROM {b}.{q(k)}" for k in cols) or "true"

    # --- reads ----------------------------------------------------------------------------
    def get(self, keys: pa.Table, columns: list[str] | None = None) -> pa.Table:
        """Stored rows whose key columns (or the given subset of them) match a row of `keys`."""
        columns = columns or self.key_columns
        if not columns:  # no key columns (an aggregation without GROUP BY): one global row
            return self.scan() if keys.num_rows else self.scan("false")
        self.con.register("__keys", keys.select(columns))
        try:
            return self.con.sql(
                f"SELECT s.* FROM {q(self.table)} s SEMI JOIN (SELECT DISTINCT * FROM __keys) k "
                f"ON {self._match('s', 'k', columns)}"
            ).to_arrow_table()
        finally:
            self.con.unregister("__keys")

    def scan(self, where: str | None = None) -> pa.Table:
        """All rows (or those matching a DuckDB predicate), e.g. for pull queries."""
        sql = f"SELECT * FROM {q(self.table)}" + (f" WHERE {where}" if where else "")
        return self.con.sql(sql).to_arrow_table()

    def sql(self, query: str) -> pa.Table:
        """Run a query in which `{table}` names this store's table."""
        return self.con.sql(query.replace("{table}", q(self.table))).to_arrow_table()

    # --- writes ---------------------------------------------------------------------------
    def upsert(self, rows: pa.Table) -> None:
        """Replace the rows with the same keys (rows must hold one row per key)."""
        if rows.num_rows == 0:
            return
        self._begin()
        self.con.register("__rows", rows)
        try:
            self._run(f"DELETE FROM {q(self.table)} s USING __rows r WHERE {self._match('s', 'r')}")
            cols = ", ".join(q(c) for c in rows.column_names)
            self._run(f"INSERT INTO {q(self.table)} ({cols}) SELECT {cols} FROM __rows")
        finally:
            self.con.unregister("__rows")

    def delete(self, keys: pa.Table) -> None:
        if keys.num_rows == 0:
            return
        self._begin()
        if not self.key_columns:
            self._run(f"DELETE FROM {q(self.table)}")
            return
        self.con.register("__keys", keys.select(self.key_columns))
        try:
            self._run(f"DELETE FROM {q(self.table)} s USING __keys r WHERE {self._match('s', 'r')}")
        finally:
            self.con.unregister("__keys")

    def delete_where(self, predicate: str) -> None:
        self._begin()
        self._run(f"DELETE FROM {q(self.table)} WHERE {predicate}")

    def execute(self, statement: str) -> None:
        """Run a write statement in which `{table}` names this store's table."""
        self._begin()
        self._run(statement.replace("{table}", q(self.table)))

    # --- metadata (stream time, counters) -------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        rows = self._run(f"SELECT v FROM {META_TABLE} WHERE store = ? AND k = ?", [self.name, key])
        return json.loads(rows[0][0]) if rows else default

    def set_meta(self, key: str, value: Any) -> None:
        self._begin()
        self._run(f"DELETE FROM {META_TABLE} WHERE store = ? AND k = ?", [self.name, key])
        self._run(f"INSERT INTO {META_TABLE} VALUES (?, ?, ?)", [self.name, key, json.dumps(value)])

    # --- lifecycle ------------------------------------------------------------------------
    def commit(self) -> None:
        if self._in_txn:
            self._run("COMMIT")
            self._in_txn = False

    def rollback(self) -> None:
        if self._in_txn:
            self._run("ROLLBACK")
            self._in_txn = False

    def close(self) -> None:
        self.commit()
        if self.owns_transactions:
            self.con.close()
