"""Materialized tables: the latest row per primary key of a TABLE, kept in DuckDB for pull queries.

Each TABLE's changelog topic is folded into a DuckDB table (key columns, window bounds for
windowed tables, value columns, ROWTIME/ROWPARTITION/ROWOFFSET): an update replaces the row
with the same key, a tombstone deletes it. The fold catches up from stored topic positions
before every pull query, so a pull query sees everything appended before it started, and the
materialization survives restarts in `<data-dir>/state/materialized.duckdb` (a missing or
damaged file, set aside, is folded again from the topics).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from ksql.catalog import Source
from ksql.functions.python_udf import attach as attach_udfs
from ksql.runtime.decode import DELETED, SourceDecoder, decoded_schema
from ksql.runtime.runner import TopicReader
from ksql.runtime.transaction import step_transaction
from ksql.storage.state_files import usable_state_file
from ksql.types import quote_identifier as q

PSEUDO = ("ROWTIME", "ROWPARTITION", "ROWOFFSET")


class MaterializedTable:
    """One TABLE source folded into the DuckDB table named after it."""

    def __init__(self, source: Source, log, con: duckdb.DuckDBPyConnection) -> None:
        self.source = source
        self.log = log
        self.con = con
        self.table = q(source.name)
        self.key_names = [c.name for c in source.key_columns]
        if source.window is not None:
            self.key_names += ["WINDOWSTART", "WINDOWEND"]
        self.decoder = SourceDecoder(source, log.schema_registry)
        rows = con.execute(
            "SELECT part, next FROM materialized_positions WHERE source = ? AND topic = ?",
            [source.name, source.topic],
        ).fetchall()
        positions = {int(p): int(o) for p, o in rows}
        if not positions:
            # A new materialization (or a table recreated over another topic) starts over.
            con.execute(f"DROP TABLE IF EXISTS {self.table}")
        columns = self._columns()
        if positions and self._stored_columns() not in (None, columns):
            # Kept by an older version with other columns (header columns were left out):
            # fold the topic again.
            con.execute(f"DROP TABLE IF EXISTS {self.table}")
            positions = {}
        con.register("__empty", decoded_schema(source).empty_table())
        try:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} AS "
                f"SELECT {', '.join(q(c) for c in columns)} FROM __empty"
            )
        finally:
            con.unregister("__empty")
        self.reader = TopicReader(log, source.topic, positions)

    def _stored_columns(self) -> list[str] | None:
        try:
            self.con.execute(f"SELECT * FROM {self.table} LIMIT 0")
        except duckdb.CatalogException:
            return None
        names = [d[0] for d in self.con.description]
        self.con.fetchall()
        return names

    def _columns(self) -> list[str]:
        names = [c.name for c in self.source.columns]
        if self.source.window is not None:
            names += ["WINDOWSTART", "WINDOWEND"]
        return names + list(PSEUDO)

    def catch_up(self, max_records: int = 65536) -> None:
        """Fold every record appended to the topic since the last catch-up."""
        while True:
            # The fold and its positions commit together; a failure rolls both back.
            with step_transaction(self.con, [self.reader]):
                records = self.reader.poll(max_records)
                if records is None:
                    return
                self._apply(self.decoder.decode(records).table)

    def _apply(self, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            self._save_positions()
            return
        columns = self._columns()
        con = self.con
        con.register("__changes", rows.select(columns + [DELETED]))
        try:
            keys = ", ".join(q(k) for k in self.key_names)
            match = " AND ".join(f"t.{q(k)} IS NOT DISTINCT FROM c.{q(k)}" for k in self.key_names)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE __last AS SELECT * EXCLUDE (__rn) FROM ("
                f"SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY ROWOFFSET DESC, "
                f"ROWTIME DESC) AS __rn FROM __changes) WHERE __rn = 1"
            )
            con.execute(f"DELETE FROM {self.table} t USING __last c WHERE {match}")
            con.execute(
                f"INSERT INTO {self.table} SELECT {', '.join(q(c) for c in columns)} "
                f"FROM __last WHERE NOT {q(DELETED)}"
            )
            self._save_positions()
        finally:
            con.unregister("__changes")

    def _save_positions(self) -> None:
        self.con.execute(
            "DELETE FROM materialized_positions WHERE source = ? AND topic = ?",
            [self.source.name, self.source.topic],
        )
        self.con.executemany(
            "INSERT INTO materialized_positions VALUES (?, ?, ?, ?)",
            [(self.source.name, self.source.topic, p, o) for p, o in self.reader.positions.items()],
        )

    def query(self, select_sql: str, where_sql: str | None, limit: int | None) -> pa.Table:
        """Run a projection (and predicate) over the current rows."""
        self.catch_up()
        attach_udfs(self.con)  # user functions the projection or predicate call
        where = f" WHERE {where_sql}" if where_sql else ""
        # In key order, as ksqlDB scans its store (so LIMIT n takes the first n keys).
        order = ", ".join(f"{self.table}.{q(k)}" for k in self.key_names)
        tail = (f" ORDER BY {order}" if order else "") + (
            f" LIMIT {int(limit)}" if limit is not None else ""
        )
        return self.con.sql(f"SELECT {select_sql} FROM {self.table}{where}{tail}").to_arrow_table()


class Materializations:
    """The engine's materialized tables, created on first use."""

    def __init__(self, state_dir: Path, log) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / "materialized.duckdb"
        usable_state_file(path)  # a damaged file is set aside: the tables are folded again
        self.con = duckdb.connect(str(path))
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS materialized_positions "
            "(source VARCHAR, topic VARCHAR, part INTEGER, next BIGINT)"
        )
        self.log = log
        self.tables: dict[str, MaterializedTable] = {}

    def table(self, source: Source) -> MaterializedTable:
        found = self.tables.get(source.name)
        if found is None or found.source is not source:
            found = MaterializedTable(source, self.log, self.con)
            self.tables[source.name] = found
        return found

    def forget(self, name: str) -> None:
        """A dropped table: its materialization goes too."""
        self.tables.pop(name, None)
        self.con.execute(f"DROP TABLE IF EXISTS {q(name)}")
        self.con.execute("DELETE FROM materialized_positions WHERE source = ?", [name])

    def close(self) -> None:
        self.con.close()

