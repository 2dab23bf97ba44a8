"""Drives a GROUP BY query: pre-project, (undo/add for tables), aggregate, project, write, commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ksql.analyzer.aggregate import AggregateAnalysis
from ksql.analyzer.select import select_list_sql
from ksql.catalog import Source
from ksql.runtime import windows as W
from ksql.runtime.aggregate import TOMBSTONE, AggregateOperator, AggregateSpec
from ksql.runtime.decode import DELETED, SourceDecoder
from ksql.runtime.encode import SinkEncoder
from ksql.runtime.having import PASS, HavingFilter
from ksql.runtime.processing_log import ProcessingLog
from ksql.runtime.runner import ROWTIME_OUT, TOMBSTONE_OUT as OUT_TOMBSTONE, TopicReader
from ksql.runtime.table_changes import LIVE, TableChanges
from ksql.storage.state import StateStore, close_database, open_connection
from ksql.types import quote_identifier as q



def window_spec(window) -> W.WindowSpec | None:
    """The runtime's window description from the query's WINDOW clause."""
    if window is None:
        return None
    if window.kind == "TUMBLING":
        return W.WindowSpec.tumbling(window.size_ms, window.grace_ms, window.retention_ms)
    if window.kind == "HOPPING":
        return W.WindowSpec.hopping(
            window.size_ms, window.advance_ms, window.grace_ms, window.retention_ms
        )
    return W.WindowSpec.session(window.size_ms, window.grace_ms, window.retention_ms)


class AggregationQuery:
    """GROUP BY over a stream or a table, optionally windowed, into a table."""

    def __init__(
        self,
        query_id: str,
        analysis: AggregateAnalysis,
        log,
        processing_log: ProcessingLog,
        state_path: Path,
        *,
        sink: Source | None = None,
        emit: Callable[[pa.Table], None] | None = None,
        positions: dict[int, int] | None = None,
        commit: Callable[[dict[int, int]], None] | None = None,
        properties: dict[str, str] | None = None,
    ) -> None:
        self.query_id = query_id
        self.analysis = analysis
        self.log = log
        self.processing_log = processing_log
        self.sink = sink
        self.emit = emit
        self.commit_offsets = commit
        source = analysis.source
        self.decoder = SourceDecoder(source)
        self.encoder = SinkEncoder(sink) if sink is not None else None
        self.reader = TopicReader(log, source.topic, positions or {})
        self.con = duckdb.connect()
        self.store_path = str(state_path)
        # One connection and one transaction for all of this query's state and its source
        # positions: a checkpoint is atomic, so a crash never counts an input twice.
        self.db = open_connection(self.store_path)
        self.db.execute("CREATE TABLE IF NOT EXISTS query_positions (part INTEGER, next BIGINT)")
        stored = self.db.execute("SELECT part, next FROM query_positions").fetchall()
        if stored:
            self.reader.positions.update({int(p): int(o) for p, o in stored})
        self.pre_sql = self._pre_sql()
        specs = [AggregateSpec(c.function, c.arg_names, c.output) for c in analysis.calls]
        keys = [(k.name, k.type) for k in analysis.keys]
        self.operator = AggregateOperator(
            keys,
            specs,
            StateStore(self.store_path, "aggregate", self.db),
            window_spec(analysis.window),
            analysis.emit_final,
            properties,
        )
        self.changes = None
        if source.is_table:
            columns = [(k.name, k.type.arrow()) for k in analysis.keys]
            for call in analysis.calls:
                columns += [(n, t.arrow()) for n, t in zip(call.arg_names, call.function.arg_types, strict=True)]
            self.changes = TableChanges(
                StateStore(self.store_path, "source_rows", self.db), [c.name for c in source.key_columns], columns
            )
            self.changes.ensure([c.type.arrow() for c in source.key_columns])
        self.having = None
        if analysis.having_sql:
            keys = [(k.name, k.type.arrow()) for k in analysis.keys]
            if analysis.window is not None:
                keys.append(("WINDOWSTART", pa.int64()))
            self.having = HavingFilter(StateStore(self.store_path, "having", self.db), keys, analysis.having_sql)
        self.post_sql = self._post_sql()
        self.output_schema = pa.schema(
            [pa.field(c.name, c.type.arrow()) for c in analysis.columns]
            + self._window_fields()
            + [pa.field(ROWTIME_OUT, pa.int64()), pa.field(OUT_TOMBSTONE, pa.bool_())]
        )
        self.emitted = 0

    # ------------------------------------------------------------------ SQL
    def _pre_sql(self) -> str:
        a = self.analysis
        parts = [f"{k.sql} AS {q(k.name)}" for k in a.keys]
        for call in a.calls:
            parts += [f"{sql} AS {q(name)}" for sql, name in zip(call.arg_sqls, call.arg_names, strict=True)]
        parts.append('"ROWTIME"')
        not_null_keys = " AND ".join(f"({k.sql}) IS NOT NULL" for k in a.keys) or "true"
        condition = f"({a.where_sql}) AND {not_null_keys}" if a.where_sql else not_null_keys
        if a.source.is_table:
            parts += [q(c.name) for c in a.source.key_columns]
            parts.append(f"coalesce(NOT {DELETED} AND ({condition}), false) AS {LIVE}")
            return f"SELECT {', '.join(parts)} FROM batch"
        return f"SELECT {', '.join(parts)} FROM batch WHERE NOT {DELETED} AND {condition}"

    def _window_fields(self) -> list[pa.Field]:
        if self.analysis.window is None:
            return []
        return [pa.field("WINDOWSTART", pa.int64()), pa.field("WINDOWEND", pa.int64())]

    def _post_sql(self) -> str:
        a = self.analysis
        select = select_list_sql(a.columns)
        bounds = ', "WINDOWSTART", "WINDOWEND"' if a.window is not None else ""
        tombstone = f'"{TOMBSTONE}"'
        if a.having_sql:
            tombstone = f'(NOT "{PASS}")'
        return (
            f'SELECT {select}{bounds}, "ROWTIME" AS "{ROWTIME_OUT}", {tombstone} AS "{OUT_TOMBSTONE}" '
            "FROM agg"
        )

    def _run(self, sql: str, name: str, table: pa.Table) -> pa.Table:
        self.con.register(name, table)
        try:
            return self.con.sql(sql).to_arrow_table()
        finally:
            self.con.unregister(name)

    # ------------------------------------------------------------------ steps
    def step(self, max_records: int = 65536) -> int:
        # Step 1: read.
        records = self.reader.poll(max_records)
        if records is None:
            return 0
        self.db.execute("BEGIN TRANSACTION")
        # Step 2: decode; bad records go to the processing log.
        decoded = self.decoder.decode(records)
        self.processing_log.report(self.query_id, self.analysis.source.topic, decoded.errors)
        if decoded.table.num_rows:
            # Step 3: group keys and aggregate arguments; table updates undo the old row first.
            pre = self._run(self.pre_sql, "batch", decoded.table)
            if self.changes is not None:
                pre = self.changes.process(pre)
            # Step 4: aggregate, then project and apply HAVING.
            if pre.num_rows:
                aggregated = self.operator.process_batch(pre)
                if self.having is not None and aggregated.num_rows:
                    aggregated = self.having.apply(aggregated, TOMBSTONE)
                if aggregated.num_rows:
                    out = self._run(self.post_sql, "agg", aggregated).cast(self.output_schema)
                    self._write(out)
        # Step 5: commit state and source positions together, after the output is written.
        self.db.execute("DELETE FROM query_positions")
        self.db.executemany(
            "INSERT INTO query_positions VALUES (?, ?)", list(self.reader.positions.items())
        )
        self.db.execute("COMMIT")
        if self.commit_offsets is not None:
            self.commit_offsets(dict(self.reader.positions))
        return records.num_rows

    def close(self) -> None:
        """Release the state file (uncommitted work is rolled back by DuckDB)."""
        self.db.close()
        close_database(self.store_path)

    @property
    def finished(self) -> bool:
        return self.analysis.limit is not None and self.emitted >= self.analysis.limit

    def _write(self, out: pa.Table) -> None:
        if self.analysis.limit is not None:
            out = out.slice(0, max(0, self.analysis.limit - self.emitted))
        self.emitted += out.num_rows
        if self.encoder is not None and self.sink is not None:
            tombstones = out.column(OUT_TOMBSTONE).combine_chunks()
            window = None
            if self.analysis.window is not None:
                window = (out.column("WINDOWSTART").combine_chunks(), out.column("WINDOWEND").combine_chunks())
            records = self.encoder.encode(
                out, out.column(ROWTIME_OUT).combine_chunks(), tombstones=pc.fill_null(tombstones, False),
                window=window,
            )
            self.log.produce(self.sink.topic, records)
        if self.emit is not None:
            self.emit(out)
