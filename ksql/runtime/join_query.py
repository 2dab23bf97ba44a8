"""Drives a join query: read every input, merge them in event order, join step by step,
project, write, and checkpoint state and positions in one DuckDB transaction per batch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ksql.analyzer.join_plan import DEL, KEY_COL, ORD, TS, JoinInput
from ksql.analyzer.join_select import JoinAnalysis
from ksql.analyzer.select import select_list_sql
from ksql.catalog import Source
from ksql.runtime.decode import DELETED, SourceDecoder, decoded_schema
from ksql.runtime.join_ops import (
    SUB_BITS,
    ForeignKeyJoin,
    StreamStreamJoin,
    StreamTableJoin,
    TableTableJoin,
)
from ksql.runtime.processing_log import ProcessingLog
from ksql.runtime.runner import ROWTIME_OUT, TOMBSTONE_OUT, WINDOW_OUT, QueryRunner, TopicReader
from ksql.storage.state import close_database, open_connection

OPERATORS = {
    "STREAM_TABLE": StreamTableJoin,
    "TABLE_TABLE": TableTableJoin,
    "STREAM_STREAM": StreamStreamJoin,
}


class JoinQuery(QueryRunner):
    """A query over a JOIN of two or more sources."""

    def __init__(
        self,
        query_id: str,
        analysis: JoinAnalysis,
        log,
        processing_log: ProcessingLog,
        state_path: Path,
        *,
        sink: Source | None = None,
        emit: Callable[[pa.Table], None] | None = None,
        positions: list[dict[int, int]] | None = None,
        commit: Callable[[int, dict[int, int]], None] | None = None,
    ) -> None:
        super().__init__(
            query_id, analysis, log, processing_log, sink=sink, emit=emit, positions=None,
            commit=None,
        )
        plan = analysis.plan
        self.inputs = plan.inputs
        self.commit_input = commit
        self.readers = [
            TopicReader(log, i.source.topic, dict((positions or [{}] * len(self.inputs))[i.index]))
            for i in self.inputs
        ]
        self.decoders = [SourceDecoder(i.source) for i in self.inputs]
        self.store_path = str(state_path)
        self.db = open_connection(self.store_path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS query_positions (input INTEGER, part INTEGER, next BIGINT)"
        )
        self.db.execute("CREATE TABLE IF NOT EXISTS query_sequence (next BIGINT)")
        for inp, part, nxt in self.db.execute("SELECT * FROM query_positions").fetchall():
            self.readers[int(inp)].positions[int(part)] = int(nxt)
        stored = self.db.execute("SELECT max(next) FROM query_sequence").fetchall()[0][0]
        self.next_seq = int(stored or 0)
        self.operators = []
        left_cols = _input_names(self.inputs[0])
        for n, step in enumerate(plan.steps):
            right_cols = _input_names(step.right)
            name = f"j{n}"
            if step.shape == "FOREIGN_KEY":
                first = self.inputs[0]
                keys = [f"{first.alias}_{k.name}" for k in first.source.key_columns]
                op = ForeignKeyJoin(self.db, name, step, left_cols, right_cols, keys)
            else:
                op = OPERATORS[step.shape](self.db, name, step, left_cols, right_cols)
            self.operators.append(op)
            left_cols = left_cols + right_cols
        self.final_is_table = plan.steps[-1].result_is_table
        self.output_schema = pa.schema(
            [pa.field(c.name, c.type.arrow()) for c in analysis.columns]
            + ([pa.field(n, pa.int64()) for n in WINDOW_OUT] if self.windowed else [])
            + [pa.field(ROWTIME_OUT, pa.int64()), pa.field(TOMBSTONE_OUT, pa.bool_())]
        )
        self.project_sql = self._project_sql()

    def _project_sql(self) -> str:
        a = self.analysis
        select = select_list_sql(a.columns)
        if self.windowed:
            # A windowed sink keeps the window of the (left) windowed source in its key.
            alias = self.inputs[0].alias
            select += "".join(
                f', "{alias}_{bound}" AS "{out}"'
                for bound, out in zip(("WINDOWSTART", "WINDOWEND"), WINDOW_OUT, strict=True)
            )
        if self.final_is_table and a.where_sql:
            # A table row that fails WHERE deletes the key, if the key was in the result.
            live = f'(NOT "{DEL}" AND coalesce({a.where_sql}, false))'
            return (
                f"SELECT * EXCLUDE (__live, __was) FROM (SELECT *, coalesce(lag(__live) OVER "
                f'(PARTITION BY "{KEY_COL}" ORDER BY "{ORD}"), "{KEY_COL}" IN (SELECT "{KEY_COL}" '
                f"FROM result_keys)) AS __was FROM (SELECT {select}, \"{TS}\" AS \"{ROWTIME_OUT}\", "
                f'NOT {live} AS "{TOMBSTONE_OUT}", {live} AS __live, "{KEY_COL}", "{ORD}" '
                f"FROM joined)) WHERE __live OR __was ORDER BY \"{ORD}\""
            )
        tomb = f'"{DEL}"' if self.final_is_table else "false"
        where = f" WHERE {a.where_sql}" if a.where_sql and not self.final_is_table else ""
        return (
            f'SELECT {select}, "{TS}" AS "{ROWTIME_OUT}", {tomb} AS "{TOMBSTONE_OUT}", '
            f'"{KEY_COL}", "{ORD}" FROM joined{where} ORDER BY "{ORD}"'
        )

    def _remember_keys(self, out: pa.Table) -> None:
        """Which keys the table result holds now (for WHERE on a table join)."""
        self.db.register("emitted", out)
        try:
            self.db.execute(f'DELETE FROM result_keys WHERE "{KEY_COL}" IN (SELECT "{KEY_COL}" FROM emitted)')
            self.db.execute(
                f'INSERT INTO result_keys SELECT "{KEY_COL}" FROM (SELECT *, row_number() OVER '
                f'(PARTITION BY "{KEY_COL}" ORDER BY "{ORD}" DESC) AS rn FROM emitted) '
                f'WHERE rn = 1 AND NOT "{TOMBSTONE_OUT}"'
            )
        finally:
            self.db.unregister("emitted")

    # ------------------------------------------------------------------ reading
    def _read(self, max_records: int) -> tuple[list[pa.Table], int]:
        per_input = max(1, max_records // len(self.inputs))
        polled = []
        for reader in self.readers:
            polled.append(reader.poll(per_input))
        # An input with more records waiting bounds how far in event time this batch goes,
        # so no input runs ahead of the others (a table must not see its future).
        frontier = min(
            (int(pc.max(r.column("timestamp")).as_py()) for r in polled
             if r is not None and r.num_rows >= per_input),
            default=None,
        )
        tables, consumed = [], 0
        for inp, reader, decoder, records in zip(
            self.inputs, self.readers, self.decoders, polled, strict=True
        ):
            if records is not None and frontier is not None:
                records = _up_to(records, frontier, reader)
            if records is None or records.num_rows == 0:
                tables.append(_prefixed(inp, decoded_schema(inp.source).empty_table()))
                continue
            consumed += records.num_rows
            decoded = decoder.decode(records)
            self.processing_log.report(self.query_id, inp.source.topic, decoded.errors)
            tables.append(_prefixed(inp, decoded.table))
        return tables, consumed

    def _merge(self, tables: list[pa.Table]) -> list[pa.Table]:
        """Give every row its place in one order over all inputs, as Kafka Streams picks the
        input whose next record has the lowest timestamp."""
        keys, owners = [], []
        for n, t in enumerate(tables):
            ts = t.column(TS).to_numpy() if t.num_rows else np.zeros(0, np.int64)
            keys.append(np.maximum.accumulate(ts) if len(ts) else ts)
            owners.append(np.full(len(ts), n))
        all_keys = np.concatenate(keys)
        all_owners = np.concatenate(owners)
        positions = np.concatenate([np.arange(len(k)) for k in keys])
        order = np.lexsort((positions, all_owners, all_keys))
        seq = np.empty(len(order), np.int64)
        seq[order] = np.arange(len(order), dtype=np.int64) + self.next_seq
        self.next_seq += len(order)
        out, start = [], 0
        for t in tables:
            ords = (seq[start : start + t.num_rows] << SUB_BITS).astype(np.int64)
            start += t.num_rows
            out.append(t.append_column(ORD, pa.array(ords, pa.int64())))
        return out

    # ------------------------------------------------------------------ steps
    def step(self, max_records: int = 65536) -> int:
        tables, consumed = self._read(max_records)
        if consumed == 0:
            return 0
        self.db.execute("BEGIN TRANSACTION")
        tables = self._merge(tables)
        joined = tables[0]
        for op, right in zip(self.operators, tables[1:], strict=True):
            joined = op.process(joined, right)
        if joined.num_rows:
            self.db.register("joined", joined)
            try:
                self.db.execute(f'CREATE TABLE IF NOT EXISTS result_keys AS SELECT "{KEY_COL}" FROM joined LIMIT 0')
                out = self.db.sql(self.project_sql).to_arrow_table()
            finally:
                self.db.unregister("joined")
            if self.final_is_table and self.analysis.where_sql:
                self._remember_keys(out)
            out = out.select(self.output_schema.names).cast(self.output_schema)
            if not self.final_is_table:
                out = out.filter(pc.invert(out.column(TOMBSTONE_OUT)))
            self._write(out)
        self.db.execute("DELETE FROM query_positions")
        rows = [
            (n, p, o) for n, r in enumerate(self.readers) for p, o in r.positions.items()
        ]
        self.db.executemany("INSERT INTO query_positions VALUES (?, ?, ?)", rows)
        self.db.execute("DELETE FROM query_sequence")
        self.db.execute(f"INSERT INTO query_sequence VALUES ({self.next_seq})")
        self.db.execute("COMMIT")
        if self.commit_input is not None:
            for n, reader in enumerate(self.readers):
                self.commit_input(n, dict(reader.positions))
        return consumed

    def close(self) -> None:
        self.db.close()
        close_database(self.store_path)


def _up_to(records: pa.Table, frontier: int, reader: TopicReader) -> pa.Table:
    """The records before the event-time frontier; the reader rewinds to the first one left."""
    ts = records.column("timestamp").to_numpy()
    keep = int(np.searchsorted(np.maximum.accumulate(ts), frontier, side="right"))
    if keep == records.num_rows:
        return records
    kept, rest = records.slice(0, keep), records.slice(keep)
    parts = rest.column("partition").to_numpy()
    offsets = rest.column("offset").to_numpy()
    for p in np.unique(parts):
        reader.positions[int(p)] = int(offsets[parts == p].min())
    return kept


def _input_names(inp: JoinInput) -> list[str]:
    return [c.joined for c in inp.columns]


def _prefixed(inp: JoinInput, decoded: pa.Table) -> pa.Table:
    """A decoded batch under the joined names, with its timestamp and deletion flag."""
    arrays = {c.joined: decoded.column(c.name) for c in inp.columns}
    arrays[DEL] = pc.fill_null(decoded.column(DELETED), False)
    arrays[TS] = decoded.column("ROWTIME")
    return pa.table(arrays)
